// The console's one way to the operator API: where it is and what authorises a call. When operators sign in as
// people, this is the file that changes (the base becomes /console/api and the token the signed-in one).

const API_BASE = '/operator';
const KEY_STORAGE = 'derbes.console.operatorKey';

/** An answer of the API that is not a success: its status and its JSON body ({error, message, fields}). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? {};
  }
}

/** Whether the console has what it needs to call the API; without it, the page asks for it first. */
export function hasCredentials() {
  return Boolean(sessionStorage.getItem(KEY_STORAGE));
}

/** Kept for this tab only (sessionStorage): closing the tab forgets it. */
export function setCredentials(key) {
  sessionStorage.setItem(KEY_STORAGE, key.trim());
}

export function forgetCredentials() {
  sessionStorage.removeItem(KEY_STORAGE);
}

/**
 * One call: JSON in, JSON (or a file, as a Blob) out. `idempotencyKey` makes a repeated submit (a double click, a
 * retry after a lost answer) one action on the server.
 */
export async function api(path, { method = 'GET', body, idempotencyKey } = {}) {
  const headers = { authorization: `Bearer ${sessionStorage.getItem(KEY_STORAGE) ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const response = await fetch(API_BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (response.headers.get('content-type') ?? '').includes('application/json');
  if (!response.ok) throw new ApiError(response.status, json ? await response.json() : { message: await response.text() });
  return json ? response.json() : response.blob();
}
