// The frame of every console page: language, skip link, header with navigation and the language choice, the
// operator key prompt while operators have no accounts, and one place where a failed call is told in words.
import { ApiError, requireSignIn, signOut } from './api.js';
import { chooseLanguage, chosenLanguage, el, LANGUAGES, loadTexts } from './texts.js';

/** Problems of a refused call, as a list the operator reads: each field with what is wrong, or the message. */
export function problemList(texts, error) {
  if (error instanceof ApiError) {
    if (error.status === 401) return [texts.t('common.unauthorized')];
    if (error.status === 403) return [texts.t('common.forbidden')];
    const fields = Array.isArray(error.body.fields) ? error.body.fields : [];
    if (fields.length) return fields.map((f) => texts.t('common.fieldProblem', { field: f.field, message: f.message }));
  }
  return [texts.t('common.error', { message: error.message })];
}

/** An alert (read out at once) with the problems of a refused call. */
export function problemBox(texts, error) {
  return el('div', { class: 'problems', role: 'alert' }, el('p', {}, texts.t('common.problemsIntro')), el('ul', {}, problemList(texts, error).map((p) => el('li', {}, p))));
}

function header(texts, current) {
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
    el('nav', { 'aria-label': texts.t('common.title') }, el('ul', {}, link('/console', texts.t('common.navInbox'), 'inbox'), link('/console/enter', texts.t('common.navEnter'), 'enter'), link('/console/reports', texts.t('common.navReports'), 'reports'))),
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
  const top = header(texts, current);
  top.append(signedIn(texts, who));
  document.body.replaceChildren(el('a', { class: 'skip', href: '#main' }, texts.t('common.skip')), top, main);
  try {
    await render(main, texts);
  } catch (error) {
    main.replaceChildren(problemBox(texts, error));
  }
}
