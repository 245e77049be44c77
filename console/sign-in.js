// Drives the sign-in page (/console/sign-in) through Cognito's flow: password, new password, TOTP.
import { cognito, config, storeTokens } from '/console/auth.js';
import { chooseLanguage } from '/console/texts.js';

const texts = JSON.parse(document.getElementById('sign-in-texts').textContent);
const alert = document.getElementById('sign-in-problem');
const steps = ['password', 'new-password', 'mfa-setup', 'mfa'];
const state = { email: '', session: '' };

function show(step) {
  for (const name of steps) document.getElementById('step-' + name).hidden = name !== step;
  const first = document.querySelector('#step-' + step + ' input');
  if (first) first.focus();
}

function problem(text) {
  alert.textContent = text || '';
  alert.hidden = !text;
}

const ERRORS = {
  NotAuthorizedException: function (e) {
    if (/attempts exceeded/i.test(e.message)) return texts.errorLocked;
    if (/expired/i.test(e.message) && /temporary/i.test(e.message)) return texts.errorTemporaryExpired;
    if (/session/i.test(e.message)) return texts.errorSession;
    return texts.errorCredentials;
  },
  UserNotFoundException: function () { return texts.errorCredentials; },
  PasswordResetRequiredException: function () { return texts.errorTemporaryExpired; },
  InvalidPasswordException: function () { return texts.errorPasswordPolicy; },
  CodeMismatchException: function () { return texts.errorCode; },
  EnableSoftwareTokenMFAException: function () { return texts.errorCode; },
  ExpiredCodeException: function () { return texts.errorCode; },
  TooManyRequestsException: function () { return texts.errorLocked; },
  TooManyFailedAttemptsException: function () { return texts.errorLocked; },
};

function explain(error) {
  const known = ERRORS[error.type];
  return known ? known(error) : texts.errorUnavailable;
}

function destination() {
  const next = new URLSearchParams(location.search).get('next') || '';
  // Only a page of the console, never another site.
  return /^\/console(\/|$|\?)/.test(next) && !next.startsWith('//') ? next : '/console';
}

async function advance(result) {
  if (result.AuthenticationResult) {
    storeTokens(result.AuthenticationResult);
    // The language the operator signed in in is the console's from now on (they may change it there).
    chooseLanguage(document.documentElement.lang);
    problem('');
    document.getElementById('signed-in').hidden = false;
    for (const name of steps) document.getElementById('step-' + name).hidden = true;
    location.assign(destination());
    return;
  }
  state.session = result.Session;
  if (result.ChallengeName === 'NEW_PASSWORD_REQUIRED') return show('new-password');
  if (result.ChallengeName === 'SOFTWARE_TOKEN_MFA') return show('mfa');
  if (result.ChallengeName === 'MFA_SETUP') {
    const association = await cognito('AssociateSoftwareToken', { Session: state.session });
    state.session = association.Session;
    const secret = association.SecretCode;
    document.getElementById('totp-secret').textContent = secret.replace(/(.{4})/g, '$1 ').trim();
    const issuer = texts.issuer;
    document.getElementById('totp-uri').textContent = 'otpauth://totp/' + encodeURIComponent(issuer + ':' + state.email) + '?secret=' + secret + '&issuer=' + encodeURIComponent(issuer) + '&algorithm=SHA1&digits=6&period=30';
    return show('mfa-setup');
  }
  throw Object.assign(new Error('unexpected challenge ' + result.ChallengeName), { type: 'Unavailable' });
}

function onSubmit(id, handler) {
  document.getElementById(id).addEventListener('submit', async function (event) {
    event.preventDefault();
    const button = event.target.querySelector('button');
    button.disabled = true;
    try {
      await handler(new FormData(event.target));
    } catch (error) {
      problem(explain(error));
      // A spent or expired sign-in session starts again from the password.
      if (error.type === 'NotAuthorizedException' && /session/i.test(error.message)) show('password');
    } finally {
      button.disabled = false;
    }
  });
}

onSubmit('form-password', async function (data) {
  const c = await config();
  state.email = String(data.get('email')).trim();
  problem('');
  await advance(await cognito('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: c.clientId, AuthParameters: { USERNAME: state.email, PASSWORD: String(data.get('password')) } }));
});

onSubmit('form-new-password', async function (data) {
  const c = await config();
  if (data.get('newPassword') !== data.get('repeatPassword')) return problem(texts.errorPasswordsDiffer);
  problem('');
  await advance(await cognito('RespondToAuthChallenge', { ChallengeName: 'NEW_PASSWORD_REQUIRED', ClientId: c.clientId, Session: state.session, ChallengeResponses: { USERNAME: state.email, NEW_PASSWORD: String(data.get('newPassword')) } }));
});

onSubmit('form-mfa-setup', async function (data) {
  const c = await config();
  problem('');
  const verified = await cognito('VerifySoftwareToken', { Session: state.session, UserCode: String(data.get('code')).replace(/\s/g, ''), FriendlyDeviceName: 'derbes console' });
  state.session = verified.Session;
  await advance(await cognito('RespondToAuthChallenge', { ChallengeName: 'MFA_SETUP', ClientId: c.clientId, Session: state.session, ChallengeResponses: { USERNAME: state.email } }));
});

onSubmit('form-mfa', async function (data) {
  const c = await config();
  problem('');
  await advance(await cognito('RespondToAuthChallenge', { ChallengeName: 'SOFTWARE_TOKEN_MFA', ClientId: c.clientId, Session: state.session, ChallengeResponses: { USERNAME: state.email, SOFTWARE_TOKEN_MFA_CODE: String(data.get('code')).replace(/\s/g, '') } }));
});

show('password');
