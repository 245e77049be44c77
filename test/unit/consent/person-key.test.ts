import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, ValidationError } from '../../../functions/domain/errors.ts';
import { keyedHash, normaliseEmail, PERSON_KEY_PATTERN, personKey } from '../../../functions/domain/person-key.ts';

const SECRET = 'a test secret that is long enough: 32+ bytes';

describe('normaliseEmail', () => {
  it('trims, lower-cases and writes an international domain in ASCII', () => {
    expect(normaliseEmail('  Aigerim.Nurlanova@Пример.Қаз \n')).toBe('aigerim.nurlanova@xn--e1afmkfd.xn--80ao21a');
    expect(normaliseEmail('Person@Example.KZ')).toBe('person@example.kz');
  });

  it('refuses what is not an address', () => {
    for (const bad of ['', 'no-at-sign', '@example.kz', 'person@', 'person@localhost']) {
      expect(() => normaliseEmail(bad)).toThrow(ValidationError);
    }
  });
});

describe('personKey', () => {
  it('is the HMAC-SHA256 of the normalised address, in hex', () => {
    const expected = createHmac('sha256', SECRET).update('email:person@xn--e1afmkfd.xn--80ao21a').digest('hex');
    expect(personKey(' Person@ПРИМЕР.қаз', SECRET)).toBe(expected);
    expect(expected).toMatch(PERSON_KEY_PATTERN);
  });

  it('is one key for every spelling of one address, and another for another address or secret', () => {
    const key = personKey('person@xn--e1afmkfd.xn--80ao21a', SECRET);
    expect(personKey('PERSON@пример.қаз', SECRET)).toBe(key);
    expect(personKey('other@пример.қаз', SECRET)).not.toBe(key);
    expect(personKey('person@пример.қаз', `${SECRET}!`)).not.toBe(key);
  });

  it('keeps hashes of different kinds of value apart', () => {
    expect(keyedHash('ip', 'person@example.kz', SECRET)).not.toBe(personKey('person@example.kz', SECRET));
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => personKey('person@example.kz', 'short')).toThrow(ConfigurationError);
  });
});
