import { eventsOfType } from '../domain/audit.ts';
import type { TakenFile } from '../domain/form-attachments.ts';
import type { Dependencies } from './dependencies.ts';

/**
 * Keeps the files a person attached on the form with their request, where mail attachments are kept (encrypted in
 * the raw-mail bucket, under the request's folder, the name on the file only), and records where in the trail. A
 * repeated submit of the same form (a double click) finds them recorded and keeps nothing again.
 */
export async function keepFormAttachments(deps: Pick<Dependencies, 'audit' | 'mailArchive'>, requestId: string, files: readonly TakenFile[]): Promise<void> {
  if (eventsOfType(await deps.audit.list(requestId), 'form.attachments').length) return;
  const attachments = [];
  for (const file of files) attachments.push({ size: file.content.length, key: await deps.mailArchive.keep(requestId, file) });
  await deps.audit.append(requestId, { type: 'form.attachments', detail: { attachments } });
}
