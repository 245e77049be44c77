// The console's texts (rules/console/<language>.json, served as /console/texts.<language>.json), the operator's
// choice of language, and the few helpers every page uses to build its content safely: text, never HTML.

export const LANGUAGES = ['ru', 'kk', 'en'];
const LANGUAGE_STORAGE = 'derbes.console.language';
const LOCALES = { ru: 'ru-RU', kk: 'kk-KZ', en: 'en-GB' };

/** The operator's language: chosen before in this browser, else the browser's own if the console has it, else Russian. */
export function chosenLanguage() {
  const stored = localStorage.getItem(LANGUAGE_STORAGE);
  if (LANGUAGES.includes(stored)) return stored;
  const browser = (navigator.language ?? '').slice(0, 2);
  return LANGUAGES.includes(browser) ? browser : 'ru';
}

export function chooseLanguage(language) {
  if (LANGUAGES.includes(language)) localStorage.setItem(LANGUAGE_STORAGE, language);
}

/** The texts of one language, with `t(path, values)` (path: group.name) filling `{placeholders}`. */
export async function loadTexts(language) {
  const response = await fetch(`/console/texts.${language}.json`);
  if (!response.ok) throw new Error(`texts for ${language}: HTTP ${response.status}`);
  const catalog = await response.json();
  const t = (path, values = {}) => {
    const dot = path.indexOf('.');
    const text = catalog[path.slice(0, dot)]?.[path.slice(dot + 1)];
    if (typeof text !== 'string') throw new Error(`no console text ${path}`);
    return text.replace(/\{(\w+)\}/g, (_, name) => (values[name] === undefined ? `{${name}}` : String(values[name])));
  };
  /** A text that may not exist (a code the console has no words for): the fallback then. */
  const maybe = (path, values, fallback) => {
    try {
      return t(path, values);
    } catch {
      return fallback;
    }
  };
  // Numeric dates: the browsers' Kazakh month names in a medium date are not Kazakh ("2026 M11 30").
  const DAY = { year: 'numeric', month: '2-digit', day: '2-digit' };
  const format = (iso, timeZone, options) => (iso ? new Intl.DateTimeFormat(LOCALES[language], { ...options, ...(timeZone ? { timeZone } : {}) }).format(new Date(iso)) : t('common.none'));
  const dateTime = (iso, timeZone) => format(iso, timeZone, { ...DAY, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const date = (iso, timeZone) => format(iso, timeZone, DAY);
  return { language, t, maybe, dateTime, date };
}

/**
 * Characters that change how the text around them reads without showing themselves: direction overrides and
 * isolates, direction marks, zero-width spaces and the byte-order mark. (Joiners stay: scripts and emoji need them.)
 */
const HIDDEN_CONTROLS = /[\u200B\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/g;

/**
 * Text a person (or anyone who wrote in) supplied, shown as written and no more: isolated from the page's direction
 * in a <bdi>, and every hidden control shown as its code point, so "Сәлем\u202Egnp.exe" reads as what it is.
 */
export function personText(value) {
  const visible = String(value).replace(HIDDEN_CONTROLS, (c) => `⟦U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}⟧`);
  return el('bdi', {}, visible);
}

/**
 * An element with attributes and children; strings become text nodes, so nothing a person typed is ever read as
 * HTML. `on` attributes (onclick, onsubmit…) take functions.
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false || value === null) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
