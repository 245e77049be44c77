import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../functions/domain/errors.ts';
import { assertTransition, newReference, REFERENCE_PATTERN } from '../../functions/domain/request.ts';
import { hashSecretCode, isWellFormedCode, newSecretCode } from '../../functions/domain/secret-code.ts';

describe('requests', () => {
  it('references are readable and distinct', () => {
    const references = new Set(Array.from({ length: 2000 }, newReference));
    expect(references.size).toBe(2000);
    for (const reference of references) expect(reference).toMatch(new RegExp(`^${REFERENCE_PATTERN.source}$`));
  });

  it('only the workflow\'s transitions are allowed', () => {
    expect(() => assertTransition({ id: 'r', status: 'RECEIVED' }, 'AWAITING_VERIFICATION')).not.toThrow();
    expect(() => assertTransition({ id: 'r', status: 'RECEIVED' }, 'COMPLETED')).toThrow(ConflictError);
    expect(() => assertTransition({ id: 'r', status: 'CLOSED_UNVERIFIED' }, 'IN_PROGRESS')).toThrow(ConflictError);
  });
});

describe('verification codes', () => {
  it('carry 256 random bits and are stored only as a hash', () => {
    const { code, codeHash } = newSecretCode();
    expect(Buffer.from(code, 'base64url')).toHaveLength(32);
    expect(codeHash).toBe(hashSecretCode(code));
    expect(codeHash).not.toContain(code);
    expect(isWellFormedCode(code)).toBe(true);
    expect(newSecretCode().code).not.toBe(code);
  });

  it('malformed codes are refused before any lookup', () => {
    expect(isWellFormedCode('')).toBe(false);
    expect(isWellFormedCode('a'.repeat(42))).toBe(false);
    expect(isWellFormedCode(`${'a'.repeat(42)}/`)).toBe(false);
  });
});
