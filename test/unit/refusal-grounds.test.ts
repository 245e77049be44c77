import { describe, expect, it } from 'vitest';
import kz from '../../rules/refusal-grounds/KZ.json' with { type: 'json' };
import { ConfigurationError } from '../../functions/domain/errors.ts';
import { checkRefusalGrounds, parseRefusalGrounds, refusalGrounds } from '../../functions/domain/refusal-grounds.ts';

describe('refusal grounds', () => {
  it('the shipped files pass, each ground in ru, kk and en', () => {
    expect(() => checkRefusalGrounds()).not.toThrow();
    expect(refusalGrounds('KZ').length).toBeGreaterThan(0);
    for (const ground of refusalGrounds('KZ')) expect(Object.keys(ground.text).sort()).toEqual(['en', 'kk', 'ru']);
  });

  it('refuses a ground without its Kazakh text, or a second ground of the same id, naming the file and the field', () => {
    const [first, ...rest] = kz.grounds;
    const noKazakh = { ...kz, grounds: [{ ...first!, text: { ru: first!.text.ru, en: first!.text.en } }, ...rest] };
    expect(() => parseRefusalGrounds(noKazakh, 'rules/refusal-grounds/KZ.json')).toThrow(ConfigurationError);
    expect(() => parseRefusalGrounds(noKazakh, 'rules/refusal-grounds/KZ.json')).toThrow(/rules\/refusal-grounds\/KZ\.json[\s\S]*grounds\.0\.text\.kk/);
    const twice = { ...kz, grounds: [first!, first!, ...rest] };
    expect(() => parseRefusalGrounds(twice, 'KZ.json')).toThrow(/grounds\.1\.id: duplicate id/);
  });
});
