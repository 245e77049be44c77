import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe; only its hash is ever stored. */
export function newVerificationCode(): { code: string; codeHash: string } {
  const code = randomBytes(32).toString('base64url');
  return { code, codeHash: hashVerificationCode(code) };
}

export function hashVerificationCode(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/** Rejects anything that cannot be one of our codes before it reaches the database. */
export function isWellFormedCode(code: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(code);
}
