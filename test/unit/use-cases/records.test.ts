import { describe, expect, it } from 'vitest';
import { loadMessages } from '../../../functions/domain/messages.ts';
import { disclosedRecord, presentRecord, recordLines } from '../../../functions/use-cases/records.ts';

const source = {
  fields: {
    name: { label: { ru: 'Имя', kk: 'Аты', en: 'Name' }, format: 'text' as const },
    paidAt: { label: { ru: 'Оплачено', kk: 'Төленді', en: 'Paid on' }, format: 'datetime' as const },
    amount: { label: { ru: 'Сумма', kk: 'Сома', en: 'Amount' }, format: 'money' as const, currency: 'KZT' },
    channel: { label: { ru: 'Канал', kk: 'Арна', en: 'Channel' }, format: 'list' as const, values: { sms: { ru: 'SMS', kk: 'SMS', en: 'text message' } } },
    colleague: { label: { ru: 'Коллега', kk: 'Әріптес', en: 'Colleague' }, format: 'text' as const, withheld: { reason: { ru: 'чужие данные', kk: 'басқа адамның деректері', en: 'another person\'s data' } } },
  },
};

describe('records as people read them', () => {
  it('in the profile\'s order with labels and formats, undeclared fields after, empty ones left out, others\' data withheld', async () => {
    const m = await loadMessages('en');
    const record = { extra: 'x', amount: 12500, name: 'Aigerim', paidAt: '2026-02-10T05:15:00Z', channel: ['sms', 'push'], colleague: 'Daniyar', empty: '' };
    const shown = presentRecord(source, record, m, 'Asia/Almaty');
    expect(shown.fields.map((f) => [f.label, f.value])).toEqual([
      ['Name', 'Aigerim'],
      ['Paid on', '10 February 2026, 10:15 Astana time'],
      ['Amount', expect.stringMatching(/12,500/)],
      ['Channel', 'text message, push'],
      ['extra', 'x'],
    ]);
    expect(recordLines(shown, m)).toContain('    Colleague: not shown — another person\'s data');
    expect(disclosedRecord(source, record)).not.toHaveProperty('colleague');
  });

  it('shows a value that does not fit its format as it is, never dropping it', async () => {
    const shown = presentRecord(source, { paidAt: 'last spring', amount: 'unknown' }, await loadMessages('ru'), 'Asia/Almaty');
    expect(shown.fields.map((f) => f.value)).toEqual(['last spring', 'unknown']);
  });

  it('reads a time without an offset as the source\'s local time, in the zone the answer is written in', async () => {
    const shown = presentRecord(source, { paidAt: '2026-02-10T10:15:00' }, await loadMessages('kk'), 'Asia/Almaty');
    expect(shown.fields.map((f) => f.value)).toEqual(['2026 жылғы 10 ақпан, 10:15 (Астана уақыты)']);
  });
});
