import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError, UnsupportedLanguageError } from '../../functions/domain/errors.ts';
import { loadConsoleTexts } from '../../functions/domain/console-texts.ts';
import { loadSignInTexts } from '../../functions/domain/sign-in-texts.ts';
import { loadMessages, parseCatalog } from '../../functions/domain/messages.ts';
import { LANGUAGES } from '../../functions/domain/request-types.ts';

const en = () => JSON.parse(readFileSync('rules/messages/en.json', 'utf8')) as Record<string, any>;

describe('message catalogues', () => {
  it('refuses a text that uses a placeholder its template does not provide', () => {
    const catalog = en();
    catalog.mail.receipt.body += ' {iin}';
    expect(() => parseCatalog(catalog, 'en.json')).toThrow(ConfigurationError);
    try {
      parseCatalog(catalog, 'en.json');
    } catch (error) {
      expect((error as ConfigurationError).problems).toEqual([{ field: 'mail.receipt.body', message: 'unknown placeholder {iin}' }]);
    }
  });

  it('refuses a date format with a token the formatter does not write, naming the field', () => {
    const catalog = en();
    catalog.dayFormat = 'd MMM yyyy';
    catalog.dateFormat = 'd MMMM yyyy, h:mm a';
    try {
      parseCatalog(catalog, 'en.json');
      expect.unreachable('a date format with MMM, h and a was taken');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const problems = (error as ConfigurationError).problems.map((problem) => `${problem.field}: ${problem.message}`);
      expect(problems).toEqual([
        expect.stringMatching(/^dateFormat: not a date format: 'h' is not a date token/),
        expect.stringMatching(/^dayFormat: not a date format: 'MMM' is not a date token/),
      ]);
    }
  });

  it('refuses a catalogue that lacks a text', () => {
    const catalog = en();
    delete catalog.types.claim;
    expect(() => parseCatalog(catalog, 'en.json')).toThrow(/types.claim/);
  });

  const ZONE_SAID = { ru: '23:59 по времени Астаны', kk: '23:59 (Астана уақыты)', en: '23:59 Astana time' } as const;

  it.each(LANGUAGES)('renders the receipt in %s with the reference and the due date in the local zone, said as people say it', async (language) => {
    const m = await loadMessages(language);
    const { subject, text } = m.mail('receipt', {
      reference: 'DRB-AAAAA-BBBBB',
      greetingName: '',
      operator: 'X',
      receivedAt: m.date('2025-01-02T05:00:00Z', 'Asia/Almaty'),
      types: m.typeNames(['access', 'erasure']),
      dueAt: m.date('2025-01-08T23:59:59+05:00', 'Asia/Almaty'),
      rule: 'Law 94-V, Art. 25',
      contact: 'dpo@x.kz',
    });
    expect(subject).toContain('DRB-AAAAA-BBBBB');
    expect(text).toContain('DRB-AAAAA-BBBBB');
    expect(text).toContain(ZONE_SAID[language]);
    expect(text).not.toContain('Asia/Almaty');
    expect(text).not.toMatch(/\{\w+\}/);
  });

  it('names every time zone a shipped calendar counts in, in every language', async () => {
    const { readdirSync } = await import('node:fs');
    const zones = readdirSync('rules/calendars').map((file) => (JSON.parse(readFileSync(`rules/calendars/${file}`, 'utf8')) as { timeZone: string }).timeZone);
    for (const language of LANGUAGES) {
      const m = await loadMessages(language);
      for (const zone of zones) expect(m.date('2025-01-02T05:00:00Z', zone), `${language} ${zone}`).not.toContain(zone);
    }
  });

  it('names countries, and says so where the policy names none', async () => {
    const [ru, kk, en] = await Promise.all([loadMessages('ru'), loadMessages('kk'), loadMessages('en')]);
    expect(ru.country('KZ')).toBe('Казахстан');
    expect(kk.country('KZ')).toBe('Қазақстан');
    expect(ru.country('ZZ')).toBe('страна в политике не названа');
    expect(en.country('ZZ')).toBe('country not named in the policy');
  });

  it('writes dates and money the way each language does', async () => {
    const [ru, kk] = await Promise.all([loadMessages('ru'), loadMessages('kk')]);
    expect(kk.date('2025-01-08T18:59:59Z', 'Asia/Almaty')).toBe('2025 жылғы 8 қаңтар, 23:59 (Астана уақыты)');
    expect(ru.day('2024-03-14')).toBe('14 марта 2024');
    expect(ru.money(150000, 'KZT')).toBe('150\u00a0000\u00a0₸');
  });

  it('renders a language only once it is loaded, and loads only the language asked for', async () => {
    vi.resetModules();
    try {
      const fresh = await import('../../functions/domain/messages.ts');
      const { TextsNotLoadedError: FreshTextsNotLoadedError } = await import('../../functions/domain/errors.ts');
      expect(() => fresh.messagesFor('kk')).toThrow(FreshTextsNotLoadedError);
      expect(() => fresh.messagesFor('kk')).toThrow(/'kk'/);
      const kk = await fresh.loadMessages('kk');
      expect(kk.mail('replyReceived', { reference: 'DRB-1' }).subject).toContain('DRB-1');
      expect(fresh.messagesFor('kk').languageName).toBe(kk.languageName);
      // A function that writes in Kazakh has not loaded Russian or English: rendering them is refused, not replaced.
      expect(() => fresh.messagesFor('ru')).toThrow(FreshTextsNotLoadedError);
      expect(() => fresh.messagesFor('en')).toThrow(FreshTextsNotLoadedError);
    } finally {
      vi.resetModules();
    }
  });

  it('refuses to load a language derbes does not ship', async () => {
    await expect(loadMessages('de' as never)).rejects.toThrow(UnsupportedLanguageError);
    await expect(loadMessages('de' as never)).rejects.toThrow("'de' is not a language derbes ships texts in (ru, kk, en)");
    await expect(loadConsoleTexts('de' as never)).rejects.toThrow(UnsupportedLanguageError);
    await expect(loadSignInTexts('de' as never)).rejects.toThrow(UnsupportedLanguageError);
  });
});
