import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigurationError } from './errors.ts';

const VERSION = 'v1';

/**
 * A key for sealing one kind of value, derived (HKDF-SHA256) from a long-lived secret: one secret serves several
 * purposes without any two sharing a key.
 */
export function sealingKey(secret: string, purpose: string): Buffer {
  if (Buffer.byteLength(secret) < 32) throw new ConfigurationError('sealing secret', [{ field: 'secret', message: 'must be at least 32 bytes' }]);
  return Buffer.from(hkdfSync('sha256', secret, 'derbes-sealing', purpose, 32));
}

/**
 * AES-256-GCM: a stored value (a callback task token) that a copy of the table alone does not reveal. `context`
 * (the request id) is authenticated with it, so a sealed value moved to another item does not open.
 */
export function seal(value: string, key: Buffer, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const sealed = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/** The value `seal` sealed with this key and context; anything else (tampered, moved, another key) throws. */
export function unseal(sealed: string, key: Buffer, context: string): string {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== VERSION || !iv || !body || !tag) throw new Error('not a sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
