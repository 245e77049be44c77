import { createHmac } from 'node:crypto';
import { normaliseAddress } from './email/address.ts';
import { ConfigurationError, ValidationError } from './errors.ts';

/** HMAC-SHA256 wants a key as long as its output; a shorter one makes the keys guessable from a list of addresses. */
const MIN_SECRET_BYTES = 32;

/** A person key as stored: 64 lower-case hex digits. Anything else (say, a raw address) is refused by the ledger. */
export const PERSON_KEY_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The comparable form of an e-mail address: trimmed, lower case, the domain in its ASCII (punycode) form.
 * The same normalisation as mail intake uses, so a request by mail and one by web form meet one person.
 */
export function normaliseEmail(email: string): string {
  const normalised = normaliseAddress(email);
  if (!normalised) throw new ValidationError([{ field: 'email', message: 'not an e-mail address' }]);
  return normalised;
}

/** A keyed hash of one value, e.g. an IP address kept as consent evidence; `kind` keeps hashes of different things apart. */
export function keyedHash(kind: string, value: string, secret: string | Buffer): string {
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    throw new ConfigurationError('person key secret', [{ field: 'secret', message: `must be at least ${MIN_SECRET_BYTES} bytes` }]);
  }
  return createHmac('sha256', secret).update(`${kind}:${value}`, 'utf8').digest('hex');
}

/** The key the consent ledger files a person under: never the address itself, only its keyed hash. */
export function personKey(identifier: string, secret: string | Buffer): string {
  return keyedHash('email', normaliseEmail(identifier), secret);
}
