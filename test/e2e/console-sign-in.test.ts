import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchChromium } from '../support/browser.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, postJson, startTestSystem } from '../support/local-system.ts';
import { MailSink, verificationLink } from '../support/mail-sink.ts';
import { totp } from '../support/totp.ts';

let sink: MailSink;
let system: RunningSystem;
let browser: Browser;

beforeAll(async () => {
  sink = await new MailSink().start();
  system = await startTestSystem({ mailRelayUrl: sink.url });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
  await sink?.stop();
});


/**
 * The first sign-in of a new operator in the browser: one-time password, own password, TOTP enrolled. Returns the
 * TOTP secret and the code that enrolled it (spent: the pool takes no code of its time step, or an earlier one, again).
 */
async function firstSignIn(page: Page, email: string, oneTimePassword: string, language = 'en'): Promise<{ secret: string; enrolmentCode: string }> {
  await page.goto(`${system.url}/console/sign-in?lang=${language}&next=/console/requests`);
  await page.fill('#email', email);
  await page.fill('#password', oneTimePassword);
  await page.click('#form-password button');
  await page.waitForSelector('#step-new-password:not([hidden])');
  await expectAccessible(page);
  await page.fill('#new-newPassword', 'Correct-Horse-7-Battery');
  await page.fill('#new-repeatPassword', 'Correct-Horse-7-Batterx');
  await page.click('#form-new-password button');
  await page.waitForSelector('#sign-in-problem:not([hidden])');
  await page.fill('#new-repeatPassword', 'Correct-Horse-7-Battery');
  await page.click('#form-new-password button');
  await page.waitForSelector('#step-mfa-setup:not([hidden])');
  await expectAccessible(page);
  const secret = (await page.textContent('#totp-secret'))!.replace(/\s/g, '');
  expect(await page.textContent('#totp-uri')).toMatch(new RegExp(`^otpauth://totp/.+\\?secret=${secret}&issuer=.+&algorithm=SHA1&digits=6&period=30$`));
  const enrolmentCode = totp(secret);
  await page.fill('#setup-code', enrolmentCode);
  await Promise.all([page.waitForURL((url) => url.pathname === '/console/requests'), page.click('#form-mfa-setup button')]);
  return { secret, enrolmentCode };
}

/**
 * Runs code in the page with console/auth.js imported as `auth`, as the console's pages use it. (A string, so the
 * test's bundler leaves the page's own `import()` alone.)
 */
const withAuth = <T>(page: Page, code: string): Promise<T> => page.evaluate(`(async () => { const auth = await import('/console/auth.js'); ${code} })()`);

/** A call of the console's API from the page, through auth.apiFetch. */
const consoleApi = (page: Page, path: string, method = 'GET', body?: unknown) =>
  withAuth<{ status: number; body: Record<string, unknown> }>(
    page,
    `const response = await auth.apiFetch(${JSON.stringify(path)}, { method: ${JSON.stringify(method)}${body ? `, body: ${JSON.stringify(JSON.stringify(body))}, headers: { 'content-type': 'application/json' }` : ''} });
     return { status: response.status, body: await response.json() };`,
  );

describe('operators sign in to the console', () => {
  it('the sign-in page passes axe-core in each language and says what it asks for', async () => {
    const page = await (await browser.newContext()).newPage();
    for (const [lang, title] of [['ru', 'Вход в консоль оператора'], ['kk', 'Оператор консоліне кіру'], ['en', 'Sign in to the operator console']] as const) {
      await page.goto(`${system.url}/console/sign-in?lang=${lang}`);
      expect(await page.textContent('h1')).toBe(title);
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      await expectAccessible(page);
    }
    const config = await (await fetch(`${system.url}/console/config.json`)).json();
    expect(config).toMatchObject({ userPoolId: expect.stringMatching(/^local_/), clientId: expect.stringMatching(/^[a-z0-9]{26}$/), cognitoEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
  });

  it('the first admin signs in with TOTP and reads a request; a viewer reads but cannot decide; the audit names who decided', async () => {
    expect(system.firstAdmin).toMatchObject({ email: 'dpo@derbes.local', temporaryPassword: expect.any(String) });
    const claimant = 'saule@example.kz';
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'claim', email: claimant, language: 'ru', message: 'Списали оплату дважды за заказ 1001.' });
    const reference = String(submitted.body.reference);

    const admin = await (await browser.newContext()).newPage();
    const { secret, enrolmentCode } = await firstSignIn(admin, system.firstAdmin!.email, system.firstAdmin!.temporaryPassword);
    const stored = await admin.evaluate(() => JSON.parse(sessionStorage.getItem('derbes.console.session') ?? 'null'));
    expect(stored).toMatchObject({ idToken: expect.any(String), refreshToken: expect.any(String), email: 'dpo@derbes.local' });
    const shown = await consoleApi(admin, `/requests/${reference}`);
    expect(shown).toMatchObject({ status: 200, body: { reference, email: claimant, message: 'Списали оплату дважды за заказ 1001.' } });
    expect(await withAuth(admin, 'return auth.operator();')).toMatchObject({ email: 'dpo@derbes.local', role: 'admin' });

    // The admin adds a viewer through the console's API; the viewer signs in with the one-time password.
    const added = await consoleApi(admin, '/operators', 'POST', { email: 'viewer@derbes.local', role: 'viewer' });
    expect(added).toMatchObject({ status: 201, body: { email: 'viewer@derbes.local', role: 'viewer' } });
    const viewer = await (await browser.newContext()).newPage();
    await firstSignIn(viewer, 'viewer@derbes.local', added.body.temporaryPassword as string, 'kk');
    expect((await consoleApi(viewer, `/requests/${reference}`)).status).toBe(200);
    // A viewer is offered no action (the function refuses them anyway) and no way to enter a request.
    await viewer.goto(`${system.url}/console/request?ref=${reference}`);
    await viewer.waitForSelector('#actions');
    expect(await viewer.locator('main form').count()).toBe(0);
    // The language picked on the sign-in page is the console's.
    expect(await viewer.getAttribute('html', 'lang')).toBe('kk');
    expect(await viewer.textContent('main')).toMatch(/Сіздің рөліңіз сұрауларды оқуға/);
    expect(await viewer.locator('a[href="/console/enter"]').count()).toBe(0);

    const receipt = await sink.waitFor((m) => m.to.includes(claimant) && m.subject.includes(reference));
    expect((await postJson(`${system.url}/api/verifications`, { code: verificationLink(receipt).searchParams.get('code') })).status).toBe(200);
    for (let i = 0; i < 60 && !((await operatorCall(system, 'GET', '/operator/decisions')).body.decisions as Array<{ requestId: string }>).some((d) => d.requestId === reference); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const denial = { decision: 'deny', reason: 'Повторного списания не было.', basis: 'Проверка выписки банка' };
    const refused = await consoleApi(viewer, `/decisions/${reference}`, 'POST', denial);
    expect(refused).toMatchObject({ status: 403, body: { error: 'forbidden', message: expect.stringContaining('needs the role decider') } });
    expect((await consoleApi(viewer, '/operators')).status).toBe(403);
    // The machine key is not a console token; a console token is not a machine key.
    expect((await fetch(`${system.url}/console/api/requests`, { headers: { authorization: `Bearer ${String(stored.idToken)}x` } })).status).toBe(401);
    expect((await fetch(`${system.url}/operator/requests`, { headers: { authorization: `Bearer ${String(stored.idToken)}` } })).status).toBe(401);

    expect(await consoleApi(admin, `/decisions/${reference}`, 'POST', denial)).toMatchObject({ status: 200, body: { reference, decision: 'deny' } });
    const trail = (await operatorCall(system, 'GET', `/operator/requests/${reference}`)).body.audit as Array<{ type: string; detail: Record<string, unknown> }>;
    expect(trail.find((e) => e.type === 'decision.made')?.detail.operator).toEqual({ kind: 'person', sub: expect.stringMatching(/^[0-9a-f-]{36}$/), email: 'dpo@derbes.local' });

    // Signing out revokes the refresh token at the pool and forgets the tokens; a later sign-in asks for the current code.
    const before = (await admin.evaluate(() => JSON.parse(sessionStorage.getItem('derbes.console.session') ?? 'null'))) as { refreshToken: string };
    const pool = (await (await fetch(`${system.url}/console/config.json`)).json()) as { clientId: string; cognitoEndpoint: string };
    const refreshWith = (token: string) =>
      fetch(pool.cognitoEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
        body: JSON.stringify({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: pool.clientId, AuthParameters: { REFRESH_TOKEN: token } }),
      });
    expect((await refreshWith(before.refreshToken)).status).toBe(200);
    await Promise.all([admin.waitForURL((url) => url.pathname === '/console/sign-in' && url.searchParams.get('signedOut') === '1'), withAuth(admin, 'auth.signOut();')]);
    expect(await admin.evaluate(() => sessionStorage.getItem('derbes.console.session'))).toBeNull();
    const afterSignOut = await refreshWith(before.refreshToken);
    expect(afterSignOut.status).toBe(400);
    expect(await afterSignOut.json()).toMatchObject({ __type: 'NotAuthorizedException' });
    await admin.fill('#email', 'dpo@derbes.local');
    await admin.fill('#password', 'Correct-Horse-7-Battery');
    await admin.click('#form-password button');
    await admin.waitForSelector('#step-mfa:not([hidden])');
    // The code that enrolled the app is spent: refused, and the page says so and keeps the sign-in for another try.
    await admin.fill('#mfa-code', enrolmentCode);
    await admin.click('#form-mfa button');
    await admin.waitForSelector('#sign-in-problem:not([hidden])');
    expect(new URL(admin.url()).pathname).toBe('/console/sign-in');
    expect(await admin.isVisible('#step-mfa')).toBe(true);
    // The app's code for the next step is taken at once: the pool allows one step of clock drift either way (RFC 6238
    // 5.2; infra/local/totp.ts), and that step is later than the spent one — no waiting for a new 30-second window.
    await admin.fill('#mfa-code', totp(secret, Date.now() + 30_000));
    await Promise.all([admin.waitForURL((url) => url.pathname === '/console'), admin.click('#form-mfa button')]);
    expect((await consoleApi(admin, '/requests')).status).toBe(200);
  }, 120_000);
});
