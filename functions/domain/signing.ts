import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs the body of every call derbes makes to a company service or a processor, so the receiver can
 * tell it came from derbes and was not replayed: HMAC-SHA256 over `<unix seconds>.<body>`.
 */
export const SIGNATURE_HEADER = 'X-Derbes-Signature';

function digest(seconds: number, body: string | Uint8Array, secret: string): Buffer {
  return createHmac('sha256', secret).update(`${seconds}.`).update(body).digest();
}

/** The header value `t=<unix seconds>,v1=<hex HMAC>` for this body at this time. */
export function sign(body: string | Uint8Array, secret: string, now: Date): string {
  const seconds = Math.floor(now.getTime() / 1000);
  return `t=${seconds},v1=${digest(seconds, body, secret).toString('hex')}`;
}

/**
 * For the receiving side: true only if the header carries a fresh timestamp and a v1 signature of
 * exactly this body (the raw bytes received, before any JSON parsing). Several v1 values are accepted,
 * so a sender can sign with the old and the new key while a secret is rotated.
 */
export function verifySignature(header: string | undefined, body: string | Uint8Array, secret: string, now: Date, toleranceSeconds = 300): boolean {
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = parts.find(([name]) => name === 't')?.[1];
  if (!timestamp || !/^\d+$/.test(timestamp)) return false;
  const seconds = Number(timestamp);
  // A replayed call carries an old timestamp; one too far ahead is as suspect.
  if (Math.abs(now.getTime() / 1000 - seconds) > toleranceSeconds) return false;
  const expected = digest(seconds, body, secret);
  return parts
    .filter(([name, value]) => name === 'v1' && value && /^[0-9a-f]{64}$/.test(value))
    .some(([, value]) => timingSafeEqual(Buffer.from(value!, 'hex'), expected));
}
