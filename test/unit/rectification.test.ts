import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../functions/config/load-profile.ts';
import { correctableFields } from '../../functions/config/profile-schema.ts';
import { changesFor } from '../../functions/adapters/sources/source-rules.ts';
import { ValidationError } from '../../functions/domain/errors.ts';
import { MAX_CHANGES } from '../../functions/domain/rectification.ts';
import { correctionProblems, reviewReasons } from '../../functions/use-cases/fulfilment-plan.ts';
import { parseSubmission } from '../../functions/use-cases/submit-request.ts';
import type { DataSubjectRequest } from '../../functions/domain/request.ts';

const demoJson = () => JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as Record<string, any>;
const demo = () => parseProfile(demoJson(), 'demo');

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).problems.map((p) => p.field).sort();
  }
  throw new Error('accepted');
}

const submission = (changes: unknown) => ({ types: ['rectification'], email: 'a@example.kz', language: 'en', changes });

describe('rectification input', () => {
  it('the demo declares what a person may correct, with types', () => {
    expect(Object.fromEntries([...correctableFields(demo())].map(([field, declared]) => [field, declared.type]))).toEqual({ name: 'text', phone: 'phone', city: 'text', deliveryAddress: 'text' });
  });

  it('names each field that is not declared correctable, inherited names included', () => {
    const problems = correctionProblems(demo(), { createdAt: '1999-01-01', toString: 'x', hasOwnProperty: 'y', phone: '+7 701 000 00 00' });
    expect(problems.map((p) => p.field).sort()).toEqual(['changes.createdAt', 'changes.hasOwnProperty', 'changes.toString']);
    expect(problems[0]!.message).toContain('correctable fields: name, phone, city, deliveryAddress');
  });

  it('checks each value against its declared type, without echoing it', () => {
    const problems = correctionProblems(demo(), { phone: 'call me at home', city: 'Астана' });
    expect(problems).toEqual([{ field: 'changes.phone', message: expect.not.stringContaining('call me'), kind: 'phone' }]);
    expect(correctionProblems(demo(), { phone: '+7 (701) 000-00-00', name: 'Айгерим' })).toEqual([]);
  });

  it('bounds the number and size of changes, naming the field, so a request always fits its stored item', () => {
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`field${i}`, 'x'.repeat(1000)]));
    expect(fieldsOf(() => parseSubmission(submission(many)))).toEqual(['changes']);
    const tooLong = { phone: 'x'.repeat(1001) };
    expect(fieldsOf(() => parseSubmission(submission(tooLong)))).toEqual(['changes.phone']);
    expect(fieldsOf(() => parseSubmission(submission({ __proto__x: 'a', 'a.b': 'c' })))).toEqual(['changes.__proto__x', 'changes.a.b']);
    expect(() => parseSubmission(submission(Object.fromEntries(Array.from({ length: MAX_CHANGES }, (_, i) => [`f${i}`, 'v']))))).not.toThrow();
  });

  it('with nothing declared, a rectification waits for an operator, who states the changes', () => {
    const json = demoJson();
    for (const source of json.sources) for (const field of Object.values<Record<string, unknown>>(source.fields ?? {})) delete field.correctable;
    const profile = parseProfile(json, 'no correctable fields');
    const request = { types: ['rectification'], changes: { phone: '+7 700 000 00 00' } } as unknown as DataSubjectRequest;
    expect(reviewReasons({ profile }, request)).toEqual([{ kind: 'rectificationUndeclared' }]);
    expect(correctionProblems(profile, { anything: 'x' })).toEqual([]);
    expect(reviewReasons({ profile: demo() }, request)).toEqual([]);
  });

  it('a record is changed only in fields it holds as its own, never in names it inherits', () => {
    const record = { recordId: 'crm-1', phone: '+7 701 000 00 00' };
    expect(changesFor(record, { phone: '+7 700 000 00 01', toString: 'x', hasOwnProperty: 'y', constructor: 'z', city: 'Астана' })).toEqual({ phone: '+7 700 000 00 01' });
  });
});
