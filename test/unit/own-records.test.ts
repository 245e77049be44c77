import { describe, expect, it, vi } from 'vitest';
import { canonicalJson } from '../../functions/domain/canonical.ts';
import { ConfigurationError } from '../../functions/domain/errors.ts';
import { anonymisedRequest, ownRecordsCutoff, ownRecordsTerm, parseOwnRecordsRules } from '../../functions/domain/own-records.ts';
import type { DataSubjectRequest } from '../../functions/domain/request.ts';
import shipped from '../../rules/retention/own-records.json' with { type: 'json' };

describe("the term of derbes' own records", () => {
  it('is the KZ rule in force (3 years, Civil Code Art. 178, with its source and confidence) unless the profile sets one', () => {
    const now = new Date('2026-11-29T12:00:00Z');
    expect(ownRecordsTerm('KZ', now, 'Asia/Almaty', undefined)).toMatchObject({ keepFor: { amount: 3, unit: 'years' }, ruleId: 'KZ-civil-code-178-own-records', confidence: 'S' });
    expect(ownRecordsTerm('US-CA', now, 'America/Los_Angeles', undefined)).toBeUndefined();
    const own = { keepFor: { amount: 5, unit: 'years' as const }, basis: { en: 'Our policy' } };
    expect(ownRecordsTerm('KZ', now, 'Asia/Almaty', own)).toEqual({ ...own, ruleId: 'profile' });
    // Effective-dated: a rule closed yesterday no longer applies, its successor does.
    const [rule] = parseOwnRecordsRules(shipped, 'own-records.json');
    const rules = [
      { ...rule!, effectiveTo: '2026-11-28' },
      { ...rule!, id: 'KZ-next', effectiveFrom: '2026-11-29', keepFor: { amount: 1, unit: 'years' as const } },
    ];
    expect(ownRecordsTerm('KZ', now, 'Asia/Almaty', undefined, rules)?.ruleId).toBe('KZ-next');
  });

  it('refuses rules whose dates overlap, and names the field', () => {
    const [rule] = (shipped as { ownRecords: unknown[] }).ownRecords as Array<Record<string, unknown>>;
    expect(() => parseOwnRecordsRules({ ownRecords: [rule, { ...rule, id: 'second', effectiveFrom: '2020-01-01' }] }, 'x.json')).toThrow(ConfigurationError);
    expect(() => parseOwnRecordsRules({ ownRecords: [{ ...rule, confidence: 'maybe' }] }, 'x.json')).toThrow(/confidence/);
  });

  it('are validated on first use, not at import: a broken shipped file loads, then the first term asked for is refused', async () => {
    const [rule] = (shipped as { ownRecords: unknown[] }).ownRecords as Array<Record<string, unknown>>;
    vi.resetModules();
    vi.doMock('../../rules/retention/own-records.json', () => ({ default: { ownRecords: [{ ...rule, effectiveFrom: '2026-02-30' }] } }));
    try {
      const fresh = await import('../../functions/domain/own-records.ts');
      const { ConfigurationError: FreshConfigurationError } = await import('../../functions/domain/errors.ts');
      const now = new Date('2026-11-29T12:00:00Z');
      const own = { keepFor: { amount: 1, unit: 'years' as const }, basis: { en: 'contract' } };
      // Refused even where the profile sets the term: the purge's first call fails before it anonymises anything.
      expect(() => fresh.ownRecordsTerm('KZ', now, 'Asia/Almaty', own)).toThrow(FreshConfigurationError);
      expect(() => fresh.ownRecordsTerm('KZ', now, 'Asia/Almaty', undefined)).toThrow(/rules\/retention\/own-records\.json[\s\S]*effectiveFrom/);
    } finally {
      vi.doUnmock('../../rules/retention/own-records.json');
      vi.resetModules();
    }
  });

  it("starts the term at the start of the local day, in the zone's offset of that day", () => {
    expect(ownRecordsCutoff({ amount: 3, unit: 'years' }, new Date('2026-11-29T12:00:00Z'), 'Asia/Almaty')).toBe('2023-11-28T18:00:00.000Z');
  });
});

describe('an anonymised request', () => {
  const request: DataSubjectRequest = {
    id: 'DRB-AAAAA-BBBBB',
    types: ['rectification'],
    status: 'REFUSED',
    channel: 'web',
    email: 'aigerim@example.kz',
    name: 'Айгерім',
    language: 'kk',
    receivedAt: '2022-01-10T10:00:00.000Z',
    deadline: {} as never,
    changes: { phone: '+7 700 000 00 00' },
    message: 'Айгерім: телефонымды +7 700 000 00 00 деп өзгертіңіз',
    firstMail: { messageId: '<CA1@mail.example.kz>', subject: 'Айгерім — телефон', authenticated: true },
    latestMail: '<CA2@mail.example.kz>',
    gpc: { ipHash: 'a'.repeat(64) },
    decision: { approved: false, decidedAt: '2022-01-11T10:00:00.000Z', reason: 'Айгерім, құжат жоқ', basis: { ground: 'KZ-no-document' }, answer: 'Құжат жіберіңіз' },
    closedAt: '2022-01-11T10:00:00.000Z',
    extensionReason: 'Айгерім, мұрағаттан іздейміз',
  };

  it('keeps what happened and when, and nothing that names the person', () => {
    const anonymised = anonymisedRequest(request, '2026-11-29T12:00:00.000Z', 'f'.repeat(64));
    expect(anonymised).toEqual({
      ...request,
      email: '[erased]',
      name: undefined,
      gpc: undefined,
      changes: { phone: '[erased]' },
      message: '[erased]',
      extensionReason: '[erased]',
      firstMail: undefined,
      latestMail: undefined,
      decision: { approved: false, decidedAt: request.decision!.decidedAt, reason: '[erased]', basis: { ground: 'KZ-no-document' }, answer: '[erased]' },
      anonymised: { at: '2026-11-29T12:00:00.000Z', digest: 'f'.repeat(64) },
    });
    expect(JSON.stringify(anonymised)).not.toMatch(/Айгерім|example\.kz|\+7/);
  });

  it('erases the words an operator closed mail as not a request with, keeping who and when', () => {
    const closed = { ...request, decision: undefined, status: 'NOT_A_REQUEST' as const, notARequest: { by: 'operator@demo.kz', at: '2022-01-11T10:00:00.000Z', text: 'Айгерім, бұл сұрау емес: +7 701 000 00 00' } };
    const anonymised = anonymisedRequest(closed, '2026-11-29T12:00:00.000Z', 'f'.repeat(64));
    expect(anonymised.notARequest).toEqual({ by: 'operator@demo.kz', at: '2022-01-11T10:00:00.000Z', text: '[erased]' });
    expect(JSON.stringify(anonymised)).not.toMatch(/Айгерім|\+7/);
  });

  it('is digested over one encoding, whatever the order of its keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: undefined }], c: 'ә' } })).toBe('{"a":{"c":"ә","d":[1,{"f":2}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});
