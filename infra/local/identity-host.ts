import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, scrypt, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { seal, sealingKey, unseal } from '../../functions/domain/sealing.ts';
import { jsonError, type ServiceRequest, type ServiceResponse } from './aws-endpoint.ts';
import type { LocalUserPool } from './template.ts';
import { matchTotp, newTotpSecret } from './totp.ts';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1 };
/** Wrong passwords or codes in a row before sign-in is refused for a while, as Cognito locks out guessing. */
const MAX_FAILURES = 5;
const LOCKOUT_MS = 15 * 60_000;

/** Operations anyone may call, without AWS credentials: the sign-in flow, as in Cognito. */
/** Where a pool's signing keys are published: GET /<pool id>/.well-known/jwks.json. */
export const JWKS_PATH = /^\/([^/]+)\/\.well-known\/jwks\.json$/;

export const PUBLIC_OPERATIONS = new Set(['InitiateAuth', 'RespondToAuthChallenge', 'AssociateSoftwareToken', 'VerifySoftwareToken', 'RevokeToken']);

interface StoredUser {
  sub: string;
  email: string;
  passwordHash: string;
  status: 'FORCE_CHANGE_PASSWORD' | 'CONFIRMED';
  enabled: boolean;
  groups: string[];
  createdAt: number;
  modifiedAt: number;
  /** The TOTP secret, sealed with the local sealing key (context: the user's sub). */
  totp?: string;
  /** The last time step a code was accepted at: a code is good once. */
  totpUsedStep?: number;
  failures: number;
  lockedUntil?: number;
}

interface StoredSession {
  sub: string;
  clientId: string;
  challenge: 'NEW_PASSWORD_REQUIRED' | 'MFA_SETUP' | 'SOFTWARE_TOKEN_MFA';
  expiresAt: number;
  /** MFA_SETUP: the secret being enrolled (sealed), then whether the app proved it has it. */
  pendingTotp?: string;
  totpVerified?: boolean;
}

interface StoredRefresh {
  sub: string;
  clientId: string;
  expiresAt: number;
  authTime: number;
}

/** Failed sign-ins counted towards a lock. */
interface SignInAttempts {
  failures: number;
  lockedUntil?: number;
}

interface PoolState {
  users: StoredUser[];
  /** By SHA-256 of the session string / refresh token: the values themselves are never stored. */
  sessions: Record<string, StoredSession>;
  refreshTokens: Record<string, StoredRefresh>;
}

class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = (ms: number) => Math.floor(ms / 1000);

/**
 * The local stand-in for a Cognito user pool (the part of its JSON API the console, the operator function and the
 * CLI use), so people sign in locally as they do in AWS: password, then TOTP; tokens signed RS256 with the claims
 * Cognito puts; the JWKS served where the gateway's authorizer looks for it. Users live in DATA_DIR/identity
 * (passwords hashed with scrypt, TOTP secrets sealed), the signing key beside them.
 */
export class IdentityHost {
  private readonly pools: Map<string, { pool: LocalUserPool; state: PoolState }>;
  private readonly signingKey: KeyObject;
  private readonly keyId: string;
  private readonly totpKey: Buffer;
  private readonly strangers = new Map<string, SignInAttempts>();

  constructor(
    private readonly directory: string,
    pools: LocalUserPool[],
    private readonly clock: () => number = Date.now,
  ) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    this.signingKey = createPrivateKey(this.keyFile('signing-key.pem', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()));
    this.keyId = createHash('sha256').update(createPublicKey(this.signingKey).export({ format: 'der', type: 'spki' })).digest('base64url').slice(0, 43);
    this.totpKey = sealingKey(this.keyFile('sealing-secret', () => randomBytes(32).toString('base64url')), 'totp-secret');
    this.pools = new Map(pools.map((pool) => [pool.id, { pool, state: this.load(pool.id) }]));
  }

  private keyFile(name: string, create: () => string): string {
    const file = join(this.directory, name);
    if (!existsSync(file)) writeFileSync(file, create(), { mode: 0o600 });
    return readFileSync(file, 'utf8');
  }

  private load(poolId: string): PoolState {
    const file = join(this.directory, `${poolId}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PoolState) : { users: [], sessions: {}, refreshTokens: {} };
  }

  private save(poolId: string): void {
    const entry = this.pools.get(poolId)!;
    const now = this.clock();
    // Expired sessions and refresh tokens go with every write.
    for (const [hash, session] of Object.entries(entry.state.sessions)) if (session.expiresAt < now) delete entry.state.sessions[hash];
    for (const [hash, refresh] of Object.entries(entry.state.refreshTokens)) if (refresh.expiresAt < now) delete entry.state.refreshTokens[hash];
    const file = join(this.directory, `${poolId}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(entry.state), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  /** The JWKS of a pool (GET /<pool id>/.well-known/jwks.json), as the gateway's authorizer fetches it. */
  jwks(): { keys: Array<Record<string, string>> } {
    const jwk = createPublicKey(this.signingKey).export({ format: 'jwk' }) as Record<string, string>;
    return { keys: [{ alg: 'RS256', e: jwk.e!, kid: this.keyId, kty: 'RSA', n: jwk.n!, use: 'sig' }] };
  }

  /** Whether the pool has anyone in it (the runtime makes a first admin when it has not). */
  isEmpty(poolId: string): boolean {
    return (this.pools.get(poolId)?.state.users.length ?? 0) === 0;
  }

  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type, x-amz-target, x-amz-user-agent, authorization', 'access-control-allow-methods': 'POST, GET', 'access-control-max-age': '600' };
    if (request.method === 'OPTIONS') return { status: 204, headers: cors, body: '' };
    const jwksPath = JWKS_PATH.exec(request.path);
    if (request.method === 'GET' && jwksPath) {
      if (!this.pools.has(jwksPath[1]!)) return { status: 404, headers: { ...cors, 'content-type': 'application/json' }, body: '{"message":"User pool not found"}' };
      return { status: 200, headers: { ...cors, 'content-type': 'application/json' }, body: JSON.stringify(this.jwks()) };
    }
    if (request.method !== 'POST') return { status: 404, headers: { ...cors, 'content-type': 'application/json' }, body: '{"message":"Not Found"}' };
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^AWSCognitoIdentityProviderService\./, '');
    try {
      const body = JSON.parse(request.body.toString('utf8') || '{}') as Record<string, any>;
      const result = await this.operation(operation, body);
      return { status: 200, headers: { ...cors, 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() }, body: JSON.stringify(result) };
    } catch (error) {
      if (error instanceof CognitoError) {
        const response = jsonError(400, error.type, error.message, CONTENT_TYPE);
        return { ...response, headers: { ...response.headers, ...cors, 'x-amzn-errortype': error.type } };
      }
      if (error instanceof SyntaxError) return jsonError(400, 'SerializationException', 'the request body is not JSON', CONTENT_TYPE);
      throw error;
    }
  }

  private operation(operation: string, body: Record<string, any>): Promise<unknown> | unknown {
    switch (operation) {
      case 'InitiateAuth':
        return this.initiateAuth(body);
      case 'RespondToAuthChallenge':
        return this.respondToAuthChallenge(body);
      case 'AssociateSoftwareToken':
        return this.associateSoftwareToken(body);
      case 'VerifySoftwareToken':
        return this.verifySoftwareToken(body);
      case 'RevokeToken':
        return this.revokeToken(body);
      case 'AdminCreateUser':
        return this.adminCreateUser(body);
      case 'AdminDeleteUser':
        return this.adminDeleteUser(body);
      case 'AdminAddUserToGroup':
        return this.adminAddUserToGroup(body);
      case 'AdminListGroupsForUser':
        return this.adminListGroupsForUser(body);
      case 'ListUsers':
        return this.listUsers(body);
      default:
        throw new CognitoError('UnknownOperationException', `the local runtime does not implement ${operation || '(no X-Amz-Target)'}`);
    }
  }

  // --- the pool, its clients and users ---

  private poolOf(poolId: unknown) {
    const entry = typeof poolId === 'string' ? this.pools.get(poolId) : undefined;
    if (!entry) throw new CognitoError('ResourceNotFoundException', `User pool ${String(poolId)} does not exist.`);
    return entry;
  }

  private client(clientId: unknown, flow?: string) {
    for (const entry of this.pools.values()) {
      const client = typeof clientId === 'string' ? entry.pool.clients.get(clientId) : undefined;
      if (!client) continue;
      if (flow && !client.authFlows.includes(`ALLOW_${flow}`)) throw new CognitoError('InvalidParameterException', `${flow} flow not enabled for this client`);
      return { ...entry, client, clientId: clientId as string };
    }
    throw new CognitoError('ResourceNotFoundException', 'User pool client does not exist.');
  }

  /** A user by the name given: their address (the pool signs in by e-mail) or their sub. */
  private findUser(state: PoolState, username: unknown): StoredUser | undefined {
    if (typeof username !== 'string') return undefined;
    const name = username.trim().toLowerCase();
    return state.users.find((u) => u.email === name || u.sub === username);
  }

  private user(state: PoolState, username: unknown): StoredUser {
    const user = this.findUser(state, username);
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return user;
  }

  private userType(user: StoredUser) {
    return {
      Username: user.sub,
      Attributes: [
        { Name: 'sub', Value: user.sub },
        { Name: 'email', Value: user.email },
        { Name: 'email_verified', Value: 'true' },
      ],
      UserCreateDate: user.createdAt / 1000,
      UserLastModifiedDate: user.modifiedAt / 1000,
      Enabled: user.enabled,
      UserStatus: user.status,
    };
  }

  private passwordProblem(pool: LocalUserPool, password: unknown): string | undefined {
    if (typeof password !== 'string') return 'Password not long enough';
    const p = pool.passwordPolicy;
    if ([...password].length < p.minLength) return 'Password not long enough';
    if (p.lowercase && !/[a-z]/.test(password)) return 'Password must have lowercase characters';
    if (p.uppercase && !/[A-Z]/.test(password)) return 'Password must have uppercase characters';
    if (p.digits && !/[0-9]/.test(password)) return 'Password must have numeric characters';
    if (p.symbols && !/[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/.test(password)) return 'Password must have symbol characters';
    return undefined;
  }

  private async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    return `scrypt$${salt.toString('base64')}$${(await scryptAsync(password, salt, 32, SCRYPT)).toString('base64')}`;
  }

  private async passwordMatches(stored: string | undefined, password: string): Promise<boolean> {
    const [, salt, expected] = (stored ?? `scrypt$${randomBytes(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`).split('$');
    const actual = await scryptAsync(password, Buffer.from(salt!, 'base64'), 32, SCRYPT);
    return timingSafeEqual(actual, Buffer.from(expected!, 'base64')) && stored !== undefined;
  }

  // --- admin API (called with AWS credentials, checked against the caller's role by the endpoint) ---

  private async adminCreateUser(body: Record<string, any>) {
    const { pool, state } = this.poolOf(body.UserPoolId);
    const attributes = new Map<string, string>(((body.UserAttributes ?? []) as Array<{ Name: string; Value: string }>).map((a) => [a.Name, a.Value]));
    const email = String(attributes.get('email') ?? body.Username ?? '').trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new CognitoError('InvalidParameterException', 'Invalid email address format.');
    if (this.findUser(state, email)) throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.');
    if (body.MessageAction !== 'SUPPRESS') throw new CognitoError('InvalidParameterException', 'the local runtime sends no invitation mail: give MessageAction SUPPRESS and a TemporaryPassword');
    const problem = this.passwordProblem(pool, body.TemporaryPassword);
    if (problem) throw new CognitoError('InvalidPasswordException', `Password does not conform to policy: ${problem}`);
    const now = this.clock();
    const user: StoredUser = { sub: randomUUID(), email, passwordHash: await this.hash(body.TemporaryPassword as string), status: 'FORCE_CHANGE_PASSWORD', enabled: true, groups: [], createdAt: now, modifiedAt: now, failures: 0 };
    state.users.push(user);
    this.save(pool.id);
    return { User: this.userType(user) };
  }

  private adminDeleteUser(body: Record<string, any>) {
    const { pool, state } = this.poolOf(body.UserPoolId);
    const user = this.user(state, body.Username);
    state.users = state.users.filter((u) => u !== user);
    // Their refresh tokens and half-done sign-ins go with them; an ID token already issued lives until it expires.
    for (const [hash, refresh] of Object.entries(state.refreshTokens)) if (refresh.sub === user.sub) delete state.refreshTokens[hash];
    for (const [hash, session] of Object.entries(state.sessions)) if (session.sub === user.sub) delete state.sessions[hash];
    this.save(pool.id);
    return {};
  }

  private adminAddUserToGroup(body: Record<string, any>) {
    const { pool, state } = this.poolOf(body.UserPoolId);
    const user = this.user(state, body.Username);
    if (!pool.groups.includes(body.GroupName)) throw new CognitoError('ResourceNotFoundException', 'Group not found.');
    if (!user.groups.includes(body.GroupName)) user.groups.push(body.GroupName);
    user.modifiedAt = this.clock();
    this.save(pool.id);
    return {};
  }

  private adminListGroupsForUser(body: Record<string, any>) {
    const { pool, state } = this.poolOf(body.UserPoolId);
    const user = this.user(state, body.Username);
    return { Groups: user.groups.map((GroupName) => ({ GroupName, UserPoolId: pool.id })) };
  }

  private listUsers(body: Record<string, any>) {
    const { state } = this.poolOf(body.UserPoolId);
    const limit = Math.min(Math.max(Number(body.Limit ?? 60), 1), 60);
    const start = body.PaginationToken ? Number(Buffer.from(String(body.PaginationToken), 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw new CognitoError('InvalidParameterException', 'Invalid pagination token.');
    const page = state.users.slice(start, start + limit);
    const next = start + limit < state.users.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
    return { Users: page.map((u) => this.userType(u)), ...(next ? { PaginationToken: next } : {}) };
  }

  // --- sign-in (public) ---

  private newSession(state: PoolState, session: StoredSession): string {
    const value = randomBytes(32).toString('base64url');
    state.sessions[sha256(value)] = session;
    return value;
  }

  /** Takes a session string once: each step of the flow gets a new one. */
  private takeSession(state: PoolState, value: unknown, clientId: string): StoredSession {
    const hash = typeof value === 'string' ? sha256(value) : '';
    const session = state.sessions[hash];
    if (!session || session.clientId !== clientId) throw new CognitoError('NotAuthorizedException', 'Invalid session for the user.');
    delete state.sessions[hash];
    if (session.expiresAt < this.clock()) throw new CognitoError('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    return session;
  }

  private locked(attempts: SignInAttempts): void {
    if (attempts.lockedUntil && attempts.lockedUntil > this.clock()) throw new CognitoError('NotAuthorizedException', 'Password attempts exceeded');
  }

  private failed(attempts: SignInAttempts, poolId: string): void {
    attempts.failures += 1;
    if (attempts.failures >= MAX_FAILURES) {
      attempts.lockedUntil = this.clock() + LOCKOUT_MS;
      attempts.failures = 0;
    }
    this.save(poolId);
  }

  /**
   * The attempts counted against a name nobody signs in with: locked like a user's, so the answers cannot tell who is
   * an operator. Kept in memory only; nothing of a stranger's guesses is written down.
   */
  private strangerAttempts(poolId: string, username: unknown): SignInAttempts {
    const key = sha256(`${poolId}\n${String(username ?? '').trim().toLowerCase()}`);
    let attempts = this.strangers.get(key);
    if (!attempts) this.strangers.set(key, (attempts = { failures: 0 }));
    return attempts;
  }

  /** The next step after the password: set a new one, enrol TOTP, or give a code. */
  private challenge(entry: { pool: LocalUserPool; state: PoolState }, user: StoredUser, clientId: string, sessionMinutes: number) {
    const challenge = user.status === 'FORCE_CHANGE_PASSWORD' ? 'NEW_PASSWORD_REQUIRED' : !user.totp && entry.pool.mfaRequired ? 'MFA_SETUP' : user.totp ? 'SOFTWARE_TOKEN_MFA' : undefined;
    if (!challenge) return undefined;
    const Session = this.newSession(entry.state, { sub: user.sub, clientId, challenge, expiresAt: this.clock() + sessionMinutes * 60_000 });
    const parameters: Record<string, string> =
      challenge === 'NEW_PASSWORD_REQUIRED'
        ? { USER_ID_FOR_SRP: user.sub, requiredAttributes: '[]', userAttributes: JSON.stringify({ email: user.email, email_verified: 'true' }) }
        : challenge === 'MFA_SETUP'
          ? { USER_ID_FOR_SRP: user.sub, MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]' }
          : { USER_ID_FOR_SRP: user.sub };
    return { ChallengeName: challenge, Session, ChallengeParameters: parameters };
  }

  /**
   * Sign-out, as Cognito does it with token revocation on: the refresh token can mint no more tokens. Cognito also
   * refuses the access tokens it minted in its own APIs; a JWT authorizer (API Gateway's, and the local gateway's)
   * checks only signature and expiry, so an ID or access token already issued opens the API until it expires
   * (15 minutes for the console's client). A token the pool does not know, or another client's, changes nothing.
   */
  private revokeToken(body: Record<string, any>) {
    const entry = this.client(body.ClientId);
    if (!entry.client.tokenRevocation) throw new CognitoError('UnsupportedOperationException', 'Token revocation is not enabled for this app client.');
    const hash = sha256(String(body.Token ?? ''));
    if (entry.state.refreshTokens[hash]?.clientId === entry.clientId) {
      delete entry.state.refreshTokens[hash];
      this.save(entry.pool.id);
    }
    return {};
  }

  private async initiateAuth(body: Record<string, any>) {
    const flow = String(body.AuthFlow ?? '');
    if (flow !== 'USER_PASSWORD_AUTH' && flow !== 'REFRESH_TOKEN_AUTH') throw new CognitoError('InvalidParameterException', `the local runtime implements USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH, not ${flow || '(none)'}`);
    const entry = this.client(body.ClientId, flow === 'REFRESH_TOKEN_AUTH' ? 'REFRESH_TOKEN_AUTH' : 'USER_PASSWORD_AUTH');
    const parameters = (body.AuthParameters ?? {}) as Record<string, string>;
    if (flow === 'REFRESH_TOKEN_AUTH') {
      const refresh = entry.state.refreshTokens[sha256(String(parameters.REFRESH_TOKEN ?? ''))];
      const user = refresh && entry.state.users.find((u) => u.sub === refresh.sub);
      if (!refresh || refresh.clientId !== entry.clientId || refresh.expiresAt < this.clock() || !user?.enabled) throw new CognitoError('NotAuthorizedException', 'Invalid Refresh Token');
      return { ChallengeParameters: {}, AuthenticationResult: this.tokens(entry, user, refresh.authTime, false) };
    }
    const user = this.findUser(entry.state, parameters.USERNAME);
    const attempts = user ?? this.strangerAttempts(entry.pool.id, parameters.USERNAME);
    this.locked(attempts);
    const matches = await this.passwordMatches(user?.passwordHash, String(parameters.PASSWORD ?? ''));
    if (!user || !matches || !user.enabled) {
      this.failed(attempts, entry.pool.id);
      throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
    }
    if (user.status === 'FORCE_CHANGE_PASSWORD' && user.modifiedAt + entry.pool.passwordPolicy.temporaryPasswordDays * 86_400_000 < this.clock()) {
      throw new CognitoError('NotAuthorizedException', 'Temporary password has expired and must be reset by an administrator.');
    }
    const next = this.challenge(entry, user, entry.clientId, entry.client.authSessionMinutes);
    // Only a whole sign-in clears the count: a known password must not reset the guesses at the code that follows it.
    if (!next) user.failures = 0;
    const result = next ?? { ChallengeParameters: {}, AuthenticationResult: this.tokens(entry, user, nowSeconds(this.clock()), true) };
    this.save(entry.pool.id);
    return result;
  }

  private async respondToAuthChallenge(body: Record<string, any>) {
    const entry = this.client(body.ClientId);
    const session = this.takeSession(entry.state, body.Session, entry.clientId);
    const responses = (body.ChallengeResponses ?? {}) as Record<string, string>;
    try {
      if (body.ChallengeName !== session.challenge) throw new CognitoError('InvalidParameterException', `this session waits for ${session.challenge}, not ${String(body.ChallengeName)}`);
      const user = entry.state.users.find((u) => u.sub === session.sub);
      if (!user?.enabled) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
      this.locked(user);
      switch (session.challenge) {
        case 'NEW_PASSWORD_REQUIRED': {
          const problem = this.passwordProblem(entry.pool, responses.NEW_PASSWORD);
          if (problem) {
            // The session stays usable for another try, as Cognito's does.
            entry.state.sessions[sha256(String(body.Session))] = session;
            throw new CognitoError('InvalidPasswordException', `Password does not conform to policy: ${problem}`);
          }
          user.passwordHash = await this.hash(responses.NEW_PASSWORD!);
          user.status = 'CONFIRMED';
          user.modifiedAt = this.clock();
          break;
        }
        case 'MFA_SETUP':
          if (!session.totpVerified || !session.pendingTotp) throw new CognitoError('InvalidParameterException', 'verify the software token (VerifySoftwareToken) before finishing MFA setup');
          user.totp = session.pendingTotp;
          user.failures = 0;
          return { ChallengeParameters: {}, AuthenticationResult: this.tokens(entry, user, nowSeconds(this.clock()), true) };
        case 'SOFTWARE_TOKEN_MFA': {
          const step = matchTotp(unseal(user.totp!, this.totpKey, user.sub), String(responses.SOFTWARE_TOKEN_MFA_CODE ?? ''), this.clock(), user.totpUsedStep);
          if (step === undefined) {
            // Another try within the same sign-in; five failures in a row lock it like wrong passwords.
            entry.state.sessions[sha256(String(body.Session))] = session;
            this.failed(user, entry.pool.id);
            throw new CognitoError('CodeMismatchException', 'Invalid code received for user');
          }
          user.totpUsedStep = step;
          user.failures = 0;
          return { ChallengeParameters: {}, AuthenticationResult: this.tokens(entry, user, nowSeconds(this.clock()), true) };
        }
      }
      return this.challenge(entry, user, entry.clientId, entry.client.authSessionMinutes) ?? { ChallengeParameters: {}, AuthenticationResult: this.tokens(entry, user, nowSeconds(this.clock()), true) };
    } finally {
      this.save(entry.pool.id);
    }
  }

  /** Enrolment step 1: a new secret for the authenticator app, bound to this sign-in's session. */
  private associateSoftwareToken(body: Record<string, any>) {
    if (body.AccessToken) throw new CognitoError('InvalidParameterException', 'the local runtime enrols TOTP during sign-in (Session), not with an access token');
    for (const entry of this.pools.values()) {
      const hash = typeof body.Session === 'string' ? sha256(body.Session) : '';
      const session = entry.state.sessions[hash];
      if (!session) continue;
      const taken = this.takeSession(entry.state, body.Session, session.clientId);
      if (taken.challenge !== 'MFA_SETUP') throw new CognitoError('NotAuthorizedException', 'Invalid session for the user.');
      const secret = newTotpSecret();
      const Session = this.newSession(entry.state, { ...taken, pendingTotp: seal(secret, this.totpKey, taken.sub), totpVerified: false });
      this.save(entry.pool.id);
      return { SecretCode: secret, Session };
    }
    throw new CognitoError('NotAuthorizedException', 'Invalid session for the user.');
  }

  /** Enrolment step 2: the app shows a code of that secret. */
  private verifySoftwareToken(body: Record<string, any>) {
    for (const entry of this.pools.values()) {
      const session = entry.state.sessions[typeof body.Session === 'string' ? sha256(body.Session) : ''];
      if (!session) continue;
      const taken = this.takeSession(entry.state, body.Session, session.clientId);
      try {
        if (!taken.pendingTotp) throw new CognitoError('InvalidParameterException', 'associate a software token first');
        const user = entry.state.users.find((u) => u.sub === taken.sub);
        const step = matchTotp(unseal(taken.pendingTotp, this.totpKey, taken.sub), String(body.UserCode ?? ''), this.clock());
        if (step === undefined || !user) {
          entry.state.sessions[sha256(String(body.Session))] = taken; // another try with the same secret
          throw new CognitoError('EnableSoftwareTokenMFAException', 'Code mismatch');
        }
        user.totpUsedStep = step;
        return { Status: 'SUCCESS', Session: this.newSession(entry.state, { ...taken, totpVerified: true }) };
      } finally {
        this.save(entry.pool.id);
      }
    }
    throw new CognitoError('NotAuthorizedException', 'Invalid session for the user.');
  }

  // --- tokens ---

  private jwt(payload: Record<string, unknown>): string {
    const signingInput = `${base64url({ kid: this.keyId, alg: 'RS256' })}.${base64url(payload)}`;
    return `${signingInput}.${sign('RSA-SHA256', Buffer.from(signingInput), this.signingKey).toString('base64url')}`;
  }

  /** ID and access tokens with Cognito's claims; a refresh token (opaque, stored hashed) on a full sign-in. */
  private tokens(entry: { pool: LocalUserPool; state: PoolState; client: LocalUserPool['clients'] extends Map<string, infer C> ? C : never; clientId: string }, user: StoredUser, authTime: number, withRefresh: boolean) {
    const now = nowSeconds(this.clock());
    const originJti = randomUUID();
    const eventId = randomUUID();
    const groups = user.groups.length ? { 'cognito:groups': [...user.groups] } : {};
    const idToken = this.jwt({
      sub: user.sub,
      ...groups,
      email_verified: true,
      iss: entry.pool.issuer,
      'cognito:username': user.sub,
      origin_jti: originJti,
      aud: entry.clientId,
      event_id: eventId,
      token_use: 'id',
      auth_time: authTime,
      exp: now + Math.round(entry.client.idTokenMinutes * 60),
      iat: now,
      jti: randomUUID(),
      email: user.email,
    });
    const accessToken = this.jwt({
      sub: user.sub,
      ...groups,
      iss: entry.pool.issuer,
      client_id: entry.clientId,
      origin_jti: originJti,
      event_id: eventId,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      auth_time: authTime,
      exp: now + Math.round(entry.client.accessTokenMinutes * 60),
      iat: now,
      jti: randomUUID(),
      username: user.sub,
    });
    let refreshToken: string | undefined;
    if (withRefresh) {
      refreshToken = randomBytes(48).toString('base64url');
      entry.state.refreshTokens[sha256(refreshToken)] = { sub: user.sub, clientId: entry.clientId, expiresAt: this.clock() + entry.client.refreshTokenMinutes * 60_000, authTime };
    }
    return { AccessToken: accessToken, ExpiresIn: Math.round(entry.client.accessTokenMinutes * 60), TokenType: 'Bearer', IdToken: idToken, ...(refreshToken ? { RefreshToken: refreshToken } : {}) };
  }
}
