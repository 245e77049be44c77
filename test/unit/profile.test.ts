import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadProfileFile, parseProfile } from '../../functions/config/load-profile.ts';
import { ConfigurationError } from '../../functions/domain/errors.ts';

const demo = () => JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as Record<string, any>;

function problemsOf(json: unknown): string[] {
  try {
    parseProfile(json, 'test profile');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).problems.map((p) => p.field);
  }
  throw new Error('profile was accepted');
}

describe('operator profile', () => {
  it('the shipped demo profile is valid', () => {
    expect(loadProfileFile('profiles/demo.json').operator.legalName).toBe('Demo Derbes LLP');
  });

  it('names every bad field at once', () => {
    const profile = demo();
    profile.supportAddress = 'not an address';
    profile.defaultLanguage = 'de';
    profile.sources[0].kind = 'ftp';
    profile.purposes[0].id = 'Not An Id';
    expect(problemsOf(profile).sort()).toEqual(['defaultLanguage', 'purposes.0.id', 'sources.0.kind', 'supportAddress']);
  });

  it('refuses a claim that would run without an operator', () => {
    expect(problemsOf({ ...demo(), review: { claim: 'automatic' } })).toEqual(['review.claim']);
  });

  it('refuses texts missing in a language the operator answers in', () => {
    const profile = demo();
    delete profile.purposes[1].legalBasis.en;
    expect(problemsOf(profile)).toEqual(['purposes.1.legalBasis.en']);
  });

  it('refuses a jurisdiction the release ships no rules for, naming the field', () => {
    expect(problemsOf({ ...demo(), jurisdiction: 'XX' })).toEqual(['jurisdiction']);
    const profile = demo();
    profile.breaches = { ...profile.breaches, alsoUnder: ['EU', 'ZZ'] };
    expect(problemsOf(profile)).toEqual(['breaches.alsoUnder.1']);
  });

  it('says which file is unreadable or not JSON', () => {
    expect(() => loadProfileFile('profiles/missing.json')).toThrow(/profiles\/missing.json[\s\S]*cannot be read/);
    expect(() => loadProfileFile('package-lock.json')).toThrow(ConfigurationError);
  });
});
