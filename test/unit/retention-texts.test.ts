import { describe, expect, it } from 'vitest';
import ru from '../../rules/messages/ru.json' with { type: 'json' };
import { ConfigurationError } from '../../functions/domain/errors.ts';
import { awaitingApprovalMail, parseRetentionTexts } from '../../functions/domain/retention-texts.ts';

const rule = { source: 'messages', keepFor: { amount: 5, unit: 'years' as const }, from: 'lastInteraction', fingerprint: '0123456789abcdef' };

describe('the retention alert, from the catalogues', () => {
  it.each([
    ['ru', 'правило хранения для источника «messages» ждёт утверждения', 'данные хранятся 5 лет с даты в поле lastInteraction; основание: п. 5.4', 'Утвердить: npx derbes retention approve messages'],
    ['kk', '«messages» көзінің сақтау ережесі бекітуді күтуде', 'lastInteraction өрісіндегі күннен бастап 5 жыл сақталады; негіздеме: п. 5.4', 'Бекіту: npx derbes retention approve messages'],
    ['en', "the retention rule for 'messages' awaits approval", 'data is kept 5 years from the date in the field lastInteraction; basis: п. 5.4', 'Approve it: npx derbes retention approve messages'],
  ] as const)('in %s: names the rule, its term and basis, and says how to read the plan and approve', async (language, subject, term, approve) => {
    const mail = await awaitingApprovalMail(language, { ...rule, basis: 'п. 5.4 Политики' });
    expect(mail.subject).toContain(subject);
    expect(mail.text).toContain(term);
    expect(mail.text).toContain('npx derbes retention plan messages');
    expect(mail.text).toContain(approve);
    expect(mail.text).toContain('0123456789abcdef');
    expect(`${mail.subject}\n${mail.text}`).not.toMatch(/\{\w+\}/);
  });

  it('a term in months or days reads in the language too', async () => {
    expect((await awaitingApprovalMail('ru', { ...rule, keepFor: { amount: 3, unit: 'months' }, basis: 'x' })).text).toContain('3 месяца');
    expect((await awaitingApprovalMail('kk', { ...rule, keepFor: { amount: 21, unit: 'days' }, basis: 'x' })).text).toContain('21 күн');
  });

  it('refuses a catalogue whose text names a placeholder it may not use', () => {
    const broken = { ...ru, retention: { awaitingApproval: { ...ru.retention.awaitingApproval, body: 'Удалить {email}' } } };
    expect(() => parseRetentionTexts(broken, 'ru.json')).toThrow(ConfigurationError);
    expect(() => parseRetentionTexts(broken, 'ru.json')).toThrow(/retention\.awaitingApproval\.body[\s\S]*\{email\}/);
  });
});
