import * as z from './schema.ts';
import limitsFile from '../../rules/intake/form-attachments.json' with { type: 'json' };
import { ConfigurationError, toFieldProblems, type FieldProblem } from './errors.ts';
import { safeFilename } from './filename.ts';
import { onFirstUse } from './on-first-use.ts';

/**
 * What a person may attach on the public form (rules/intake/form-attachments.json): how many files, how large, and
 * of which types — a type is known by the file's first bytes, not by its name or the type the browser declared, so
 * a page or a drawing with script in it (`.html`, `.svg`) named `photo.png` is refused.
 */
const limitsSchema = onFirstUse(() =>
  z.strictObject({
    $comment: z.string(),
    source: z.string().check(z.minLength(1)),
    maxFiles: z.number().check(z.int(), z.gte(1), z.lte(10)),
    maxFileBytes: z.number().check(z.int(), z.gte(1)),
    // Under what one HTTP API request carries into Lambda once base64-encoded (6 MB): see the file's $comment.
    maxTotalBytes: z.number().check(z.int(), z.gte(1), z.lte(4_500_000)),
    maxNameChars: z.number().check(z.int(), z.gte(20), z.lte(255)),
    types: z
      .array(
        z.strictObject({
          mediaType: z.enum(['application/pdf', 'image/jpeg', 'image/png']),
          extensions: z.array(z.string().check(z.regex(/^[a-z0-9]{1,5}$/))).check(z.minLength(1)),
          magic: z.string().check(z.regex(/^([0-9a-f]{2})+$/)),
        }),
      )
      .check(z.minLength(1)),
  }),
);
export type FormAttachmentLimits = z.infer<ReturnType<typeof limitsSchema>>;

function load(): FormAttachmentLimits {
  const parsed = limitsSchema().safeParse(limitsFile);
  if (!parsed.success) throw new ConfigurationError('rules/intake/form-attachments.json', toFieldProblems(parsed.error.issues));
  if (parsed.data.maxFileBytes > parsed.data.maxTotalBytes) throw new ConfigurationError('rules/intake/form-attachments.json', [{ field: 'maxFileBytes', message: 'is above maxTotalBytes' }]);
  return parsed.data;
}
/** Validated when first asked for (see onFirstUse): the API's JSON calls never read them. */
export const formAttachmentLimits = onFirstUse(load);

/** A file as the form sent it. */
export interface SentFile {
  filename: string;
  content: Uint8Array;
}

/** A file taken: its name made safe to show and to offer as a download's name, and the type its bytes are. */
export interface TakenFile {
  filename: string;
  contentType: string;
  content: Uint8Array;
}

/** Why a file was refused: the form names it in the page's language (pages.ts). */
export type AttachmentProblem = 'tooMany' | 'tooLarge' | 'totalTooLarge' | 'type' | 'empty';

/**
 * The files a person sent, checked against the limits: the files taken, or the problems (each with the file's safe
 * name). A form sent without files (an empty file input sends one nameless, empty part) has none.
 */
export function checkAttachments(sent: readonly SentFile[], limits: FormAttachmentLimits = formAttachmentLimits()): { files: TakenFile[]; problems: Array<{ problem: AttachmentProblem; filename?: string }> } {
  const files = sent.filter((f) => f.filename !== '' || f.content.length > 0);
  if (files.length > limits.maxFiles) return { files: [], problems: [{ problem: 'tooMany' }] };
  const problems: Array<{ problem: AttachmentProblem; filename?: string }> = [];
  const taken: TakenFile[] = [];
  for (const file of files) {
    const filename = safeFilename(file.filename, limits.maxNameChars, 'attachment');
    if (file.content.length === 0) problems.push({ problem: 'empty', filename });
    else if (file.content.length > limits.maxFileBytes) problems.push({ problem: 'tooLarge', filename });
    else {
      const type = typeOf({ filename, content: file.content }, limits);
      if (!type) problems.push({ problem: 'type', filename });
      else taken.push({ filename, contentType: type, content: file.content });
    }
  }
  if (!problems.length && files.reduce((sum, f) => sum + f.content.length, 0) > limits.maxTotalBytes) problems.push({ problem: 'totalTooLarge' });
  return problems.length ? { files: [], problems } : { files: taken, problems: [] };
}

/**
 * The type whose extension the (safe) name has and whose first bytes the content starts with; none for anything else.
 * The safe name, so that what is checked is what the operator will see: `scan.pdf\u200B` is a PDF named `scan.pdf`.
 */
function typeOf(file: SentFile, limits: FormAttachmentLimits): string | undefined {
  const extension = /\.([^.]+)$/.exec(file.filename)?.[1]?.toLowerCase() ?? '';
  const head = Buffer.from(file.content.subarray(0, 16)).toString('hex');
  return limits.types.find((t) => t.extensions.includes(extension) && head.startsWith(t.magic))?.mediaType;
}

/** The problems as the form's field `attachments` carries them to the page. */
export function attachmentFieldProblems(problems: ReadonlyArray<{ problem: AttachmentProblem; filename?: string }>): FieldProblem[] {
  return problems.map((p) => ({ field: 'attachments', message: p.filename ? `${p.problem}:${p.filename}` : p.problem }));
}
