import { describe, expect, it } from 'vitest';
import { decideIntake, type IntakeContext, type SesVerdicts } from '../../../functions/domain/email/index.ts';

const PASS: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };
const context: IntakeContext = { defaultLanguage: 'ru', ownMessageIdDomain: 'derbes.local', supportAddresses: ['privacy@derbes.local'], fixedSubjects: [], maxMessageBytes: 10 * 1024 * 1024, maxAttachmentBytes: 1024 * 1024 };

describe('header limits', () => {
  it('a Message-ID longer than a header line may be is not kept (found by the intake fuzzer: it overflowed a DynamoDB item)', async () => {
    const raw = Buffer.from(`From: a@example.kz\r\nTo: privacy@derbes.local\r\nMessage-ID: <${'x'.repeat(600_000)}@example.kz>\r\nSubject: Please delete my data\r\n\r\nPlease delete my account.\r\n`);
    const decision = await decideIntake(raw, PASS, context);
    expect(decision.kind).toBe('request');
    expect(decision.messageId).toBeUndefined();
  });
});
