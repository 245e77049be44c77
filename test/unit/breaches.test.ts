import { describe, expect, it } from 'vitest';
import { parseAddSubjects, parseBreachInput } from '../../functions/domain/breaches/breach.ts';
import { parseBreachTexts } from '../../functions/domain/breaches/texts.ts';
import { ConfigurationError, ValidationError } from '../../functions/domain/errors.ts';
import { isValidIin } from '../../functions/domain/iin.ts';
import ru from '../../rules/messages/ru.json' with { type: 'json' };

describe('IIN', () => {
  it.each(['881102345128', '900101300017', '950521400125', '850712500036'])('accepts %s, whose check digit is right', (iin) => {
    expect(isValidIin(iin)).toBe(true);
  });
  it.each(['881102345127', '88110234512', '8811023451280', '88110234512a', ''])('refuses %j', (iin) => {
    expect(isValidIin(iin)).toBe(false);
  });
});

describe('breach input', () => {
  const valid = {
    detectedAt: '2026-03-20T17:00:00+05:00',
    description: 'Открытая ссылка на резервную копию',
    dataCategories: ['ФИО'],
    systems: ['CRM'],
    measuresTaken: 'Ссылка отключена',
    responsible: { name: 'Ержан', email: 'dpo@example.kz' },
  };

  it('takes a complete breach, and names every bad field of an incomplete one', () => {
    expect(parseBreachInput(valid).detectedAt).toBe(valid.detectedAt);
    try {
      parseBreachInput({ ...valid, detectedAt: '2026-03-20T17:00:00', dataCategories: [], responsible: { name: 'Ержан' }, extra: 1 });
      expect.fail('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const fields = (error as ValidationError).problems.map((p) => p.field);
      expect(fields).toEqual(expect.arrayContaining(['detectedAt', 'dataCategories', 'responsible.email', '(root)']));
    }
  });

  it('needs a way to identify each affected person, a valid IIN, and at most 200 per call', () => {
    expect(() => parseAddSubjects({ people: [{ name: 'Без данных' }] })).toThrow(/needs an IIN, a phone number or an e-mail address/);
    expect(() => parseAddSubjects({ people: [{ iin: '881102345127' }] })).toThrow(/valid IIN/);
    expect(() => parseAddSubjects({ find: Array.from({ length: 201 }, (_, i) => `p${i}@example.kz`) })).toThrow(/at most 200 per call/);
    expect(parseAddSubjects({ people: [{ iin: '881102345128' }] })).toEqual({ people: [{ iin: '881102345128' }] });
  });
});

describe('breach texts', () => {
  it('refuses a placeholder a text may not use', () => {
    const broken = structuredClone(ru);
    broken.breach.personMail.body += ' {iin}';
    expect(() => parseBreachTexts(broken, 'ru.json')).toThrow(ConfigurationError);
    expect(() => parseBreachTexts(broken, 'ru.json')).toThrow(/breach\.personMail\.body: unknown placeholder \{iin\}/);
  });
});
