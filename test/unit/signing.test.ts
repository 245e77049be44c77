import { describe, expect, it } from 'vitest';
import { sign, verifySignature } from '../../functions/domain/signing.ts';

const secret = 'a-shared-signing-key';
const body = JSON.stringify({ subject: { email: 'person@example.kz' } });
const signedAt = new Date('2026-11-20T10:00:00Z');

describe('request signatures', () => {
  it('carries the time and an HMAC that the receiver accepts', () => {
    const header = sign(body, secret, signedAt);
    expect(header).toMatch(/^t=1795168800,v1=[0-9a-f]{64}$/);
    expect(verifySignature(header, body, secret, new Date(signedAt.getTime() + 1000))).toBe(true);
    expect(verifySignature(header, Buffer.from(body), secret, signedAt)).toBe(true);
  });

  it('rejects a changed body', () => {
    const header = sign(body, secret, signedAt);
    expect(verifySignature(header, body.replace('person', 'someone'), secret, signedAt)).toBe(false);
  });

  it('rejects a signature made with another key', () => {
    expect(verifySignature(sign(body, 'another-key', signedAt), body, secret, signedAt)).toBe(false);
  });

  it('rejects a replay older than the tolerance, and a timestamp too far ahead', () => {
    const header = sign(body, secret, signedAt);
    expect(verifySignature(header, body, secret, new Date(signedAt.getTime() + 300_000))).toBe(true);
    expect(verifySignature(header, body, secret, new Date(signedAt.getTime() + 301_000))).toBe(false);
    expect(verifySignature(header, body, secret, new Date(signedAt.getTime() - 301_000))).toBe(false);
    expect(verifySignature(header, body, secret, new Date(signedAt.getTime() + 60_000), 30)).toBe(false);
  });

  it('rejects a re-dated header whose HMAC was made for another time', () => {
    const [, mac] = sign(body, secret, signedAt).split(',');
    const now = new Date(signedAt.getTime() + 3_600_000);
    expect(verifySignature(`t=${Math.floor(now.getTime() / 1000)},${mac}`, body, secret, now)).toBe(false);
  });

  it('accepts any one valid v1 value, as during a key rotation', () => {
    const [time, mac] = sign(body, secret, signedAt).split(',');
    const [, oldMac] = sign(body, 'old-key', signedAt).split(',');
    expect(verifySignature(`${time},${oldMac},${mac}`, body, secret, signedAt)).toBe(true);
  });

  it.each([undefined, '', 'v1=abc', 't=abc,v1=00', 't=1795168800', 't=1795168800,v1=zz'])('rejects the malformed header %j', (header) => {
    expect(verifySignature(header, body, secret, signedAt)).toBe(false);
  });
});
