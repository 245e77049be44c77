import { REQUEST_TYPES, LANGUAGES, type Language } from '../../domain/request-types.ts';
import { answerDueAt, type DataSubjectRequest } from '../../domain/request.ts';
import { escapeHtml } from '../../domain/html.ts';
import type { FieldProblem } from '../../domain/errors.ts';
import { loadMessages, type Messages } from '../../domain/messages.ts';
import { localize, type CorrectableField, type CorrectableType } from '../../config/profile-schema.ts';
import type { FormAttachmentLimits } from '../../domain/form-attachments.ts';

function layout(language: Language, title: string, body: string): string {
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin-top:1rem}input,select,textarea{width:100%;padding:.4rem;font-size:1rem;box-sizing:border-box}
fieldset{margin-top:1rem}fieldset label{display:flex;gap:.5rem;margin:.2rem 0}fieldset input[type=checkbox]{width:auto}
.hint{margin:.2rem 0;color:#444;font-size:.9rem}.problems{border:2px solid #a00;padding:.5rem 1rem;margin:1rem 0}
[aria-invalid=true]{border:2px solid #a00}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}.error{color:#a00;margin:.2rem 0}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/** What the person typed, given back to the form when it comes back with problems. */
export interface FormValues {
  types: readonly string[];
  email: string;
  name: string;
  message: string;
  language?: string;
  changes: Record<string, string>;
}

/** What the form offers and how it is bounded: the operator's name, correctable fields and the schema's limits. */
export interface FormSettings {
  operatorName: string;
  correctable: ReadonlyMap<string, CorrectableField>;
  limits: { email: number; name: number; message: number; change: number };
  attachments: FormAttachmentLimits;
}

/** The limits as the person reads them: how many files, of which types, how many megabytes each or together. */
function attachmentTerms(limits: FormAttachmentLimits) {
  const megabytes = (bytes: number) => String(Math.round((bytes / 1_048_576) * 10) / 10);
  return { files: String(limits.maxFiles), types: limits.types.map((t) => t.extensions[0]!.toUpperCase()).join(', '), size: megabytes(limits.maxFileBytes), total: megabytes(limits.maxTotalBytes) };
}

const EMPTY_FORM: FormValues = { types: ['access'], email: '', name: '', message: '', changes: {} };
const INPUT_TYPE: Record<CorrectableType, string> = { text: 'text', phone: 'tel', email: 'email', date: 'date', iin: 'text' };

/**
 * The privacy page's form; with `problems`, the same form again with everything typed kept and each problem next to
 * its field (the page's language), listed first for a screen reader. The idempotency key makes a double-clicked
 * submit one request.
 */
export async function requestFormPage(language: Language, settings: FormSettings, values: FormValues = EMPTY_FORM, problems: ReadonlyMap<string, string> = new Map()): Promise<string> {
  const m = await loadMessages(language);
  const problemOf = (field: string) => {
    const problem = problems.get(field);
    return problem ? { attributes: ` aria-invalid="true" aria-describedby="problem-${field.replace('.', '-')}"`, note: `<p class="error" id="problem-${field.replace('.', '-')}">${escapeHtml(problem)}</p>` } : { attributes: '', note: '' };
  };
  const typesProblem = problemOf('types');
  const types = REQUEST_TYPES.map(
    (type) => `<label><input type="checkbox" name="types" value="${type}"${values.types.includes(type) ? ' checked' : ''}> ${escapeHtml(m.typeName(type))}</label>`,
  ).join('\n');
  const answerLanguage = values.language ?? language;
  // Each language by its own name, in its own language: the form offers every language, so it loads them all.
  const inEach = await Promise.all(LANGUAGES.map((l) => loadMessages(l)));
  const languages = inEach
    .map(({ language: l, languageName }) => `<option value="${l}"${l === answerLanguage ? ' selected' : ''}>${escapeHtml(languageName)}</option>`)
    .join('');
  const input = (field: 'email' | 'name', type: string, autocomplete: string, required: boolean) => {
    const problem = problemOf(field);
    return `<label for="${field}">${escapeHtml(m.page(`${field}Label`))}</label>
<input id="${field}" type="${type}" name="${field}"${required ? ' required' : ''} autocomplete="${autocomplete}" maxlength="${settings.limits[field]}" value="${escapeHtml(values[field])}"${problem.attributes}>${problem.note}`;
  };
  const messageProblem = problemOf('message');
  const attachmentsProblem = problemOf('attachments');
  const terms = attachmentTerms(settings.attachments);
  const accept = settings.attachments.types.flatMap((t) => [t.mediaType, ...t.extensions.map((e) => `.${e}`)]).join(',');
  const changes = [...settings.correctable.values()].map(({ field, type, label }) => {
    const problem = problemOf(`changes.${field}`);
    return `<label for="change-${field}">${escapeHtml(localize(label, language))}</label>
<input id="change-${field}" type="${INPUT_TYPE[type]}" name="changes.${field}" maxlength="${settings.limits.change}" value="${escapeHtml(values.changes[field] ?? '')}"${problem.attributes}>${problem.note}`;
  });
  const summary = problems.size
    ? `<div role="alert" class="problems"><p>${escapeHtml(m.page('problemsIntro'))}</p><ul>${[...problems.entries()].map(([field, problem]) => `<li><a href="#${anchorOf(field)}">${escapeHtml(problem)}</a></li>`).join('')}</ul></div>`
    : '';
  return layout(
    language,
    m.page('formTitle'),
    `<p>${escapeHtml(settings.operatorName)}</p><p>${escapeHtml(m.page('formIntro'))}</p>
${summary}<form method="post" action="/api/requests?lang=${language}" enctype="multipart/form-data">
<fieldset id="types"${typesProblem.attributes ? ' aria-describedby="problem-types"' : ''}><legend>${escapeHtml(m.page('typeLabel'))}</legend>
${types}
</fieldset>${typesProblem.note}
${input('email', 'email', 'email', true)}
${input('name', 'text', 'name', false)}
<label for="message">${escapeHtml(m.page('messageLabel'))}</label>
<p class="hint" id="message-hint">${escapeHtml(m.page('messageHint', { max: String(settings.limits.message) }))}</p>
<textarea id="message" name="message" rows="6" maxlength="${settings.limits.message}" aria-describedby="message-hint${messageProblem.note ? ' problem-message' : ''}"${messageProblem.note ? ' aria-invalid="true"' : ''}>${escapeHtml(values.message)}</textarea>${messageProblem.note}
<label for="attachments">${escapeHtml(m.page('attachmentsLabel'))}</label>
<p class="hint" id="attachments-hint">${escapeHtml(m.page('attachmentsHint', terms))}</p>
<input id="attachments" type="file" name="attachments" multiple accept="${accept}" aria-describedby="attachments-hint${attachmentsProblem.note ? ' problem-attachments' : ''}"${attachmentsProblem.note ? ' aria-invalid="true"' : ''}>${attachmentsProblem.note}
${changes.length ? `<fieldset><legend>${escapeHtml(m.page('changesLegend'))}</legend>\n${changes.join('\n')}\n</fieldset>` : ''}
<label for="language">${escapeHtml(m.page('languageLabel'))}</label><select id="language" name="language">${languages}</select>
<button type="submit">${escapeHtml(m.page('submit'))}</button>
</form>`,
  );
}

const CHANGE_PROBLEM: Record<CorrectableType, 'problemChangeText' | 'problemChangePhone' | 'problemChangeEmail' | 'problemChangeDate' | 'problemChangeIin'> = {
  text: 'problemChangeText',
  phone: 'problemChangePhone',
  email: 'problemChangeEmail',
  date: 'problemChangeDate',
  iin: 'problemChangeIin',
};

/**
 * The problems of a submission as the person reads them next to each field, in the page's language: what to write,
 * never the validator's words (and never the value typed).
 */
export async function formProblems(language: Language, problems: readonly FieldProblem[], values: FormValues, settings: Pick<FormSettings, 'correctable' | 'limits' | 'attachments'>): Promise<Map<string, string>> {
  const m = await loadMessages(language);
  const texts = new Map<string, string>();
  const terms = attachmentTerms(settings.attachments);
  for (const { field, message, kind, more } of problems) {
    // Before the fields by name: a field the form does not have may be named like one it has ("typesX").
    if (kind === 'unknownField') texts.set(field, more ? m.page('problemUnknownFieldMore', { field, more: String(more) }) : m.page('problemUnknownField', { field }));
    else if (field === 'attachments') {
      // One line for the field, the first file's problem (form-attachments.ts: "problem" or "problem:file name").
      if (texts.has(field)) continue;
      const [problem, ...name] = message.split(':');
      const file = { name: name.join(':') };
      const text =
        problem === 'tooMany' ? m.page('problemAttachmentsTooMany', terms)
        : problem === 'tooLarge' ? m.page('problemAttachmentTooLarge', { ...file, size: terms.size })
        : problem === 'totalTooLarge' ? m.page('problemAttachmentsTotal', { size: terms.total })
        : problem === 'empty' ? m.page('problemAttachmentEmpty', file)
        : m.page('problemAttachmentType', { ...file, types: terms.types });
      texts.set(field, text);
    } else if (field.startsWith('types')) texts.set('types', m.page('problemTypes'));
    else if (field === 'email') texts.set(field, m.page('problemEmail', { max: String(settings.limits.email) }));
    else if (field === 'name') texts.set(field, m.page('problemName', { max: String(settings.limits.name) }));
    else if (field === 'message') {
      const without = !values.message.trim();
      const correctionWithout = without && values.types.includes('rectification') && !Object.values(values.changes).some((value) => value.trim());
      texts.set(
        field,
        without && values.types.includes('claim') ? m.page('problemClaimMessage')
        : correctionWithout ? m.page('problemCorrectionMessage')
        : m.page('problemMessage', { max: String(settings.limits.message) }),
      );
    } else if (field === 'language') texts.set(field, m.page('problemLanguage'));
    else if (field.startsWith('changes.') && settings.correctable.has(field.slice('changes.'.length))) {
      const type = settings.correctable.get(field.slice('changes.'.length))!.type;
      texts.set(field, m.page(CHANGE_PROBLEM[type], { max: String(settings.limits.change) }));
    } else if (field.startsWith('changes')) texts.set('changes', m.page('problemChangeUnknown'));
    // Only a hand-made post gets here (a file under another field, a broken key): the field named, never the validator's words.
    else texts.set(field, m.page('problemField', { field }));
  }
  return texts;
}

/** Where a problem's link in the summary leads: the field's input. */
function anchorOf(field: string): string {
  if (field.startsWith('changes.')) return `change-${field.slice('changes.'.length)}`;
  return field === 'types' ? 'types' : field;
}

/**
 * A GET only shows a page like this; acting takes the POST its button sends, because mail scanners follow
 * links. `lines` say what the button is for (which request, which file).
 */
function buttonPage(language: Language, title: string, lines: string[], button: string, action: string, field: string, value: string, query = '', choices = '', second?: { name: string; label: string }): string {
  const secondButton = second ? `\n<button type="submit" name="${second.name}" value="1">${escapeHtml(second.label)}</button>` : '';
  return layout(
    language,
    title,
    `${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')}
<form method="post" action="${action}?lang=${language}${query}"><input type="hidden" name="${field}" value="${escapeHtml(value)}">${choices}
<button type="submit">${escapeHtml(button)}</button>${secondButton}</form>`,
  );
}

/** What a confirmation page says of a request it lists. */
type ListedRequest = Pick<DataSubjectRequest, 'id' | 'types' | 'changes' | 'channel' | 'receivedAt' | 'entry' | 'deadline'>;

/**
 * What a request asks for, as its author reads it; for a correction, the fields it changes too, by the profile's own
 * labels — only those the profile declares correctable (a profile that declares none takes any name, typed by
 * whoever made the request), and never the new values: anyone may type those.
 */
function askedFor(m: Messages, request: ListedRequest, correctable: ReadonlyMap<string, CorrectableField>): string {
  const fields = Object.keys(request.changes ?? {}).flatMap((field) => {
    const declared = correctable.get(field);
    return declared ? [localize(declared.label, m.language)] : [];
  });
  return m.askedFor(request.types, fields);
}

/**
 * A request as the link's page names it, so the person can tell which are theirs (two corrections read alike by type
 * alone): its reference and what it asks for, how and when it came in and when it is due, the times in the request's
 * own zone. Nothing anyone typed — not its message, a name, the values of a correction, a mail's subject: a stranger
 * could fill those in the person's name, and the page would carry their words to the person.
 */
function listedRequest(m: Messages, request: ListedRequest, correctable: ReadonlyMap<string, CorrectableField>): string {
  return m.page(request.types.length ? 'confirmRequest' : 'confirmUnclassified', {
    reference: request.id,
    types: askedFor(m, request, correctable),
    channel: m.requestChannel(request.channel),
    receivedAt: m.received(request),
    // A late entry's receipt promised a later date than the law's, already past: the page keeps to the promise.
    dueAt: m.date(answerDueAt(request), request.deadline.timeZone),
  });
}

/**
 * The confirmation page, in the language its link asks for: the requests waiting on the link (see listedRequest).
 * One is confirmed by the button; several — the one the link was mailed for and those made for the address since,
 * which joined it — are boxes, none ticked: any of them may be a stranger's made in the person's name, the first
 * included, so the person confirms only what they tick, told before they press that the others are closed and that
 * the link works once. The form always sends `references` (an empty one beside the boxes), so that no box ticked is
 * told apart from an API call that names none. A second button (`none`) says none of them is the person's: all are
 * closed, and the address's budget is given back (disownVerification).
 */
export async function confirmPage(language: Language, requests: readonly ListedRequest[], code: string, correctable: ReadonlyMap<string, CorrectableField>): Promise<string> {
  const m = await loadMessages(language);
  if (requests.length === 1) {
    const only = requests[0]!;
    const lines = [listedRequest(m, only, correctable), m.page('confirmIntro'), m.page('disownOneIntro')];
    return buttonPage(language, m.page('confirmTitle'), lines, m.page('confirmButton'), '/verify', 'code', code, '', `<input type="hidden" name="references" value="${escapeHtml(only.id)}">`, { name: 'none', label: m.page('disownOneButton') });
  }
  const choices = `<input type="hidden" name="references" value="">\n<fieldset><legend>${escapeHtml(m.page('confirmChoose'))}</legend>\n${requests
    .map((request) => `<label><input type="checkbox" name="references" value="${escapeHtml(request.id)}"> ${escapeHtml(listedRequest(m, request, correctable))}</label>`)
    .join('\n')}\n</fieldset>\n<p>${escapeHtml(m.page('confirmOnce'))}</p>\n<p>${escapeHtml(m.page('disownIntro'))}</p>`;
  return buttonPage(language, m.page('confirmTitleSeveral'), [], m.page('confirmButton'), '/verify', 'code', code, '', choices, { name: 'none', label: m.page('disownButton') });
}

/** What a press of "None of these are mine" did, in the language of the link: the references it closed. */
export async function disownedPage(language: Language, closed: readonly string[]): Promise<string> {
  const m = await loadMessages(language);
  const said = closed.length === 1 ? m.page('disownedOne', { reference: closed[0]! }) : m.page('disowned', { references: closed.join(', ') });
  return messagePage(language, m.page(closed.length === 1 ? 'confirmTitle' : 'confirmTitleSeveral'), said);
}

/**
 * What a press of "Confirm" did, in the language of the link: each request confirmed with the date its answer is due
 * by (in its own zone), and the references left unconfirmed, which will be closed.
 */
export async function confirmedPage(language: Language, confirmed: readonly ListedRequest[], notConfirmed: readonly string[], correctable: ReadonlyMap<string, CorrectableField>): Promise<string> {
  const m = await loadMessages(language);
  const dueAt = (request: ListedRequest) => m.date(answerDueAt(request), request.deadline.timeZone);
  const first = confirmed[0]!;
  const done =
    confirmed.length === 1
      ? `<p>${escapeHtml(m.page('confirmed', { reference: first.id, dueAt: dueAt(first) }))}</p>`
      : `<p>${escapeHtml(m.page('confirmedSeveral'))}</p>\n<ul>\n${confirmed
          .map((request) => `<li>${escapeHtml(m.page('confirmedDue', { reference: request.id, types: askedFor(m, request, correctable), dueAt: dueAt(request) }))}</li>`)
          .join('\n')}\n</ul>`;
  // Those left unticked are closed as the press is answered (closeUnticked): said so, in the number they are.
  const unconfirmed = notConfirmed.length === 1 ? m.page('confirmedNotOther', { reference: notConfirmed[0]! }) : m.page('confirmedNotOthers', { references: notConfirmed.join(', ') });
  const left = notConfirmed.length ? `\n<p>${escapeHtml(unconfirmed)}</p>` : '';
  return layout(language, m.page(confirmed.length + notConfirmed.length > 1 ? 'confirmTitleSeveral' : 'confirmTitle'), `${done}${left}`);
}

/** The download page: says which format the link gives before the button spends it. */
export async function downloadPage(language: Language, format: 'html' | 'json', token: string): Promise<string> {
  const m = await loadMessages(language);
  return buttonPage(language, m.page('downloadTitle'), [m.page(format === 'html' ? 'downloadIntroHtml' : 'downloadIntroJson')], m.page('downloadButton'), '/download', 'token', token, `&format=${format}`);
}

export function messagePage(language: Language, title: string, message: string | readonly string[], isError = false): string {
  return layout(language, title, [message].flat().map((paragraph) => `<p${isError ? ' class="error"' : ''}>${escapeHtml(paragraph)}</p>`).join('\n'));
}
