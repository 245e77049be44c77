// The one module that holds the operator's tokens (sessionStorage, key `derbes.console.session`) and talks to the
// user pool. Console pages import it:
//   requireSignIn()  no session (or refresh failed) → the sign-in page, back here afterwards
//   operator()       { sub, email, groups, role } from the ID token (role: the highest group, or null)
//   apiFetch(path, init)  fetch('/console/api' + path) with the ID token; refreshes first when it is about to
//                    expire; a 401 → one refresh and a retry, then the sign-in page
//   idToken()        a valid ID token, or null
//   signOut()        revokes the refresh token at the user pool (it can mint no more tokens), forgets the tokens,
//                    then the sign-in page
const STORAGE_KEY = 'derbes.console.session';
const ROLES = ['viewer', 'decider', 'admin'];
let configuration;

export function config() {
  configuration = configuration || fetch('/console/config.json', { cache: 'no-store' }).then(function (r) {
    if (!r.ok) throw new Error('console configuration: ' + r.status);
    return r.json();
  });
  return configuration;
}

/** One call of the user pool's JSON API; an error carries Cognito's type (NotAuthorizedException, …). */
export async function cognito(operation, body) {
  const c = await config();
  let response;
  try {
    response = await fetch(c.cognitoEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.' + operation },
      body: JSON.stringify(body),
    });
  } catch (cause) {
    const error = new Error('the sign-in service cannot be reached');
    error.type = 'Unavailable';
    throw error;
  }
  const json = await response.json().catch(function () { return {}; });
  if (!response.ok) {
    const error = new Error(json.message || json.Message || String(response.status));
    error.type = String(json.__type || response.headers.get('x-amzn-errortype') || 'Unavailable').split('#').pop().split(':')[0];
    throw error;
  }
  return json;
}

function claims(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(part), function (c) { return c.charCodeAt(0); });
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
  } catch (error) {
    return null;
  }
}

/** Keeps the tokens of a sign-in (or a refresh, which brings no new refresh token). */
export function storeTokens(result) {
  const previous = session();
  const id = claims(result.IdToken);
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    refreshToken: result.RefreshToken || (previous && previous.refreshToken),
    expiresAt: id.exp * 1000,
    email: id.email,
  }));
}

export function operator() {
  const s = session();
  if (!s) return null;
  const c = claims(s.idToken);
  const groups = Array.isArray(c['cognito:groups']) ? c['cognito:groups'] : [];
  const role = ROLES.slice().reverse().find(function (r) { return groups.includes(r); }) || null;
  return { sub: c.sub, email: c.email, groups: groups, role: role };
}

async function refresh() {
  const s = session();
  if (!s || !s.refreshToken) return false;
  try {
    const c = await config();
    const result = await cognito('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: c.clientId, AuthParameters: { REFRESH_TOKEN: s.refreshToken } });
    storeTokens(result.AuthenticationResult);
    return true;
  } catch (error) {
    if (error.type !== 'Unavailable') sessionStorage.removeItem(STORAGE_KEY);
    return false;
  }
}

export async function idToken() {
  const s = session();
  if (!s) return null;
  if (s.expiresAt - Date.now() < 60000 && !(await refresh())) return null;
  return session().idToken;
}

function toSignIn() {
  const lang = document.documentElement.lang || 'ru';
  location.assign('/console/sign-in?lang=' + encodeURIComponent(lang) + '&next=' + encodeURIComponent(location.pathname + location.search));
  return new Promise(function () {});
}

export async function requireSignIn() {
  if (!(await idToken())) await toSignIn();
  return operator();
}

export async function apiFetch(path, init) {
  const options = init || {};
  const call = async function () {
    const token = await idToken();
    if (!token) return null;
    const headers = Object.assign({}, options.headers || {}, { authorization: 'Bearer ' + token });
    return fetch('/console/api' + path, Object.assign({}, options, { headers: headers }));
  };
  let response = await call();
  if (response && response.status === 401 && (await refresh())) response = await call();
  if (!response || response.status === 401) return toSignIn();
  return response;
}

export async function signOut() {
  const s = session();
  if (s && s.refreshToken) {
    // Even when the pool cannot be reached, the tokens are forgotten here; the ID token in hand ends at its expiry.
    try {
      await cognito('RevokeToken', { Token: s.refreshToken, ClientId: (await config()).clientId });
    } catch (error) {
      console.warn('the refresh token could not be revoked', error && error.type);
    }
  }
  sessionStorage.removeItem(STORAGE_KEY);
  location.assign('/console/sign-in?signedOut=1&lang=' + encodeURIComponent(document.documentElement.lang || 'ru'));
}
