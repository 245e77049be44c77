// The frame of every console page: language, skip link, header with navigation and the language choice, who is
// signed in, and one place where a failed call is told in words.
import { api, ApiError, requireSignIn, signOut } from './api.js';
import { chooseLanguage, chosenLanguage, el, LANGUAGES, loadTexts } from './texts.js';

/** What is wrong with one field, in the operator's language: the problem's kind as rules/console `problems` words it. */
function problemText(texts, f) {
  const words = f.kind ? texts.maybe(`problems.${f.kind}`, { limit: f.limit }, undefined) : undefined;
  // A problem the console has no words for: in English as the API says it, elsewhere "check this value".
  return words ?? (texts.language === 'en' ? f.message : texts.t('problems.invalid'));
}

/** Problems of a refused call, as a list the operator reads: each field by its label with what is wrong, or the message. */
export function problemList(texts, error) {
  if (error instanceof ApiError) {
    if (error.status === 401) return [texts.t('common.unauthorized')];
    if (error.status === 403) return [texts.t('common.forbidden')];
    // Another operator (or the workflow) moved the request on since the page was read.
    if (error.status === 404 || error.status === 409) return [texts.t('common.stale')];
    const fields = Array.isArray(error.body.fields) ? error.body.fields : [];
    if (fields.length) return fields.map((f) => texts.t('common.fieldProblem', { field: fieldLabel(texts, f.field), message: problemText(texts, f) }));
  }
  return [texts.t('common.error', { message: error.message })];
}

/**
 * Puts each field problem of a refused call beside its field in `form` (`fieldIds` maps the API's field to the
 * form's element id, where they differ), marked invalid and described by it; returns whether any found a place.
 */
export function markFieldProblems(form, texts, error, fieldIds = {}) {
  for (const old of form.querySelectorAll('.field-problem')) old.remove();
  for (const invalid of form.querySelectorAll('[aria-invalid]')) {
    invalid.removeAttribute('aria-invalid');
    invalid.setAttribute('aria-describedby', (invalid.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => !id.endsWith('-problem')).join(' '));
  }
  const fields = error instanceof ApiError && Array.isArray(error.body.fields) ? error.body.fields : [];
  let placed = false;
  for (const f of fields) {
    const name = String(f.field);
    const id = fieldIds[name] ?? fieldIds[name.split('.')[0]] ?? (name.startsWith('changes.') ? `change-${name.slice('changes.'.length)}` : name.split('.')[0]);
    const target = form.querySelector(`#${CSS.escape(id)}`);
    if (!target) continue;
    const problemId = `${id}-problem`;
    target.setAttribute('aria-invalid', 'true');
    target.setAttribute('aria-describedby', [target.getAttribute('aria-describedby'), problemId].filter(Boolean).join(' '));
    target.after(el('p', { class: 'field-problem', id: problemId }, problemText(texts, f)));
    placed = true;
  }
  return placed;
}

/** An alert (read out at once) with the problems of a refused call. */
export function problemBox(texts, error) {
  return el('div', { class: 'problems', role: 'alert' }, el('p', {}, texts.t('common.problemsIntro')), el('ul', {}, problemList(texts, error).map((p) => el('li', {}, p))));
}

/** The words an operator saw on the form for a field the API names (its own name where the form has none). */
const FIELD_LABELS = {
  reason: 'actions.reason', basis: 'actions.basis', answer: 'actions.answer', changes: 'actions.changesLegend', types: 'enter.types',
  text: 'actions.writeText', channel: 'enter.channel', receivedAt: 'enter.receivedAt', email: 'enter.email', name: 'enter.name',
  language: 'enter.language', message: 'enter.message', identity: 'enter.identityLegend', attestation: 'enter.attestation',
};
function fieldLabel(texts, field) {
  const key = FIELD_LABELS[String(field).split('.')[0]];
  return key ? texts.t(key) : String(field);
}

/**
 * A file saved under the name the server gave it — never opened in the page, whatever it holds (a mail as it arrived,
 * a person's attachment, an evidence pack). A stored file comes as a link to itself that lives a minute: the browser
 * fetches it from storage as a download, without the operator's token, whatever its size. A file made on the spot
 * (an evidence pack) comes as bytes. `attributes` go on the button.
 */
export function downloadButton(path, label, attributes = {}) {
  return el(
    'button',
    {
      type: 'button',
      class: 'secondary',
      ...attributes,
      onclick: async () => {
        const answer = await api(path);
        if (!(answer instanceof File)) return el('a', { href: answer.url, rel: 'noreferrer' }).click();
        const link = el('a', { href: URL.createObjectURL(answer), download: answer.name || '' });
        link.click();
        setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      },
    },
    label,
  );
}

/** Whether the signed-in operator may act on requests (a viewer reads only; the server enforces it either way). */
export const mayAct = (who) => who?.role === 'decider' || who?.role === 'admin';

function header(texts, current, who) {
  const select = el(
    'select',
    { id: 'console-language', onchange: (event) => (chooseLanguage(event.target.value), location.reload()) },
    LANGUAGES.map((l) => el('option', { value: l, selected: l === texts.language }, texts.t(`languages.${l}`))),
  );
  const link = (href, label, name) => el('li', {}, el('a', { href, 'aria-current': current === name ? 'page' : undefined }, label));
  return el(
    'header',
    { class: 'top' },
    el('p', { class: 'brand' }, texts.t('common.title')),
    el(
      'nav',
      { 'aria-label': texts.t('common.title') },
      el(
        'ul',
        {},
        link('/console', texts.t('common.navInbox'), 'inbox'),
        link('/console/held-mail', texts.t('common.navHeldMail'), 'held-mail'),
        mayAct(who) ? link('/console/enter', texts.t('common.navEnter'), 'enter') : '',
        link('/console/reports', texts.t('common.navReports'), 'reports'),
      ),
    ),
    el('p', { class: 'language' }, el('label', { for: 'console-language' }, texts.t('common.languageLabel')), ' ', select),
  );
}

/** Who is signed in, and the way out. */
function signedIn(texts, who) {
  return el('p', { class: 'operator' }, `${texts.t('common.signedInAs')} ${who?.email ?? ''} `, el('button', { type: 'button', onclick: () => signOut() }, texts.t('common.signOut')));
}

/**
 * Builds the page: `render(main, texts)` fills the content once an operator is signed in (auth.js sends anyone else
 * to the sign-in page, and back here after it); a failure is told in the operator's language.
 */
export async function consolePage(current, render) {
  const texts = await loadTexts(chosenLanguage());
  document.documentElement.lang = texts.language;
  const main = el('main', { id: 'main', tabindex: '-1' }, el('p', { role: 'status' }, texts.t('common.loading')));
  const who = await requireSignIn();
  const top = header(texts, current, who);
  top.append(signedIn(texts, who));
  document.body.replaceChildren(el('a', { class: 'skip', href: '#main' }, texts.t('common.skip')), top, main);
  try {
    await render(main, texts, who);
  } catch (error) {
    main.replaceChildren(problemBox(texts, error));
  }
}
