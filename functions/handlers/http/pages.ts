import { REQUEST_TYPES, LANGUAGES, type Language, type RequestType } from '../../domain/request-types.ts';
import { escapeHtml } from '../../domain/html.ts';
import { messagesFor } from '../../domain/messages.ts';

function layout(language: Language, title: string, body: string): string {
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin-top:1rem}input,select{width:100%;padding:.4rem;font-size:1rem}
fieldset{margin-top:1rem}fieldset label{display:flex;gap:.5rem;margin:.2rem 0}fieldset input{width:auto}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}.error{color:#a00}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/** The privacy page's form. The idempotency key makes a double-clicked submit one request. */
export function requestFormPage(language: Language, operatorName: string, idempotencyKey: string): string {
  const m = messagesFor(language);
  const types = REQUEST_TYPES.map(
    (type) => `<label><input type="checkbox" name="types" value="${type}"${type === 'access' ? ' checked' : ''}> ${escapeHtml(m.typeName(type))}</label>`,
  ).join('\n');
  const languages = LANGUAGES.map(
    (l) => `<option value="${l}"${l === language ? ' selected' : ''}>${escapeHtml(messagesFor(l).languageName)}</option>`,
  ).join('');
  return layout(
    language,
    m.page('formTitle'),
    `<p>${escapeHtml(operatorName)}</p><p>${escapeHtml(m.page('formIntro'))}</p>
<form method="post" action="/api/requests">
<input type="hidden" name="idempotencyKey" value="${escapeHtml(idempotencyKey)}">
<fieldset><legend>${escapeHtml(m.page('typeLabel'))}</legend>
${types}
</fieldset>
<label>${escapeHtml(m.page('emailLabel'))}<input type="email" name="email" required autocomplete="email"></label>
<label>${escapeHtml(m.page('nameLabel'))}<input type="text" name="name" autocomplete="name"></label>
<label>${escapeHtml(m.page('languageLabel'))}<select name="language">${languages}</select></label>
<button type="submit">${escapeHtml(m.page('submit'))}</button>
</form>`,
  );
}

/**
 * A GET only shows a page like this; acting takes the POST its button sends, because mail scanners follow
 * links. `lines` say what the button is for (which request, which file).
 */
function buttonPage(language: Language, title: string, lines: string[], button: string, action: string, field: string, value: string, query = ''): string {
  return layout(
    language,
    title,
    `${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')}
<form method="post" action="${action}?lang=${language}${query}"><input type="hidden" name="${field}" value="${escapeHtml(value)}">
<button type="submit">${escapeHtml(button)}</button></form>`,
  );
}

/** The confirmation page: which request (reference and types, nothing personal), in the request's language. */
export function confirmPage(language: Language, request: { id: string; types: readonly RequestType[] }, code: string): string {
  const m = messagesFor(language);
  const what = request.types.length ? m.typeNames(request.types) : m.reviewReason('unclear');
  return buttonPage(language, m.page('confirmTitle'), [m.page('confirmRequest', { reference: request.id, types: what }), m.page('confirmIntro')], m.page('confirmButton'), '/verify', 'code', code);
}

/** The download page: says which format the link gives before the button spends it. */
export function downloadPage(language: Language, format: 'html' | 'json', token: string): string {
  const m = messagesFor(language);
  return buttonPage(language, m.page('downloadTitle'), [m.page(format === 'html' ? 'downloadIntroHtml' : 'downloadIntroJson')], m.page('downloadButton'), '/download', 'token', token, `&format=${format}`);
}

export function messagePage(language: Language, title: string, message: string, isError = false): string {
  return layout(language, title, `<p${isError ? ' class="error"' : ''}>${escapeHtml(message)}</p>`);
}
