import { describe, expect, it, vi } from 'vitest';
import kz from '../../rules/refusal-grounds/KZ.json' with { type: 'json' };
import { ConfigurationError } from '../../functions/domain/errors.ts';
import { SHIPPED_JURISDICTION_CODES } from '../../functions/domain/deadlines/rule-files.ts';
import { checkRefusalGrounds, loadRefusalGrounds, parseRefusalGrounds, refusalGrounds } from '../../functions/domain/refusal-grounds.ts';
import { SHIPPED_REFUSAL_GROUNDS } from '../../infra/shipped-texts.ts';

describe('refusal grounds', () => {
  it('the shipped files pass, each ground in ru, kk and en', async () => {
    expect(() => checkRefusalGrounds(SHIPPED_REFUSAL_GROUNDS)).not.toThrow();
    await loadRefusalGrounds('KZ');
    expect(refusalGrounds('KZ').length).toBeGreaterThan(0);
    for (const ground of refusalGrounds('KZ')) expect(Object.keys(ground.text).sort()).toEqual(['en', 'kk', 'ru']);
  });

  it('every shipped jurisdiction lets a claim that was examined and found without a breach be refused on that ground', async () => {
    for (const jurisdiction of SHIPPED_JURISDICTION_CODES) {
      await loadRefusalGrounds(jurisdiction);
      const ids = refusalGrounds(jurisdiction, ['claim']).map((ground) => ground.id);
      expect(ids, jurisdiction).toContain(`${jurisdiction.toLowerCase()}-claim-no-violation`);
    }
  });

  it('refuses a ground without its Kazakh text, or a second ground of the same id, naming the file and the field', () => {
    const [first, ...rest] = kz.grounds;
    const noKazakh = { ...kz, grounds: [{ ...first!, text: { ru: first!.text.ru, en: first!.text.en } }, ...rest] };
    expect(() => parseRefusalGrounds(noKazakh, 'rules/refusal-grounds/KZ.json')).toThrow(ConfigurationError);
    expect(() => parseRefusalGrounds(noKazakh, 'rules/refusal-grounds/KZ.json')).toThrow(/rules\/refusal-grounds\/KZ\.json[\s\S]*grounds\.0\.text\.kk/);
    const twice = { ...kz, grounds: [first!, first!, ...rest] };
    expect(() => parseRefusalGrounds(twice, 'KZ.json')).toThrow(/grounds\.1\.id: duplicate id/);
  });

  it("loads a jurisdiction's grounds when first asked, refuses to read one not loaded, and has none for a code the release does not ship", async () => {
    vi.resetModules();
    try {
      const fresh = await import('../../functions/domain/refusal-grounds.ts');
      const { RulesNotLoadedError: FreshRulesNotLoadedError } = await import('../../functions/domain/deadlines/errors.ts');
      expect(() => fresh.refusalGrounds('EU')).toThrow(FreshRulesNotLoadedError);
      expect((await fresh.loadRefusalGrounds('EU')).length).toBeGreaterThan(0);
      expect(fresh.refusalGround('EU', (await fresh.loadRefusalGrounds('EU'))[0]!.id)).toBeDefined();
      expect(() => fresh.refusalGrounds('KZ')).toThrow(FreshRulesNotLoadedError);
      expect(fresh.refusalGrounds('XX')).toEqual([]);
      expect(await fresh.loadRefusalGrounds('XX')).toEqual([]);
    } finally {
      vi.resetModules();
    }
  });
});
