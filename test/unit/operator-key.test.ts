import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/domain/errors.ts';
import { keyFingerprint, matchOperatorKey, operatorKeys } from '../../functions/domain/operator-key.ts';

const OLD = 'old-key-0123456789abcdefghijklmnop';
const NEW = 'new-key-0123456789abcdefghijklmnop';

describe('the operator key', () => {
  it('a single key goes by its fingerprint, which does not reveal it', () => {
    const keys = operatorKeys(OLD);
    expect([...keys.keys()]).toEqual([keyFingerprint(OLD)]);
    expect(keyFingerprint(OLD)).toMatch(/^key-[0-9a-f]{12}$/);
    expect(keyFingerprint(OLD)).not.toContain(OLD.slice(0, 8));
    expect(matchOperatorKey(OLD, keys)).toBe(keyFingerprint(OLD));
    expect(matchOperatorKey(NEW, keys)).toBeUndefined();
  });

  it('during a rotation both keys work, each known by its own id', () => {
    const keys = operatorKeys(JSON.stringify({ keys: { 'ops-2026-10': OLD, 'ops-2026-11': NEW } }));
    expect(matchOperatorKey(OLD, keys)).toBe('ops-2026-10');
    expect(matchOperatorKey(NEW, keys)).toBe('ops-2026-11');
    expect(matchOperatorKey(`${NEW}x`, keys)).toBeUndefined();
  });

  it('a short key or a malformed key set is a configuration error, not an open door', () => {
    expect(() => operatorKeys('short')).toThrow(ConfigurationError);
    expect(() => operatorKeys('{"keys": {}}')).toThrow(ConfigurationError);
    expect(() => operatorKeys('{"keys": {"bad id!": "x"}}')).toThrow(ConfigurationError);
    expect(() => operatorKeys('{not json')).toThrow(ConfigurationError);
  });
});
