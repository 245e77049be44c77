// The console's one way to the operator API: /console/api with the signed-in operator's token (auth.js keeps it,
// refreshes it, and sends to the sign-in page when there is none).
import { apiFetch } from '/console/auth.js';

export { operator, requireSignIn, signOut } from '/console/auth.js';

/** An answer of the API that is not a success: its status and its JSON body ({error, message, fields}). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? {};
  }
}

/**
 * One call: JSON in, JSON (or a file, as a Blob) out. `idempotencyKey` makes a repeated submit (a double click, a
 * retry after a lost answer) one action on the server.
 */
export async function api(path, { method = 'GET', body, idempotencyKey } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const response = await apiFetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (response.headers.get('content-type') ?? '').includes('application/json');
  if (!response.ok) throw new ApiError(response.status, json ? await response.json() : { message: await response.text() });
  return json ? response.json() : new File([await response.blob()], downloadName(response.headers.get('content-disposition')), { type: response.headers.get('content-type') ?? '' });
}

/** The file name the server gave a download (its UTF-8 form first), or '' to let the browser choose. */
function downloadName(disposition) {
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '')?.[1];
  if (encoded) {
    try {
      return decodeURIComponent(encoded);
    } catch {
      // fall back to the plain name
    }
  }
  return /filename="([^"]*)"/i.exec(disposition ?? '')?.[1] ?? '';
}
