import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutateMail } from '../../../bench/lib/mutate-mail.ts';
import { decideIntake, type IntakeDecision, type SesVerdicts } from '../../../functions/domain/email/index.ts';
import { readCorpus } from '../../fixtures/mail/corpus.ts';

const { index, raw } = readCorpus();
const KINDS = ['request', 'reply', 'drop', 'reject'];

const verdict = fc.constantFrom('PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED' as const);
const verdicts: fc.Arbitrary<SesVerdicts> = fc.record({ spam: verdict, virus: verdict, spf: verdict, dkim: verdict, dmarc: verdict });

/** decideIntake promises never to reject; a rejection fails the property through `await`. */
async function decidesSomething(bytes: Uint8Array, given: SesVerdicts): Promise<IntakeDecision> {
  const decision = await decideIntake(bytes, given, index.context);
  expect(KINDS).toContain(decision.kind);
  return decision;
}

describe('decideIntake on any bytes', () => {
  it('never throws and always decides, for arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), verdicts, async (bytes, given) => {
        await decidesSomething(bytes, given);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws and always decides, for header-shaped text', async () => {
    const headerish = fc
      .array(fc.tuple(fc.constantFrom('From', 'Subject', 'Content-Type', 'Return-Path', 'In-Reply-To', 'X-Junk'), fc.string()), { maxLength: 8 })
      .chain((fields) =>
        fc.string().map((body) => new TextEncoder().encode(`${fields.map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n${body}`)),
      );
    await fc.assert(
      fc.asyncProperty(headerish, verdicts, async (bytes, given) => {
        await decidesSomething(bytes, given);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws and always decides, for mutated corpus messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...index.messages), fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (entry, seed) => {
        const { bytes } = mutateMail(raw(entry.file), seed);
        await decidesSomething(bytes, entry.verdicts);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps personal data out of reject details', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...index.messages), fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (entry, seed) => {
        const { bytes } = mutateMail(raw(entry.file), seed);
        const decision = await decidesSomething(bytes, entry.verdicts);
        if (decision.kind === 'reject') expect(decision.detail).toMatch(/^[a-zA-Z0-9 ;,]+$/);
      }),
      { numRuns: 300 },
    );
  });
});
