/**
 * Characters that change how the text around them is drawn — bidirectional embeddings, overrides, isolates and marks:
 * a name `Админ\u202E <b>` or a subject ending `\u202EEXE.TXT` reads otherwise than it is, in the console and in the
 * mails that echo it. A one-line text a stranger sent (a name, a subject) loses them; a form refuses them.
 */
const DIRECTION_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

export const withoutDirectionControls = (text: string): string => text.replace(DIRECTION_CONTROLS, '');

export const hasDirectionControls = (text: string): boolean => withoutDirectionControls(text) !== text;
