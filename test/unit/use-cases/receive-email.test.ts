import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SesVerdicts } from '../../../functions/domain/email/index.ts';
import { receiveEmail } from '../../../functions/use-cases/receive-email.ts';
import { placeRequest, systemFor } from '../../support/flow.ts';

const PASS: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };

function mail(headers: Record<string, string>, body: string, attachment?: { filename: string; content: string }): Uint8Array {
  const head = { From: 'Aigerim <aigerim@example.kz>', To: 'privacy@derbes.local', Date: 'Tue, 10 Feb 2026 10:15:00 +0500', 'MIME-Version': '1.0', ...headers };
  const lines = Object.entries(head).map(([name, value]) => `${name}: ${value}`);
  if (!attachment) return new TextEncoder().encode([...lines, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
  return new TextEncoder().encode(
    [
      ...lines,
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '--b1',
      `Content-Type: application/pdf; name="${attachment.filename}"`,
      `Content-Disposition: attachment; filename="${attachment.filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(attachment.content).toString('base64'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

describe('receiveEmail', () => {
  it('makes a request of a clear message, receipted by the workflow it starts, with the outcome recorded', async () => {
    const s = systemFor('profiles/demo.json');
    const outcome = await receiveEmail(s.deps, 'ses-1', mail({ Subject: 'Удаление данных', 'Message-ID': '<m1@mail.example>' }, 'Прошу удалить все мои персональные данные.'), PASS);
    expect(outcome).toMatchObject({ outcome: 'request', requestId: expect.stringMatching(/^DRB-/) });
    const request = await s.deps.requests.get(outcome.requestId!);
    expect(request).toMatchObject({ types: ['erasure'], channel: 'email', email: 'aigerim@example.kz', language: 'ru', status: 'RECEIVED' });
    expect(s.workflow.started).toEqual([request.id]);
    const received = (await s.deps.audit.list(request.id)).find((e) => e.type === 'mail.received');
    // What arrived, provably: the hash of the raw message and SES' verdicts on it, never its content.
    const raw = mail({ Subject: 'Удаление данных', 'Message-ID': '<m1@mail.example>' }, 'Прошу удалить все мои персональные данные.');
    expect(received!.detail).toMatchObject({ sesMessageId: 'ses-1', outcome: 'request', sha256: createHash('sha256').update(raw).digest('hex'), verdicts: PASS });
  });

  it('makes one request of a message delivered twice', async () => {
    const s = systemFor('profiles/demo.json');
    const raw = mail({ Subject: 'Delete my data', 'Message-ID': '<m2@mail.example>' }, 'Please delete all my personal data.');
    const first = await receiveEmail(s.deps, 'ses-2', raw, PASS);
    const again = await receiveEmail(s.deps, 'ses-2-redelivered', raw, PASS);
    expect(again.requestId).toBe(first.requestId);
    expect(s.requests.requests.size).toBe(1);
    expect((await s.deps.audit.list(first.requestId!)).filter((e) => e.type === 'mail.received')).toHaveLength(1);
  });

  it('makes a request for an operator to classify of a message nobody can read, with no types', async () => {
    const s = systemFor('profiles/demo.json');
    const outcome = await receiveEmail(s.deps, 'ses-3', mail({ Subject: 'Hello', 'Message-ID': '<m3@mail.example>' }, 'Call me.'), PASS);
    expect(outcome.outcome).toBe('triage');
    expect((await s.deps.requests.get(outcome.requestId!)).types).toEqual([]);
  });

  it('joins a reply to its request with the documents attached, and keeps a reply to an unknown reference apart', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['rectification']);
    const reply = mail(
      { Subject: `Re: [${request.id}] Answer`, 'Message-ID': '<m4@mail.example>', 'In-Reply-To': `<${request.id}.receipt@derbes.local>` },
      'Here is my ID card.',
      { filename: 'id.pdf', content: '%PDF-1.4 card' },
    );
    expect(await receiveEmail(s.deps, 'ses-4', reply, PASS)).toEqual({ outcome: 'reply', requestId: request.id });
    const joined = (await s.deps.audit.list(request.id)).find((e) => e.type === 'mail.received');
    expect(joined!.detail).toMatchObject({ outcome: 'reply', attachments: [{ size: 13, key: 'attachments/none' }] });
    // The file's name stays with the file: the trail, which outlives the request's term, never holds it.
    expect(JSON.stringify(await s.deps.audit.list(request.id))).not.toContain('id.pdf');
    expect(s.requests.requests.size).toBe(1);

    const stray = mail({ Subject: 'Re: [DRB-99999-99999] Answer', 'Message-ID': '<m5@mail.example>' }, 'Hello?');
    expect(await receiveEmail(s.deps, 'ses-5', stray, PASS)).toEqual({ outcome: 'reply', requestId: undefined });
    expect((await s.deps.audit.list('INBOUND#ses-5'))[0]!.detail).toMatchObject({ outcome: 'reply' });
  });

  it('drops an automatic reply, recording why, and makes no request', async () => {
    const s = systemFor('profiles/demo.json');
    const outcome = await receiveEmail(s.deps, 'ses-6', mail({ Subject: 'Out of office', 'Message-ID': '<m6@mail.example>', 'Auto-Submitted': 'auto-replied' }, 'I am away.'), PASS);
    expect(outcome.outcome).toBe('drop');
    expect(s.requests.requests.size).toBe(0);
    expect((await s.deps.audit.list('INBOUND#ses-6'))[0]!.detail).toMatchObject({ outcome: 'drop', reason: outcome.reason });
  });
});
