import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import en from '../../rules/console/en.json' with { type: 'json' };
import { loadConsoleTexts, parseConsoleTexts, type ConsoleTexts } from '../../functions/domain/console-texts.ts';
import * as z from '../../functions/domain/schema.ts';
import { ConfigurationError, PROBLEM_KINDS, toFieldProblems } from '../../functions/domain/errors.ts';
import { parseDecision } from '../../functions/use-cases/operator.ts';
import { MAIL_OUTCOMES } from '../../functions/domain/evidence/texts.ts';
import { WITHHELD_REASONS } from '../../functions/domain/audit.ts';
import englishMail from '../../rules/messages/en.json' with { type: 'json' };
import russianMail from '../../rules/messages/ru.json' with { type: 'json' };
import kazakhMail from '../../rules/messages/kk.json' with { type: 'json' };
import { LANGUAGES } from '../../functions/domain/request-types.ts';
import { INBOX_FILTERS } from '../../functions/use-cases/inbox.ts';
import { impureWords, kazakhProblems } from '../support/purity.ts';

const loaded = new Map<(typeof LANGUAGES)[number], ConsoleTexts>();
const consoleTexts = (language: (typeof LANGUAGES)[number]) => loaded.get(language)!;
const texts = (language: (typeof LANGUAGES)[number]) =>
  Object.entries(consoleTexts(language)).flatMap(([group, value]) => (typeof value === 'string' ? [] : Object.entries(value).map(([name, text]) => [`${group}.${name}`, text] as const)));

describe('the console\'s texts', () => {
  beforeAll(() => Promise.all(LANGUAGES.map(async (language) => loaded.set(language, await loadConsoleTexts(language)))));

  it('every language has every text, in its own script: no Latin word in Russian or Kazakh, Kazakh letters in Kazakh', () => {
    for (const language of LANGUAGES) {
      for (const [name, text] of texts(language)) {
        // Placeholders are filled with values; the reference pattern is the format operators type.
        expect(impureWords(text.replace(/\{\w+\}/g, ' '), language), `${language} ${name}`).toEqual([]);
      }
    }
    expect(kazakhProblems(texts('kk').map(([, text]) => text).join('\n'))).toEqual([]);
    expect(Object.keys(consoleTexts('en').filters).sort()).toEqual([...INBOX_FILTERS].sort());
  });

  it('names the mail that acknowledges the person\'s own message as that, never as an acknowledgement of our answer', () => {
    // «Ответ» / «жауап» / "reply" read as our answer to them: the mail acknowledges their message.
    const answerWord = { ru: /ответ/i, kk: /жауап/i, en: /reply|answer/i } as const;
    const mails = { ru: russianMail, kk: kazakhMail, en: englishMail } as const;
    for (const language of LANGUAGES) {
      for (const name of [consoleTexts(language).templates.replyReceived, mails[language].evidence.mailKinds.replyReceived]) {
        expect(name, language).not.toMatch(answerWord[language]);
        expect(name, language).toMatch({ ru: /письм/, kk: /хат/, en: /message/ }[language]);
      }
    }
  });

  it('refuses a language that lacks a text, has one English does not, or uses other placeholders', () => {
    const english = consoleTexts('en');
    const { overdue: _gone, ...filters } = consoleTexts('ru').filters;
    expect(() => parseConsoleTexts({ ...consoleTexts('ru'), filters }, 'ru.json', english)).toThrow(ConfigurationError);
    expect(() => parseConsoleTexts({ ...consoleTexts('ru'), filters: { ...consoleTexts('ru').filters, extra: 'Лишний' } }, 'ru.json', english)).toThrow(/filters.extra/);
    expect(() => parseConsoleTexts({ ...consoleTexts('ru'), request: { ...consoleTexts('ru').request, title: 'Запрос {ref}' } }, 'ru.json', english)).toThrow(ConfigurationError);
    const { phone: _phone, ...channels } = english.channels;
    expect(() => parseConsoleTexts({ ...english, channels }, 'en.json')).toThrow(/channels.phone/);
  });

  it('every text a console page asks for exists', () => {
    const folder = join(import.meta.dirname, '../../console');
    const catalog = en as unknown as Record<string, Record<string, string>>;
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.js'))) {
      const source = readFileSync(join(folder, file), 'utf8');
      for (const [, path] of source.matchAll(/\bt\('([a-zA-Z]+\.[\w.-]+)'/g)) {
        const dot = path!.indexOf('.');
        expect(catalog[path!.slice(0, dot)]?.[path!.slice(dot + 1)], `${file}: ${path}`).toBeTypeOf('string');
      }
    }
  });

  it('a refused field comes with the kind of its problem, which every language words (the operator reads no English)', () => {
    const schema = z.strictObject({ text: z.string().check(z.trim(), z.minLength(1), z.maxLength(10)), day: z.iso.date(), channel: z.enum(['phone', 'post']), code: z.string().check(z.minLength(3)) });
    const kinds = (input: unknown) => Object.fromEntries(toFieldProblems(schema.safeParse(input).error!.issues).map((p) => [p.field, [p.kind, p.limit]]));
    expect(kinds({ text: 'x'.repeat(11), day: '30.11.2026', channel: 'fax', code: 'ab' })).toEqual({ text: ['tooLong', 10], day: ['format', undefined], channel: ['choice', undefined], code: ['tooShort', 3] });
    expect(kinds({ text: '  ', code: 'abc', channel: 'post' })).toEqual({ text: ['required', undefined], day: ['required', undefined] });
    // A value of the wrong type is there, in the wrong form: not "required".
    expect(kinds({ text: 5, day: 20261130, code: 'abc', channel: 'post' })).toEqual({ text: ['format', undefined], day: ['format', undefined] });
    // A rule of the use case's own says its kind too.
    expect(() => parseDecision({ decision: 'deny' })).toThrow(
      expect.objectContaining({ problems: [expect.objectContaining({ field: 'reason', kind: 'required' }), expect.objectContaining({ field: 'basis', kind: 'required' })] }),
    );
    for (const language of LANGUAGES) expect(Object.keys(consoleTexts(language).problems).sort()).toEqual([...PROBLEM_KINDS].sort());
  });

  it('names every step a failure can name, in the words of the operator\'s mail', () => {
    const mail = { en: englishMail, ru: russianMail, kk: kazakhMail };
    for (const language of LANGUAGES) expect(consoleTexts(language).steps, language).toEqual(mail[language].workflowSteps);
    const { Answer: _gone, ...steps } = consoleTexts('en').steps;
    expect(() => parseConsoleTexts({ ...consoleTexts('en'), steps }, 'en.json')).toThrow(/steps.Answer/);
  });

  it('the trail\'s codes are words on every page: every alert an operator gets, every intake outcome, every mail held back', () => {
    const alerts = Object.keys(englishMail.alerts).map((kind) => `alert.${kind}`);
    const outcomes = MAIL_OUTCOMES.map((outcome) => `outcome.${outcome}`);
    const withheld = WITHHELD_REASONS.map((reason) => `withheld.${reason}`);
    for (const language of LANGUAGES) expect(Object.keys(consoleTexts(language).codes)).toEqual(expect.arrayContaining([...alerts, ...outcomes, ...withheld]));
  });
});
