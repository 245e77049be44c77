/**
 * Text for the operator's terminal. What derbes prints comes partly from strangers (a name typed on the public form,
 * a mail's subject and words): a control character in it would be obeyed by the terminal — erase a line, move the
 * cursor, set the clipboard (OSC 52) — and bidirectional overrides would reorder what the operator reads. Each such
 * character is shown as its escape instead; line breaks and tabs stay.
 */
const OBEYED = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function visible(text: string): string {
  return text.replace(OBEYED, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
