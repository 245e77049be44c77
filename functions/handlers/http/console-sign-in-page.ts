import { escapeHtml } from '../../domain/html.ts';
import { loadMessages } from '../../domain/messages.ts';
import { loadSignInTexts } from '../../domain/sign-in-texts.ts';
import { LANGUAGES, type Language } from '../../domain/request-types.ts';

/** The console's sign-in page in one language: its steps (password, new password, TOTP set-up, TOTP), driven by console/sign-in.js. */
export async function signInPage(language: Language, issuer: string, signedOut: boolean): Promise<string> {
  const t = await loadSignInTexts(language);
  const input = (name: string, label: string, type: string, autocomplete: string, extra = '') =>
    `<label for="${name}">${escapeHtml(label)}</label><input id="${name}" name="${name.replace(/^[a-z]+-/, '')}" type="${type}" autocomplete="${autocomplete}" required${extra}>`;
  const code = (id: string) => input(id, t.codeLabel, 'text', 'one-time-code', ' inputmode="numeric" pattern="[0-9 ]{6,7}" maxlength="7"');
  // Each language by its own name, in its own language.
  const languages = (await Promise.all(LANGUAGES.map((l) => loadMessages(l)))).map(({ language: l, languageName }) => {
    const name = escapeHtml(languageName);
    return l === language ? `<span aria-current="page" lang="${l}">${name}</span>` : `<a href="?lang=${l}" hreflang="${l}" lang="${l}">${name}</a>`;
  }).join(' · ');
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin-top:1rem}input{width:100%;padding:.4rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}.problem{border:2px solid #a00;color:#a00;padding:.5rem 1rem;margin:1rem 0}
code{display:block;word-break:break-all;background:#f3f3f3;padding:.4rem;font-size:1rem}nav{text-align:right}</style>
<script id="sign-in-texts" type="application/json">${JSON.stringify({ ...t, issuer }).replace(/</g, '\\u003c')}</script>
<script type="module" src="/console/sign-in.js"></script></head>
<body><nav aria-label="${escapeHtml(t.languageNav)}">${languages}</nav>
<main><h1>${escapeHtml(t.title)}</h1>
${signedOut ? `<p role="status">${escapeHtml(t.signedOut)}</p>` : ''}
<p id="sign-in-problem" class="problem" role="alert" hidden></p>
<p id="signed-in" role="status" hidden>${escapeHtml(t.signedIn)}</p>
<section id="step-password"><form id="form-password">
${input('email', t.emailLabel, 'email', 'username')}
${input('password', t.passwordLabel, 'password', 'current-password')}
<button type="submit">${escapeHtml(t.signIn)}</button></form></section>
<section id="step-new-password" hidden><form id="form-new-password"><p>${escapeHtml(t.newPasswordIntro)}</p>
${input('new-newPassword', t.newPasswordLabel, 'password', 'new-password', ' minlength="12"')}
${input('new-repeatPassword', t.repeatPasswordLabel, 'password', 'new-password', ' minlength="12"')}
<button type="submit">${escapeHtml(t.setPassword)}</button></form></section>
<section id="step-mfa-setup" hidden><form id="form-mfa-setup"><p>${escapeHtml(t.mfaSetupIntro)}</p>
<p>${escapeHtml(t.secretLabel)}:</p><code id="totp-secret"></code>
<p>${escapeHtml(t.uriLabel)}:</p><code id="totp-uri"></code>
${code('setup-code')}
<button type="submit">${escapeHtml(t.verifyCode)}</button></form></section>
<section id="step-mfa" hidden><form id="form-mfa"><p>${escapeHtml(t.mfaIntro)}</p>
${code('mfa-code')}
<button type="submit">${escapeHtml(t.verifyCode)}</button></form></section>
</main></body></html>`;
}
