// The frame of every console page: language, skip link, header with navigation and the language choice, who is
// signed in, and one place where a failed call is told in words.
import { ApiError, requireSignIn, signOut } from './api.js';
import { chooseLanguage, chosenLanguage, el, LANGUAGES, loadTexts } from './texts.js';

/** Problems of a refused call, as a list the operator reads: each field with what is wrong, or the message. */
export function problemList(texts, error) {
  if (error instanceof ApiError) {
    if (error.status === 401) return [texts.t('common.unauthorized')];
    if (error.status === 403) return [texts.t('common.forbidden')];
    // Another operator (or the workflow) moved the request on since the page was read.
    if (error.status === 404 || error.status === 409) return [texts.t('common.stale')];
    const fields = Array.isArray(error.body.fields) ? error.body.fields : [];
    // The API explains in English; a Russian or Kazakh page names the field in its own words and asks to check it.
    if (fields.length) return fields.map((f) => texts.language === 'en' ? texts.t('common.fieldProblem', { field: fieldLabel(texts, f.field), message: f.message }) : texts.t('common.fieldCheck', { field: fieldLabel(texts, f.field) }));
  }
  return [texts.t('common.error', { message: error.message })];
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
    el('nav', { 'aria-label': texts.t('common.title') }, el('ul', {}, link('/console', texts.t('common.navInbox'), 'inbox'), mayAct(who) ? link('/console/enter', texts.t('common.navEnter'), 'enter') : '', link('/console/reports', texts.t('common.navReports'), 'reports'))),
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
