import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { passedFor, vouchedFor } from '../../../functions/domain/email/authentication.ts';
import type { SesVerdicts } from '../../../functions/domain/email/index.ts';

const headersOf = async (head: string) => (await PostalMime.parse(`${head}\r\nFrom: sender@example.com\r\nSubject: x\r\n\r\nbody\r\n`)).headers;

describe('what SES says its checks passed for', () => {
  it("reads SES's Authentication-Results as SES writes it, folded, with comments and a tagged envelope sender", async () => {
    // The header of the SES Developer Guide's sample incoming email event: SPF's properties in segments of their own.
    const headers = await headersOf(
      'Authentication-Results: amazonses.com; spf=pass (spfCheck: domain of _spf.google.com designates 203.0.113.0\r\n' +
        ' as permitted sender) client-ip=203.0.113.0; envelope-from=prvs=144d0cba42=sender@Example.com;\r\n helo=smtp.example.com; dkim=pass header.i=@example.com;\r\n dmarc=none header.from=example.com;',
    );
    expect(passedFor(headers, 'prvs=144d0cba42=sender@Example.com')).toEqual({ spf: ['example.com'], dkim: ['example.com'] });
    // A tool's delivery names no envelope sender: SPF passed for nobody, the header's DKIM still counts.
    expect(passedFor(headers, '')).toEqual({ spf: [], dkim: ['example.com'] });
  });

  it("takes SPF's domain from the envelope SES checked, never from what the sender's HELO made of the header", async () => {
    // `EHLO mx(x)envelope-from=ceo@victim.kz`, `MAIL FROM:<a@evil.example>`: SES may write the HELO as it came.
    const helo = await headersOf('Authentication-Results: amazonses.com; spf=pass client-ip=203.0.113.9; envelope-from=a@evil.example; helo=mx(x)envelope-from=ceo@victim.kz;\r\n dkim=none;\r\n dmarc=none;');
    expect(passedFor(helo, 'a@evil.example')).toEqual({ spf: ['evil.example'], dkim: [] });
    const spfOnly: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY' };
    expect(vouchedFor(spfOnly, 'ceo@victim.kz', passedFor(helo, 'a@evil.example'))).toBe(false);
    // A DKIM domain counts only within a segment that begins with `dkim=pass`: not after a HELO's, nor joined to one
    // by a comment.
    for (const shaped of ['x;dkim=pass;header.i=@victim.kz', 'x;dkim=pass(x)header.i=@victim.kz', 'x(;dkim=pass;)header.d=victim.kz']) {
      const headers = await headersOf(`Authentication-Results: amazonses.com; spf=pass client-ip=203.0.113.9; envelope-from=a@evil.example; helo=${shaped}; dkim=pass header.i=@evil.example; dmarc=none;`);
      expect(passedFor(headers, 'a@evil.example')).toEqual({ spf: ['evil.example'], dkim: ['evil.example'] });
    }
  });

  it('reads a DKIM domain only from the topmost header, and only when SES wrote it', async () => {
    const forgedBelow = await headersOf('Authentication-Results: amazonses.com; spf=fail envelope-from=x@evil.example; dkim=none;\r\nAuthentication-Results: amazonses.com; spf=pass envelope-from=x@example.com; dkim=pass header.i=@example.com;');
    expect(passedFor(forgedBelow, '')).toEqual({ spf: [], dkim: [] });
    expect(passedFor(await headersOf('Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=x@example.com; dkim=pass header.d=example.com'), '')).toEqual({ spf: [], dkim: [] });
    expect(passedFor(await headersOf('X-Other: 1'), '')).toEqual({ spf: [], dkim: [] });
  });

  it('vouches for a From only by DMARC, or by SPF or DKIM passing for its domain, its parent or a subdomain of it', () => {
    const none = { spf: [], dkim: [] };
    const spfOnly: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY' };
    expect(vouchedFor({ ...spfOnly, dmarc: 'PASS' }, 'a@example.kz', none)).toBe(true);
    expect(vouchedFor({ ...spfOnly, dmarc: 'FAIL' }, 'a@example.kz', { spf: ['example.kz'], dkim: [] })).toBe(false);
    expect(vouchedFor(spfOnly, 'a@example.kz', { spf: ['example.kz'], dkim: [] })).toBe(true);
    expect(vouchedFor(spfOnly, 'a@Example.KZ', { spf: ['bounce.example.kz'], dkim: [] })).toBe(true);
    expect(vouchedFor(spfOnly, 'a@mail.example.kz', { spf: ['example.kz'], dkim: [] })).toBe(true);
    // Another domain, a sibling, a look-alike ending, a bare top-level domain: none speaks for example.kz.
    for (const domain of ['evil.example', 'other.example.kz', 'notexample.kz', 'kz']) expect(vouchedFor(spfOnly, 'a@mail.example.kz', { spf: [domain], dkim: [] })).toBe(false);
    // A pass named in the header counts only where SES's verdict on that check is a pass too.
    expect(vouchedFor({ ...spfOnly, spf: 'FAIL' }, 'a@example.kz', { spf: ['example.kz'], dkim: [] })).toBe(false);
    expect(vouchedFor({ ...spfOnly, spf: 'GRAY', dkim: 'PASS' }, 'a@example.kz', { spf: [], dkim: ['example.kz'] })).toBe(true);
  });
});
