import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsEndpoint } from '../../infra/local/aws-endpoint.ts';
import { cognitoProtocol } from '../../infra/local/aws-protocols.ts';
import { HttpGateway } from '../../infra/local/http-gateway.ts';
import { Denials, Principals, RolePolicy } from '../../infra/local/iam.ts';
import { IdentityHost } from '../../infra/local/identity-host.ts';
import { JwtAuthorizer } from '../../infra/local/jwt-authorizer.ts';
import type { LocalUserPool } from '../../infra/local/template.ts';
import { totp } from '../support/totp.ts';

const POOL_ID = 'local_IdentityOperatorsTest';
const CONSOLE_CLIENT = 'consoleclient0000000000000a';
const OTHER_CLIENT = 'otherclient000000000000000b';
const client = { authFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'], idTokenMinutes: 15, accessTokenMinutes: 15, refreshTokenMinutes: 600, authSessionMinutes: 5, tokenRevocation: true };
const POOL: LocalUserPool = {
  id: POOL_ID,
  arn: `arn:aws:cognito-idp:local:000000000000:userpool/${POOL_ID}`,
  issuer: `https://cognito-idp.local.amazonaws.com/${POOL_ID}`,
  mfaRequired: true,
  passwordPolicy: { minLength: 12, lowercase: true, uppercase: true, digits: true, symbols: true, temporaryPasswordDays: 3 },
  groups: ['viewer', 'decider', 'admin'],
  clients: new Map([
    [CONSOLE_CLIENT, client],
    [OTHER_CLIENT, { ...client, tokenRevocation: false }],
  ]),
};


let dir: string;
let now = Date.parse('2026-11-30T06:00:00Z');
let host: IdentityHost;
let gateway: HttpGateway;
let url: string;

async function cognito(operation: string, body: Record<string, unknown>): Promise<{ status: number; json: Record<string, any> }> {
  const response = await host.handle({
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: { 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`, 'content-type': 'application/x-amz-json-1.1' },
    body: Buffer.from(JSON.stringify(body)),
  });
  return { status: response.status, json: JSON.parse(String(response.body)) as Record<string, any> };
}

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
const callApi = (token: string) => fetch(`${url}/console/api/decisions/DRB-AAAAA-BBBBB`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

/** A new operator who signs in the first time: new password, TOTP enrolled; returns the tokens and the secret. */
async function enrol(email: string, group: string) {
  await cognito('AdminCreateUser', { UserPoolId: POOL_ID, Username: email, TemporaryPassword: 'Temporary-Pass-1', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: email }] });
  await cognito('AdminAddUserToGroup', { UserPoolId: POOL_ID, Username: email, GroupName: group });
  const first = await cognito('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { USERNAME: email, PASSWORD: 'Temporary-Pass-1' } });
  expect(first.json.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
  const weak = await cognito('RespondToAuthChallenge', { ChallengeName: 'NEW_PASSWORD_REQUIRED', ClientId: CONSOLE_CLIENT, Session: first.json.Session, ChallengeResponses: { USERNAME: email, NEW_PASSWORD: 'short' } });
  expect(weak.json).toMatchObject({ __type: 'InvalidPasswordException', message: 'Password does not conform to policy: Password not long enough' });
  const setUp = await cognito('RespondToAuthChallenge', { ChallengeName: 'NEW_PASSWORD_REQUIRED', ClientId: CONSOLE_CLIENT, Session: first.json.Session, ChallengeResponses: { USERNAME: email, NEW_PASSWORD: 'Correct-Horse-7-Battery' } });
  expect(setUp.json.ChallengeName).toBe('MFA_SETUP');
  const associated = await cognito('AssociateSoftwareToken', { Session: setUp.json.Session });
  const secret = associated.json.SecretCode as string;
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const wrong = await cognito('VerifySoftwareToken', { Session: associated.json.Session, UserCode: String((Number(totp(secret, now)) + 1) % 1_000_000).padStart(6, '0') });
  expect(wrong.json.__type).toBe('EnableSoftwareTokenMFAException');
  const verified = await cognito('VerifySoftwareToken', { Session: associated.json.Session, UserCode: totp(secret, now) });
  expect(verified.json.Status).toBe('SUCCESS');
  const done = await cognito('RespondToAuthChallenge', { ChallengeName: 'MFA_SETUP', ClientId: CONSOLE_CLIENT, Session: verified.json.Session, ChallengeResponses: { USERNAME: email } });
  return { tokens: done.json.AuthenticationResult as { IdToken: string; AccessToken: string; RefreshToken: string; ExpiresIn: number }, secret };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'derbes-identity-'));
  host = new IdentityHost(dir, [POOL], () => now);
  const authorizer = new JwtAuthorizer({ issuer: POOL.issuer, audience: [CONSOLE_CLIENT] }, async () => host.jwks(), () => now);
  gateway = new HttpGateway(
    new Map([['POST /console/api/decisions/{reference}', 'OperatorApi']]),
    async (_, event: APIGatewayProxyEventV2) => ({ statusCode: 200, body: JSON.stringify((event.requestContext as unknown as { authorizer: unknown }).authorizer) }),
    new Map([['POST /console/api/decisions/{reference}', authorizer]]),
  );
  url = `http://127.0.0.1:${await gateway.listen(0)}`;
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local user pool', () => {
  it('signs a new operator in: new password, TOTP enrolled, tokens with the claims Cognito puts', async () => {
    const { tokens } = await enrol('Aigerim@Demo.kz', 'decider');
    expect(tokens.ExpiresIn).toBe(900);
    const id = decode(tokens.IdToken);
    expect(id).toMatchObject({ iss: POOL.issuer, aud: CONSOLE_CLIENT, token_use: 'id', email: 'aigerim@demo.kz', 'cognito:groups': ['decider'], auth_time: now / 1000, exp: now / 1000 + 900 });
    expect(decode(tokens.AccessToken)).toMatchObject({ iss: POOL.issuer, client_id: CONSOLE_CLIENT, token_use: 'access', 'cognito:groups': ['decider'], sub: id.sub });
    // What is kept on disk: no password, no TOTP secret, no token in the clear.
    const stored = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(stored).not.toContain('Correct-Horse-7-Battery');
    expect(stored).not.toContain(tokens.RefreshToken);
  });

  it('a later sign-in asks for a code; a wrong one, or one already used, is refused; five failures lock sign-in', async () => {
    const { secret } = await enrol('bolat@demo.kz', 'viewer');
    now += 60_000;
    const signIn = () => cognito('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { USERNAME: 'bolat@demo.kz', PASSWORD: 'Correct-Horse-7-Battery' } });
    const challenge = await signIn();
    expect(challenge.json.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
    const ok = await cognito('RespondToAuthChallenge', { ChallengeName: 'SOFTWARE_TOKEN_MFA', ClientId: CONSOLE_CLIENT, Session: challenge.json.Session, ChallengeResponses: { USERNAME: 'bolat@demo.kz', SOFTWARE_TOKEN_MFA_CODE: totp(secret, now) } });
    expect(ok.json.AuthenticationResult.IdToken).toBeTruthy();
    // The same session is spent; the same code again (a replay) is refused.
    const again = await signIn();
    const replay = await cognito('RespondToAuthChallenge', { ChallengeName: 'SOFTWARE_TOKEN_MFA', ClientId: CONSOLE_CLIENT, Session: again.json.Session, ChallengeResponses: { USERNAME: 'bolat@demo.kz', SOFTWARE_TOKEN_MFA_CODE: totp(secret, now) } });
    expect(replay.json.__type).toBe('CodeMismatchException');
    const spent = await cognito('RespondToAuthChallenge', { ChallengeName: 'SOFTWARE_TOKEN_MFA', ClientId: CONSOLE_CLIENT, Session: challenge.json.Session, ChallengeResponses: { USERNAME: 'bolat@demo.kz', SOFTWARE_TOKEN_MFA_CODE: totp(secret, now) } });
    expect(spent.json.__type).toBe('NotAuthorizedException');

    // The replayed code was the first failure in a row; four wrong passwords make five.
    for (let i = 0; i < 4; i += 1) {
      const bad = await cognito('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { USERNAME: 'bolat@demo.kz', PASSWORD: `Wrong-Password-${i}` } });
      expect(bad.json).toMatchObject({ __type: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    }
    expect((await signIn()).json).toMatchObject({ __type: 'NotAuthorizedException', message: 'Password attempts exceeded' });
    // Someone who does not exist gets the same answer as a wrong password.
    const stranger = await cognito('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { USERNAME: 'nobody@demo.kz', PASSWORD: 'Correct-Horse-7-Battery' } });
    expect(stranger.json).toMatchObject({ __type: 'NotAuthorizedException', message: 'Incorrect username or password.' });
  });

  it('a known password does not reset the count of wrong codes: guessing the code locks as guessing the password does', async () => {
    await enrol('ruslan@demo.kz', 'viewer');
    now += 60_000;
    const signIn = () => cognito('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { USERNAME: 'ruslan@demo.kz', PASSWORD: 'Correct-Horse-7-Battery' } });
    const wrongCode = async () => {
      const challenge = await signIn();
      expect(challenge.json.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
      const answer = await cognito('RespondToAuthChallenge', { ChallengeName: 'SOFTWARE_TOKEN_MFA', ClientId: CONSOLE_CLIENT, Session: challenge.json.Session, ChallengeResponses: { USERNAME: 'ruslan@demo.kz', SOFTWARE_TOKEN_MFA_CODE: '000000' } });
      expect(answer.json.__type).toBe('CodeMismatchException');
    };
    for (let i = 0; i < 5; i += 1) await wrongCode();
    expect((await signIn()).json).toMatchObject({ __type: 'NotAuthorizedException', message: 'Password attempts exceeded' });
  });

  it('a name nobody signs in with locks after as many tries as a real one, with the same answers', async () => {
    const tryName = (username: string) => cognito('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { USERNAME: username, PASSWORD: 'Wrong-Password-1' } });
    const answers = async (username: string) => {
      const seen: string[] = [];
      for (let i = 0; i < 6; i += 1) seen.push(String((await tryName(username)).json.message));
      return seen;
    };
    await enrol('saule@demo.kz', 'viewer');
    const real = await answers('saule@demo.kz');
    expect(real.at(-1)).toBe('Password attempts exceeded');
    expect(await answers('nobody-at-all@demo.kz')).toEqual(real);
  });
});

describe('the gateway verifies tokens as the JWT authorizer does', () => {
  it('lets a valid ID token through with the claims in API Gateway\'s shape', async () => {
    const { tokens } = await enrol('dana@demo.kz', 'admin');
    await cognito('AdminAddUserToGroup', { UserPoolId: POOL_ID, Username: 'dana@demo.kz', GroupName: 'decider' });
    const refreshed = await cognito('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } });
    const response = await callApi(refreshed.json.AuthenticationResult.IdToken);
    expect(response.status).toBe(200);
    const { jwt } = (await response.json()) as { jwt: { claims: Record<string, string> } };
    expect(jwt.claims).toMatchObject({ 'cognito:groups': '[admin decider]', email: 'dana@demo.kz', token_use: 'id', email_verified: 'true', exp: String(now / 1000 + 900) });
  });

  it('refuses a forged token, a changed one, one for another client, and an expired one', async () => {
    const { tokens } = await enrol('erlan@demo.kz', 'viewer');
    const [header, payload] = tokens.IdToken.split('.') as [string, string];
    // Signed with another key under the issuer's key id.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forgedPayload = Buffer.from(JSON.stringify({ ...decode(tokens.IdToken), 'cognito:groups': ['admin'] })).toString('base64url');
    const forged = `${header}.${forgedPayload}.${sign('RSA-SHA256', Buffer.from(`${header}.${forgedPayload}`), privateKey).toString('base64url')}`;
    expect((await callApi(forged)).status).toBe(401);
    // The real signature over changed claims.
    expect((await callApi(`${header}.${forgedPayload}.${tokens.IdToken.split('.')[2]}`)).status).toBe(401);
    // "alg": "none".
    expect((await callApi(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`)).status).toBe(401);
    // A token of the same pool for another app client.
    await cognito('AdminCreateUser', { UserPoolId: POOL_ID, Username: 'other@demo.kz', TemporaryPassword: 'Temporary-Pass-1', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: 'other@demo.kz' }] });
    expect((await callApi(tokens.IdToken)).status).toBe(200);
    const otherClient = await enrolFor(OTHER_CLIENT);
    expect(decode(otherClient).aud).toBe(OTHER_CLIENT);
    const refused = await callApi(otherClient);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('audience');
    // Expired: fifteen minutes later.
    now += 15 * 60_000;
    const expired = await callApi(tokens.IdToken);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('expired');
  });

  it('sign-out revokes the refresh token: it mints no more tokens; the ID token in hand lives to its expiry, as behind API Gateway', async () => {
    const { tokens } = await enrol('gulnara@demo.kz', 'decider');
    const second = await cognito('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } });
    expect(second.status).toBe(200);
    // Another client's revocation, or an unknown token, changes nothing (and says nothing).
    expect(await cognito('RevokeToken', { ClientId: OTHER_CLIENT, Token: tokens.RefreshToken })).toMatchObject({ status: 400, json: { __type: 'UnsupportedOperationException' } });
    expect(await cognito('RevokeToken', { ClientId: CONSOLE_CLIENT, Token: 'not-a-token' })).toEqual({ status: 200, json: {} });
    expect((await cognito('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } })).status).toBe(200);

    expect(await cognito('RevokeToken', { ClientId: CONSOLE_CLIENT, Token: tokens.RefreshToken })).toEqual({ status: 200, json: {} });
    const refused = await cognito('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } });
    expect(refused.json).toMatchObject({ __type: 'NotAuthorizedException', message: 'Invalid Refresh Token' });
    // Gone from the pool's file too: a restarted runtime does not bring it back.
    expect(readFileSync(join(dir, `${POOL_ID}.json`), 'utf8')).not.toContain(createHash('sha256').update(tokens.RefreshToken).digest('hex'));
    expect((await callApi(second.json.AuthenticationResult.IdToken)).status).toBe(200);
    now += 15 * 60_000 + 1000;
    expect((await callApi(second.json.AuthenticationResult.IdToken)).status).toBe(401);
  });

  it('a removed operator cannot refresh; their last token works until it expires, then not', async () => {
    const { tokens } = await enrol('farida@demo.kz', 'decider');
    expect((await cognito('AdminDeleteUser', { UserPoolId: POOL_ID, Username: 'farida@demo.kz' })).status).toBe(200);
    const refresh = await cognito('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } });
    expect(refresh.json.__type).toBe('NotAuthorizedException');
    expect((await callApi(tokens.IdToken)).status).toBe(200);
    now += 15 * 60_000 + 1000;
    expect((await callApi(tokens.IdToken)).status).toBe(401);
    const listed = await cognito('ListUsers', { UserPoolId: POOL_ID });
    expect(listed.json.Users.map((u: { Attributes: Array<{ Name: string; Value: string }> }) => u.Attributes.find((a) => a.Name === 'email')!.Value)).not.toContain('farida@demo.kz');
  });
});

/** other@demo.kz signs in through the other app client (new password, TOTP) and gets its ID token. */
async function enrolFor(clientId: string): Promise<string> {
  const first = await cognito('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'other@demo.kz', PASSWORD: 'Temporary-Pass-1' } });
  const setUp = await cognito('RespondToAuthChallenge', { ChallengeName: 'NEW_PASSWORD_REQUIRED', ClientId: clientId, Session: first.json.Session, ChallengeResponses: { USERNAME: 'other@demo.kz', NEW_PASSWORD: 'Correct-Horse-7-Battery' } });
  const associated = await cognito('AssociateSoftwareToken', { Session: setUp.json.Session });
  const verified = await cognito('VerifySoftwareToken', { Session: associated.json.Session, UserCode: totp(associated.json.SecretCode as string, now) });
  const done = await cognito('RespondToAuthChallenge', { ChallengeName: 'MFA_SETUP', ClientId: clientId, Session: verified.json.Session, ChallengeResponses: { USERNAME: 'other@demo.kz' } });
  return done.json.AuthenticationResult.IdToken as string;
}

describe('the local Cognito endpoint checks IAM like the others', () => {
  it('the admin API needs the action on the pool; the sign-in flow and the JWKS need no credentials', async () => {
    const principals = new Principals(new Denials());
    const manager = principals.add('OperatorApi', new RolePolicy('OperatorRole', [{ Effect: 'Allow', Action: ['cognito-idp:AdminCreateUser', 'cognito-idp:ListUsers'], Resource: POOL.arn }]));
    const other = principals.add('HttpApi', new RolePolicy('PublicRole', [{ Effect: 'Allow', Action: 'cognito-idp:ListUsers', Resource: `${POOL.arn}-other` }]));
    const endpoint = new AwsEndpoint('cognito-idp', principals, cognitoProtocol, (r) => host.handle(r));
    const call = (operation: string, body: Record<string, unknown>, accessKeyId?: string) =>
      endpoint.handle({
        method: 'POST',
        path: '/',
        query: new URLSearchParams(),
        headers: { 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`, ...(accessKeyId ? { authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261130/local/cognito-idp/aws4_request, SignedHeaders=host, Signature=00` } : {}) },
        body: Buffer.from(JSON.stringify(body)),
      });
    const json = async (response: Promise<{ status: number; body: Buffer | string }>) => JSON.parse(String((await response).body)) as Record<string, string>;
    expect(await json(call('ListUsers', { UserPoolId: POOL_ID }, manager.accessKeyId))).toHaveProperty('Users');
    expect(await json(call('ListUsers', { UserPoolId: POOL_ID }, other.accessKeyId))).toMatchObject({ __type: 'AccessDeniedException' });
    expect(await json(call('AdminDeleteUser', { UserPoolId: POOL_ID, Username: 'dana@demo.kz' }, manager.accessKeyId))).toMatchObject({ __type: 'AccessDeniedException' });
    expect(await json(call('ListUsers', { UserPoolId: POOL_ID }))).toMatchObject({ __type: 'UnrecognizedClientException' });
    // An operation sent by GET is neither public nor served: only the JWKS is read by GET.
    for (const operation of ['AdminCreateUser', 'ListUsers']) {
      const byGet = await endpoint.handle({
        method: 'GET',
        path: '/',
        query: new URLSearchParams(),
        headers: { 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}` },
        body: Buffer.from(JSON.stringify({ UserPoolId: POOL_ID, Username: 'mallory@evil.kz', TemporaryPassword: 'Temporary-Pass-1' })),
      });
      expect(JSON.parse(String(byGet.body))).toMatchObject({ __type: 'UnrecognizedClientException' });
    }
    expect(JSON.stringify(await json(call('ListUsers', { UserPoolId: POOL_ID }, manager.accessKeyId)))).not.toContain('mallory');
    // Public: the sign-in flow answers in its own words, without credentials.
    expect(await json(call('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: CONSOLE_CLIENT, AuthParameters: { USERNAME: 'nobody@demo.kz', PASSWORD: 'x' } }))).toMatchObject({ __type: 'NotAuthorizedException' });
    const jwks = await endpoint.handle({ method: 'GET', path: `/${POOL_ID}/.well-known/jwks.json`, query: new URLSearchParams(), headers: {}, body: Buffer.alloc(0) });
    expect(JSON.parse(String(jwks.body)).keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
  });
});
