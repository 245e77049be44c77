import { createHash, randomBytes } from 'node:crypto';

/**
 * The random codes in the links we mail — a confirmation link, an access package's download link: 256 random bits,
 * URL-safe, single-use; only the hash is ever stored.
 */
export function newSecretCode(): { code: string; codeHash: string } {
  const code = randomBytes(32).toString('base64url');
  return { code, codeHash: hashSecretCode(code) };
}

/** What the stores keep of a code, and look it up by. */
export function hashSecretCode(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/** Rejects anything that cannot be one of our codes before it reaches the database. */
export function isWellFormedCode(code: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(code);
}
