import { describe, expect, it } from 'vitest';
import { ComposingMailer } from '../../functions/adapters/mail/mailer.ts';

describe('the mailer', () => {
  const delivered: Buffer[] = [];
  const mailer = new ComposingMailer('privacy@derbes.local', async (raw) => void delivered.push(raw), async (email) => email === 'opted.out@example.kz');
  const mail = { to: 'opted.out@example.kz', subject: 'Тема', text: 'Текст', messageId: '<DRB-AAAAA-BBBBB.answer.1@derbes.local>' };

  it('never sends marketing to an address on the suppression list', async () => {
    await expect(mailer.send({ ...mail, category: 'marketing' })).resolves.toBe('suppressed');
    expect(delivered).toHaveLength(0);
  });

  it('still delivers the answers the law requires, marked so robots do not answer them', async () => {
    await expect(mailer.send(mail)).resolves.toBe('sent');
    const raw = delivered[0]!.toString('utf8');
    expect(raw).toContain('Auto-Submitted: auto-replied');
    expect(raw).toContain('Message-ID: <DRB-AAAAA-BBBBB.answer.1@derbes.local>');
    expect(raw).toMatch(/Content-Type: text\/plain; charset=utf-8/i);
  });
});
