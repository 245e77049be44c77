import { describe, expect, it } from 'vitest';
import { dateHolidays } from '../../../functions/adapters/holidays/date-holidays.ts';
import { createDeadlineEngine, needsBaseHolidays } from '../../../functions/domain/deadlines/index.ts';
import { ConfigurationError } from '../../../functions/domain/errors.ts';
import kzJurisdiction from '../../../rules/jurisdictions/KZ.json' with { type: 'json' };
import { withKazakhstan } from '../../support/rule-documents.ts';
import { SHIPPED_RULES } from '../../../functions/domain/deadlines/shipped.ts';

function configurationProblems(create: () => unknown): { source: string; fields: string[] } {
  try {
    create();
  } catch (error) {
    if (error instanceof ConfigurationError) return { source: error.source, fields: error.problems.map((p) => p.field) };
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

const year2027 = (transfers: unknown[]) => ({
  KZ: { years: { '2027': { source: 'Order of the Minister of Labour for 2027', confidence: 'C', holidays: [], transfers } } },
});

describe('calendar validation', () => {
  it('refuses a base-holiday country the library does not know, once it is given the library', () => {
    const overrides = { RU: { baseHolidays: { provider: 'date-holidays', country: 'XX', types: ['public'] } } };
    expect(configurationProblems(() => createDeadlineEngine({ calendarOverrides: overrides, baseHolidays: dateHolidays() }, SHIPPED_RULES))).toEqual({
      source: 'calendar RU',
      fields: ['baseHolidays'],
    });
  });

  it('counts days in a calendar that builds on the holiday library only when given it, and says which calendar lacks it', () => {
    const receivedAt = new Date('2025-04-07T07:00:00.000Z');
    const without = createDeadlineEngine({}, SHIPPED_RULES);
    expect(configurationProblems(() => without.compute({ jurisdiction: 'RU', requestType: 'access', receivedAt }))).toEqual({
      source: 'calendar RU',
      fields: ['baseHolidays'],
    });
    // KZ's calendar is its own: no library needed.
    expect(without.compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt }).dueAt).toBeTruthy();
    expect(createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES).compute({ jurisdiction: 'RU', requestType: 'access', receivedAt }).dueAt).toBe(
      '2025-04-21T23:59:59+03:00',
    );
  });

  it('tells which jurisdictions need the holiday library', () => {
    expect(needsBaseHolidays({}, ['KZ', 'EU'], SHIPPED_RULES)).toBe(false);
    expect(needsBaseHolidays({}, ['KZ', 'RU'], SHIPPED_RULES)).toBe(true);
    expect(needsBaseHolidays({ calendarOverrides: { KZ: { baseHolidays: { provider: 'date-holidays', country: 'KZ', types: ['public'] } } } }, ['KZ'], SHIPPED_RULES)).toBe(true);
  });

  it('refuses a date that does not exist, naming the field', () => {
    const overrides = {
      KZ: { years: { '2025': { source: 'x', confidence: 'C', holidays: [{ date: '2025-02-30', name: 'Nonsense', onWeekend: 'no_substitute' }], transfers: [] } } },
    };
    const { source, fields } = configurationProblems(() => createDeadlineEngine({ calendarOverrides: overrides }, SHIPPED_RULES));
    expect(source).toBe('calendarOverrides');
    expect(fields).toEqual(['KZ.years.2025.holidays.0.date']);
  });

  it('refuses an unknown value of a field and an unknown field', () => {
    const overrides = {
      KZ: { holidays: [{ id: 'x', name: 'X', monthDay: '04-01', onWeekend: 'previous_day', source: 's', confidence: 'C', colour: 'red' }] },
    };
    const { fields } = configurationProblems(() => createDeadlineEngine({ calendarOverrides: overrides }, SHIPPED_RULES));
    expect(fields).toEqual(expect.arrayContaining(['KZ.holidays.0.onWeekend', 'KZ.holidays.0.colour']));
  });

  it('refuses a field of the wrong type', () => {
    const { fields } = configurationProblems(() => createDeadlineEngine({ calendarOverrides: { KZ: { weekend: 'saturday' } } }, SHIPPED_RULES));
    expect(fields).toEqual(['KZ.weekend']);
  });

  it('refuses a transfer order whose working day is a weekday', () => {
    // Tue 5 Jan 2027 is no weekend day
    const overrides = year2027([{ dayOff: '2027-01-08', workingDay: '2027-01-05', basis: 'https://adilet.zan.kz/rus/docs/V2700000001' }]);
    const error = (() => {
      try {
        createDeadlineEngine({ calendarOverrides: overrides }, SHIPPED_RULES);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    const { source, problems } = error as ConfigurationError;
    expect(source).toBe('rules/calendars/KZ.json with calendarOverrides.KZ');
    expect(problems).toEqual([{ field: 'years.2027.transfers.0.workingDay', message: expect.stringContaining('is a weekday'), kind: 'invalid' }]);
  });

  it('refuses a transfer dated outside its year, and an unknown time zone', () => {
    const overrides = {
      KZ: { timeZone: 'Asia/Nowhere', ...year2027([{ dayOff: '2026-01-08', workingDay: '2027-01-09', basis: 'https://adilet.zan.kz/rus/docs/V2700000001' }]).KZ },
    };
    const { fields } = configurationProblems(() => createDeadlineEngine({ calendarOverrides: overrides }, SHIPPED_RULES));
    expect(fields).toEqual(['KZ.timeZone']);
    const { fields: yearFields } = configurationProblems(() =>
      createDeadlineEngine({ calendarOverrides: year2027([{ dayOff: '2026-01-08', workingDay: '2027-01-09', basis: 'https://adilet.zan.kz/rus/docs/V2700000001' }]) }, SHIPPED_RULES),
    );
    expect(yearFields).toEqual(['years.2027.transfers.0.dayOff']);
  });
});

describe('calendar overrides', () => {
  it('refuses a transfer order told in words of one language: the evidence pack shows its basis in ru, kk and en', () => {
    const { fields } = configurationProblems(() =>
      createDeadlineEngine({ calendarOverrides: year2027([{ dayOff: '2027-01-08', workingDay: '2027-01-09', basis: 'Fri 8 Jan off, Sat 9 Jan worked' }]) }, SHIPPED_RULES),
    );
    expect(fields).toEqual(['KZ.years.2027.transfers.0.basis']);
  });


  const receivedAt = new Date('2027-01-07T10:00:00+05:00'); // Thu 7 Jan 2027, Orthodox Christmas

  it('a 2027 transfer order added through calendarOverrides changes the due date', () => {
    const shipped = createDeadlineEngine({}, SHIPPED_RULES).compute({ jurisdiction: 'KZ', requestType: 'erasure', receivedAt });
    expect(shipped.dueAt).toBe('2027-01-08T23:59:59+05:00');

    const overridden = createDeadlineEngine({
      calendarOverrides: year2027([{ dayOff: '2027-01-08', workingDay: '2027-01-09', basis: { ru: 'Пт 8 января — выходной, сб 9 января — рабочий день', kk: '8 қаңтар, жұма — демалыс, 9 қаңтар, сенбі — жұмыс күні', en: 'Fri 8 Jan off, Sat 9 Jan worked' } }]),
    }, SHIPPED_RULES).compute({ jurisdiction: 'KZ', requestType: 'erasure', receivedAt });
    expect(overridden.dueAt).toBe('2027-01-09T23:59:59+05:00');
  });

  it('replaces a year whole, so a changed Kurban Ait date drops the shipped one', () => {
    const engine = createDeadlineEngine({
      calendarOverrides: {
        KZ: { years: { '2026': { source: 'revised', confidence: 'S', holidays: [{ date: '2026-05-28', name: 'Kurban Ait (first day)', onWeekend: 'no_substitute' }], transfers: [] } } },
      },
    }, SHIPPED_RULES);
    expect(engine.isWorkingDay('KZ', '2026-05-27')).toBe(true);
    expect(engine.isWorkingDay('KZ', '2026-05-28')).toBe(false);
    expect(engine.isWorkingDay('KZ', '2025-06-06')).toBe(false); // other years untouched
  });

  it('merges recurring holidays by id', () => {
    const engine = createDeadlineEngine({
      calendarOverrides: { KZ: { holidays: [{ id: 'constitution-day-march', name: 'Constitution Day', monthDay: '03-15', onWeekend: 'next_working_day', fromYear: 2026, source: 'changed law', confidence: 'S' }] } },
    }, SHIPPED_RULES);
    expect(engine.isWorkingDay('KZ', '2026-03-16')).toBe(false); // 15 Mar 2026 is a Sunday
    expect(engine.isWorkingDay('KZ', '2026-03-09')).toBe(false); // the other holidays stay
  });
});

describe('jurisdiction data', () => {
  it('applies the rule set in force on the day of receipt', () => {
    const [current] = kzJurisdiction.ruleSets;
    if (!current) throw new Error('KZ has a rule set');
    const digitalCode = {
      ...current,
      id: 'KZ-digital-code',
      name: 'Digital Code (hypothetical test data)',
      effectiveFrom: '2026-07-01',
      rules: current.rules.map((rule) => ({
        ...rule,
        id: `${rule.id}-dc`,
        ...(rule.requestType === 'erasure' && { amount: 15, unit: 'calendar_days', citation: { ru: 'Цифровой кодекс (тест)', kk: 'Цифрлық кодекс (тест)', en: 'Digital Code (test)' } }),
      })),
    };
    const engine = createDeadlineEngine({}, withKazakhstan({ ruleSets: [{ ...current, effectiveTo: '2026-06-30' }, digitalCode] }));
    const before = engine.compute({ jurisdiction: 'KZ', requestType: 'erasure', receivedAt: new Date('2026-06-30T12:00:00+05:00') });
    const after = engine.compute({ jurisdiction: 'KZ', requestType: 'erasure', receivedAt: new Date('2026-07-01T12:00:00+05:00') });
    expect(before.rule.id).toBe('KZ-94V-art25-erasure');
    expect(before.dueAt).toBe('2026-07-01T23:59:59+05:00');
    expect(after.rule).toMatchObject({ id: 'KZ-94V-art25-erasure-dc', effectiveFrom: '2026-07-01' });
    expect(after.dueAt).toBe('2026-07-16T23:59:59+05:00');
  });

  it('refuses overlapping rule sets and a rule set missing a request type', () => {
    const [current] = kzJurisdiction.ruleSets;
    if (!current) throw new Error('KZ has a rule set');
    const overlapping = { ...current, id: 'KZ-later', effectiveFrom: '2026-07-01', rules: current.rules.map((r) => ({ ...r, id: `${r.id}-2` })) };
    expect(configurationProblems(() => createDeadlineEngine({}, withKazakhstan({ ruleSets: [current, overlapping] }))).fields).toEqual([
      'ruleSets.1.effectiveFrom',
    ]);
    const incomplete = { ...current, rules: current.rules.filter((rule) => rule.requestType !== 'claim') };
    expect(configurationProblems(() => createDeadlineEngine({}, withKazakhstan({ ruleSets: [incomplete] }))).fields).toEqual([
      'ruleSets.0.rules',
    ]);
  });

  it('refuses a term of the wrong type and a calendar that does not exist', () => {
    const [current] = kzJurisdiction.ruleSets;
    if (!current) throw new Error('KZ has a rule set');
    const wrongAmount = { ...current, rules: current.rules.map((rule, index) => (index === 0 ? { ...rule, amount: 'three' } : rule)) };
    expect(configurationProblems(() => createDeadlineEngine({}, withKazakhstan({ ruleSets: [wrongAmount] }))).fields).toEqual([
      'ruleSets.0.rules.0.amount',
    ]);
    expect(configurationProblems(() => createDeadlineEngine({}, withKazakhstan({ calendar: 'XX' })))).toEqual({
      source: 'jurisdiction KZ',
      fields: ['calendar'],
    });
  });

  it('refuses a citation or a note that is not in all three languages, naming the field', () => {
    const [current] = kzJurisdiction.ruleSets;
    if (!current) throw new Error('KZ has a rule set');
    const englishOnly = {
      ...current,
      rules: current.rules.map((rule, index) =>
        index === 0 ? { ...rule, citation: { en: 'Law 94-V, Art. 25' } } : index === 1 ? { ...rule, note: { ru: 'только по-русски', en: 'English' } } : rule,
      ),
    };
    expect(configurationProblems(() => createDeadlineEngine({}, withKazakhstan({ ruleSets: [englishOnly] }))).fields).toEqual([
      'ruleSets.0.rules.0.citation.ru',
      'ruleSets.0.rules.0.citation.kk',
      'ruleSets.0.rules.1.note.kk',
    ]);
  });

  it('refuses a source told in English words only, and a rule that does not say whether the law sets its term', () => {
    const [current] = kzJurisdiction.ruleSets;
    if (!current) throw new Error('KZ has a rule set');
    const { origin: _origin, ...unsaid } = current.rules[1]!;
    const changed = { ...current, rules: current.rules.map((rule, index) => (index === 0 ? { ...rule, source: 'Operator policies (claims answered within 30 business days)' } : index === 1 ? unsaid : rule)) };
    expect(configurationProblems(() => createDeadlineEngine({}, withKazakhstan({ ruleSets: [changed] }))).fields).toEqual(['ruleSets.0.rules.0.source', 'ruleSets.0.rules.1.origin']);
  });
});
