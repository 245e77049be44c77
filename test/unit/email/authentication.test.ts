import { describe, expect, it } from 'vitest';
import { decideIntake, type IntakeContext, type SesVerdicts } from '../../../functions/domain/email/index.ts';

const ctx: IntakeContext = { defaultLanguage: 'en', ownMessageIdDomain: 'derbes.local', supportAddresses: ['privacy@derbes.local'], fixedSubjects: [], maxMessageBytes: 40 << 20, maxAttachmentBytes: 5 << 20 };
const PASS: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };
/** A domain that publishes no DMARC policy: SES has SPF and DKIM alone to go by. */
const NO_DMARC: SesVerdicts = { ...PASS, dmarc: 'GRAY' };

/** Whether intake takes a mail as its From's, stored as SES stores it (`above`: the headers SES puts on top). */
async function vouched(from: string | string[], verdicts: SesVerdicts, envelopeSender: string, above = ''): Promise<boolean | undefined> {
  const froms = (Array.isArray(from) ? from : [from]).map((value) => `From: ${value}\r\n`).join('');
  const raw = `${above}${froms}To: privacy@derbes.local\r\nSubject: Delete my data\r\nMessage-ID: <m1@example.net>\r\n\r\nPlease erase all my personal data.\r\n`;
  const decision = await decideIntake(new TextEncoder().encode(raw), verdicts, ctx, envelopeSender);
  return decision.kind === 'request' ? decision.vouched : undefined;
}

/** SES's Authentication-Results, its SPF naming the sender's session as the sender gave it. */
const sesHeader = (envelopeFrom: string, helo: string) =>
  `Authentication-Results: amazonses.com; spf=pass (spfCheck: domain of evil.example designates 203.0.113.5 as permitted sender) client-ip=203.0.113.5; envelope-from=${envelopeFrom}; helo=${helo};\r\n dkim=pass header.i=@evil.example;\r\n dmarc=none header.from=example.kz;\r\n`;

describe('what vouches for a From', () => {
  it("believes nothing a header says a check passed for: not a line of the sender's continuing SES's header, nor a HELO or envelope sender written into it", async () => {
    // The attacker's own domain passes SPF and signs the mail (SES: spf PASS, dkim PASS); example.kz has no DMARC.
    const attacks = [
      // The mail's first line, folded into the header SES puts last.
      sesHeader('attacker@evil.example', 'mx.evil.example') + '\tdkim=pass header.i=@example.kz;\r\n',
      sesHeader('attacker@evil.example', 'mx;dkim=pass header.i=@example.kz'),
      sesHeader('"a;dkim=pass header.i=@example.kz x"@evil.example', 'mx.evil.example'),
    ];
    for (const above of attacks) expect(await vouched('Aigerim <aigerim@example.kz>', NO_DMARC, 'attacker@evil.example', above)).toBe(false);
    // A signature alone vouches for nothing, even where SES's header names the From's domain as its signer: the
    // receipt says a signature passed, never whose.
    expect(await vouched('aigerim@example.kz', { ...NO_DMARC, spf: 'GRAY' }, '', 'Authentication-Results: amazonses.com; spf=none; dkim=pass header.i=@example.kz; dmarc=none;\r\n')).toBe(false);
  });

  it('vouches by DMARC, or by SPF passing for an envelope sender of the From\'s domain, its parent or a subdomain; DMARC failing disowns it', async () => {
    expect(await vouched('a@example.kz', PASS, '')).toBe(true);
    expect(await vouched('a@example.kz', { ...PASS, dmarc: 'FAIL' }, 'a@example.kz')).toBe(false);
    expect(await vouched('a@example.kz', NO_DMARC, 'a@example.kz')).toBe(true);
    expect(await vouched('a@Example.KZ', NO_DMARC, 'bounce+1@bounce.example.kz')).toBe(true);
    expect(await vouched('a@mail.example.kz', NO_DMARC, '"x;y"@example.kz')).toBe(true);
    // Another domain, a sibling, a look-alike ending, a bare top-level domain: none speaks for mail.example.kz.
    for (const domain of ['evil.example', 'other.example.kz', 'notexample.kz', 'kz']) expect(await vouched('a@mail.example.kz', NO_DMARC, `x@${domain}`)).toBe(false);
    // SPF's domain counts only where SES's verdict on it is a pass; a tool's delivery names no envelope sender.
    expect(await vouched('a@example.kz', { ...NO_DMARC, spf: 'FAIL' }, 'a@example.kz')).toBe(false);
    expect(await vouched('a@example.kz', NO_DMARC, '')).toBe(false);
  });

  it('vouches for nobody where the From could be read as another: two From headers, two addresses in one, another domain named in it', async () => {
    // SPF passes for evil.example; intake reads the first From, SES may judge the other.
    expect(await vouched(['attacker@evil.example', 'aigerim@example.kz'], NO_DMARC, 'attacker@evil.example')).toBe(false);
    expect(await vouched(['aigerim@example.kz', 'attacker@evil.example'], PASS, 'attacker@evil.example')).toBe(false);
    expect(await vouched('attacker@evil.example, aigerim@example.kz', NO_DMARC, 'attacker@evil.example')).toBe(false);
    // DMARC passed for the From SES read: where the header names evil.example too, that may have been evil.example's.
    expect(await vouched('"attacker@evil.example" <aigerim@example.kz>', PASS, 'attacker@evil.example')).toBe(false);
    expect(await vouched('<aigerim@example.kz> <attacker@evil.example>', PASS, 'attacker@evil.example')).toBe(false);
    // The address repeated as its own name, as many clients write it, is one domain.
    expect(await vouched('aigerim@example.kz <aigerim@example.kz>', PASS, '')).toBe(true);
    // SPF vouches for the address intake acts on, whatever names its header holds.
    expect(await vouched('"boss@evil.example" <aigerim@example.kz>', NO_DMARC, 'aigerim@example.kz')).toBe(true);
  });
});
