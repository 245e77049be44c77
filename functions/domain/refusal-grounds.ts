import * as z from './schema.ts';
import { RulesNotLoadedError } from './deadlines/errors.ts';
import { SHIPPED_JURISDICTION_CODES } from './deadlines/rule-files.ts';
import { ConfigurationError, toFieldProblems } from './errors.ts';
import { localizedSchema, sourceSchema } from './localized.ts';
import { onFirstLoad, onFirstUse } from './on-first-use.ts';
import { RequestTypeSchema, type Language, type RequestType } from './request-types.ts';

/**
 * Why a request may be refused, per jurisdiction: each ground in the person's words and with the article that
 * allows it, in ru, kk and en (rules/refusal-grounds/*.json). An operator refusing a request picks one of these,
 * or writes the basis out themselves; a refusal never goes out without one.
 */
const groundsFileSchema = onFirstUse(() => {
  const localized = localizedSchema();
  const ground = z.strictObject({
    id: z.string().check(z.regex(/^[a-z][a-z0-9-]*$/, 'lower-case id, letters, digits and -')),
    /** The request types this ground can refuse. */
    appliesTo: z.array(RequestTypeSchema).check(z.minLength(1)),
    /** The ground as the person reads it, after «Основание:» / "Basis:". */
    text: localized,
    /** The law and article that allow the refusal. */
    citation: localized,
    source: sourceSchema(),
    /** C: confirmed on a public page; S: one secondary source; U: believed, not confirmed. */
    confidence: z.enum(['C', 'S', 'U']),
  });

  return z
    .strictObject({
      jurisdiction: z.string().check(z.minLength(2)),
      source: z.string().check(z.trim(), z.minLength(1)),
      grounds: z.array(ground).check(z.minLength(1)),
    })
    .check(z.superRefine((file, ctx) => {
      const seen = new Set<string>();
      file.grounds.forEach((ground, i) => {
        if (seen.has(ground.id)) ctx.addIssue({ code: 'custom', path: ['grounds', i, 'id'], message: `duplicate id '${ground.id}'` });
        seen.add(ground.id);
      });
    }));
});

export type RefusalGround = z.infer<ReturnType<typeof groundsFileSchema>>['grounds'][number];

/** Validates one jurisdiction's grounds; every bad field is named. */
export function parseRefusalGrounds(json: unknown, source: string): RefusalGround[] {
  const parsed = groundsFileSchema().safeParse(json);
  if (!parsed.success) throw new ConfigurationError(source, toFieldProblems(parsed.error.issues));
  return parsed.data.grounds;
}

const groundsFile = (jurisdiction: string) => `rules/refusal-grounds/${jurisdiction}.json`;

/** Validates every shipped jurisdiction's grounds in these files (throws ConfigurationError naming the file and field). */
export function checkRefusalGrounds(files: Record<string, unknown>): void {
  for (const jurisdiction of SHIPPED_JURISDICTION_CODES) parseRefusalGrounds(files[jurisdiction], groundsFile(jurisdiction));
}

const groundsByJurisdiction = onFirstLoad((jurisdiction: string) =>
  import(`../../rules/refusal-grounds/${jurisdiction}.json`, { with: { type: 'json' } }).then((file: { default: unknown }) =>
    parseRefusalGrounds(file.default, groundsFile(jurisdiction)),
  ),
);

/**
 * A jurisdiction's grounds, imported (a chunk of its own in a bundle) and validated once per process when a function
 * first needs them: a deployment reads its own jurisdiction's, not all five at every cold start. A code the release
 * ships no grounds for has none. checkRefusalGrounds validates them all where derbes starts (`cdk synth`, `npm start`).
 */
export async function loadRefusalGrounds(jurisdiction: string): Promise<RefusalGround[]> {
  if (!SHIPPED_JURISDICTION_CODES.includes(jurisdiction)) return [];
  return groundsByJurisdiction.load(jurisdiction);
}

/** A loaded jurisdiction's grounds; none for a code the release ships none for; RulesNotLoadedError if not loaded. */
function groundsOf(jurisdiction: string): RefusalGround[] {
  const grounds = groundsByJurisdiction.loaded(jurisdiction);
  if (grounds) return grounds;
  if (SHIPPED_JURISDICTION_CODES.includes(jurisdiction)) throw new RulesNotLoadedError(jurisdiction);
  return [];
}

/** The grounds a jurisdiction allows, for the given request types (all of them when none are given). */
export function refusalGrounds(jurisdiction: string, types: readonly RequestType[] = []): RefusalGround[] {
  const grounds = groundsOf(jurisdiction);
  return types.length ? grounds.filter((g) => types.some((t) => g.appliesTo.includes(t))) : grounds;
}

export function refusalGround(jurisdiction: string, id: string): RefusalGround | undefined {
  return groundsOf(jurisdiction).find((g) => g.id === id);
}

/** How the person reads a ground: what it says, then the article. */
export function groundText(ground: RefusalGround, language: Language): string {
  return `${ground.text[language]} (${ground.citation[language]})`;
}
