import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConsoleTexts } from '../../functions/domain/console-texts.ts';
import type { Language } from '../../functions/domain/request-types.ts';
// @ts-expect-error the console's modules are plain JavaScript for the browser, without declarations
import { eventText, fulfilmentLine } from '../../console/trail.js';
// @ts-expect-error as above
import { loadTexts } from '../../console/texts.js';

/**
 * The request page's trail as the operator reads it, with the texts the console serves: what a source and a
 * processor did is said in words, and truly — a source that kept the records under a legal hold did not "do" it.
 */

type Texts = { language: Language };
const texts: Partial<Record<Language, Texts>> = {};

beforeAll(async () => {
  // The console fetches its texts from /console/texts.<language>.json: served here as derbes serves them.
  vi.stubGlobal('fetch', async (url: string) => Response.json(await loadConsoleTexts(/texts\.(\w+)\.json$/.exec(url)![1] as Language)));
  for (const language of ['ru', 'kk', 'en'] as const) texts[language] = (await loadTexts(language)) as Texts;
});
afterAll(() => vi.unstubAllGlobals());

const request = {
  names: { sources: { payments: { ru: 'Платежи', kk: 'Төлемдер', en: 'Payments' } }, processors: { delivery: { ru: 'Служба доставки', kk: 'Жеткізу қызметі', en: 'Delivery service' } } },
};
const event = (type: string, detail: Record<string, unknown>) => ({ type, detail, at: '2026-02-10T05:15:00Z' });

describe('the request page\'s trail', () => {
  it('a source that kept its records under a legal hold says kept, in the timeline and the fulfilment', () => {
    const kept = event('source.applied', { sourceId: 'payments', attempt: 1, outcomes: { erasure: 'kept' } });
    expect(eventText(texts.kk, request, kept)).toBe('Төлемдер дереккөзі: Жою: орындалмады — деректер заң негізінде өзгеріссіз сақталды');
    expect(eventText(texts.ru, request, kept)).toBe('Источник данных Платежи: Удаление: не выполнено — данные сохранены без изменений на основании закона');
    expect(eventText(texts.en, request, kept)).toBe('Data source Payments: Erasure: not done — kept unchanged on a legal basis');
    expect(fulfilmentLine(texts.kk, request, kept)).toBe('Төлемдер: Жою: орындалмады — деректер заң негізінде өзгеріссіз сақталды (1-әрекет)');
    const done = event('source.applied', { sourceId: 'payments', attempt: 1, outcomes: { erasure: 'done: 2' } });
    expect(eventText(texts.kk, request, done)).toBe('Төлемдер дереккөзі: Жою: орындалды, жазбалар саны: 2');
  });

  it('a processor\'s notice names the request type in words, and never says "told" of one not told', () => {
    const told = event('processor.notified', { processorId: 'delivery', noticeType: 'erasure', channel: 'email', delivered: true, attempts: 1 });
    const notTold = event('processor.notified', { processorId: 'delivery', noticeType: 'consent_withdrawal', channel: 'webhook', delivered: false, attempts: 3 });
    expect(fulfilmentLine(texts.kk, request, told)).toBe('Жеткізу қызметі өңдеушісі: хабардар етілді (Жою, әрекеттер саны: 1)');
    expect(eventText(texts.kk, request, told)).toBe('Жеткізу қызметі өңдеушісі: хабардар етілді (Жою)');
    expect(eventText(texts.ru, request, notTold)).toBe(`Обработчик Служба доставки: НЕ уведомлён — сообщите ему сами (${(texts.ru as unknown as { t: (path: string) => string }).t('types.consent_withdrawal')})`);
    for (const language of ['ru', 'kk', 'en'] as const) {
      for (const e of [told, notTold]) {
        expect(`${fulfilmentLine(texts[language], request, e)} ${eventText(texts[language], request, e)}`).not.toMatch(/erasure|consent_withdrawal/);
      }
    }
  });

  it('a source with no result says so in words; one the request asked nothing of is not listed as applied', () => {
    const failed = event('source.failed', { sourceId: 'payments', error: 'no result after retries', steps: ['erasure'] });
    expect(eventText(texts.kk, request, failed)).toBe('Төлемдер дереккөзі: ақау дереккөз қайталап әрекеттенгеннен кейін де нәтиже бермеді');
    expect(fulfilmentLine(texts.en, request, failed)).toBe('Payments: failed (no result after its retries) at Erasure');
    const nothing = event('source.applied', { sourceId: 'payments', attempt: 1, outcomes: {} });
    expect(fulfilmentLine(texts.ru, request, nothing)).toBeUndefined();
    expect(eventText(texts.ru, request, nothing)).toBe('Источник данных Платежи: по запросу в нём ничего не требовалось');
  });
});
