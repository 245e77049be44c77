import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../functions/config/load-profile.ts';
import { localize, type OperatorProfile } from '../../functions/config/profile-schema.ts';

/**
 * The shipped example profiles of the five seed operators (profiles/seeds): each must load, and its
 * demo data must fit the tables the stack creates for it, so `npm start` with it has people to ask about.
 */

const SEEDS_DIR = fileURLToPath(new URL('../../profiles/seeds/', import.meta.url));
const profileFiles = readdirSync(SEEDS_DIR)
  .filter((name) => name.endsWith('.json') && !name.endsWith('.data.json'))
  .sort();

type DemoData = Record<string, Array<Record<string, unknown>>>;

function load(name: string): { profile: OperatorProfile; data: DemoData; dataFile: string } {
  const profile = loadProfileFile(join(SEEDS_DIR, name));
  const dataFile = join(SEEDS_DIR, name.replace(/\.json$/, '.data.json'));
  const data = existsSync(dataFile) ? (JSON.parse(readFileSync(dataFile, 'utf8')) as DemoData) : {};
  return { profile, data, dataFile };
}

function seed(slug: string): OperatorProfile {
  return loadProfileFile(join(SEEDS_DIR, `${slug}.json`));
}

const dynamoSources = (profile: OperatorProfile) => profile.sources.flatMap((source) => (source.kind === 'dynamodb' ? [source] : []));

describe('seed operator profiles', () => {
  it('ships one profile per seed operator', () => {
    expect(profileFiles).toEqual(['4sell-cashier.json', '4sell.json', 'i-license.json', 'unnamed-site.json', 'vnedrah.json']);
  });

  describe.each(profileFiles)('%s', (name) => {
    it('parses with the profile schema and is a demo profile in ru, kk and en', () => {
      const { profile } = load(name);
      expect(profile.demo).toBe(true);
      expect(profile.jurisdiction).toBe('KZ');
      expect([...profile.languages].sort()).toEqual(['en', 'kk', 'ru']);
      expect(profile.review.claim).toBe('operator');
    });

    it('has demo data for every DynamoDB source, keyed as the stack creates the table', () => {
      const { profile, data, dataFile } = load(name);
      expect(existsSync(dataFile), `${dataFile} exists`).toBe(true);
      const sources = dynamoSources(profile);
      expect(sources.length).toBeGreaterThan(0);
      for (const source of sources) {
        const items = data[source.tableName];
        expect(items, `demo items for ${source.tableName}`).toBeDefined();
        expect(items!.length, `demo items for ${source.tableName}`).toBeGreaterThan(0);
        const keys = new Set<string>();
        for (const item of items!) {
          const key = item[source.keyAttribute];
          expect(typeof key, `${source.tableName} item has ${source.keyAttribute}`).toBe('string');
          // The connector queries with the normalised address, so demo keys are stored that way.
          expect(key).toBe((key as string).trim().toLowerCase());
          expect(typeof item.recordId, `${source.tableName} item has recordId`).toBe('string');
          const itemKey = `${key as string}|${item.recordId as string}`;
          expect(keys.has(itemKey), `${source.tableName} key ${itemKey} is unique`).toBe(false);
          keys.add(itemKey);
        }
      }
    });

    it('names no table in its demo data that the profile lacks', () => {
      const { profile, data } = load(name);
      const tables = new Set(dynamoSources(profile).map((source) => source.tableName));
      for (const table of Object.keys(data)) expect(tables.has(table), `${table} is a source of the profile`).toBe(true);
    });

    it('never lists the key attribute as a personal field (it cannot be updated in place)', () => {
      const { profile } = load(name);
      for (const source of dynamoSources(profile)) {
        expect(source.personalFields).not.toContain(source.keyAttribute);
        expect(source.personalFields).not.toContain('recordId');
      }
    });
  });

  it('gives every seed its own demo tables, so the profiles can share one local data folder', () => {
    const tables = profileFiles.flatMap((name) => dynamoSources(load(name).profile).map((source) => source.tableName));
    expect(new Set(tables).size).toBe(tables.length);
  });

  it('puts a legal hold on at least two seeds', () => {
    const held = profileFiles.filter((name) => load(name).profile.sources.some((source) => source.legalHold));
    expect(held.length).toBeGreaterThanOrEqual(2);
  });
});

describe('I-License', () => {
  const profile = seed('i-license');

  it('carries the three subject lines of its policy, character for character', () => {
    expect(profile.fixedSubjects).toEqual([
      { subject: 'Отзыв согласия на обработку персональных данных', types: ['consent_withdrawal'] },
      { subject: 'Актуализация персональных данных', types: ['rectification'] },
      { subject: 'Отказ от уведомлений о новых продуктах и услугах и специальных предложениях', types: ['marketing_opt_out'] },
    ]);
  });

  it('promises erasure within 30 working days', () => {
    const erasure = profile.terms.filter((term) => term.requestType === 'erasure');
    expect(erasure).toHaveLength(1);
    expect(erasure[0]).toMatchObject({ amount: 30, unit: 'working_days' });
    expect(erasure[0]!.source).toContain('тридцати (30) рабочих дней');
  });

  it('asks for 3-year consent, prolonged, and reviews rectification (it needs documents)', () => {
    for (const purpose of profile.purposes) expect(purpose.consentTerm).toEqual({ years: 3, autoProlong: true });
    expect(profile.review.rectification).toBe('operator');
    expect(profile.operator.bin).toBe('180640028978');
    expect(profile.supportAddress).toBe('info@license.kz');
  });
});

describe('4Sell Cashier', () => {
  const profile = seed('4sell-cashier');

  it.each([/ElevenLabs/, /Kazdream Technologies/])('tells the transcription processor %s of erasure and blocking', (name) => {
    const processor = profile.processors.find((p) => name.test(localize(p.name, 'en')));
    expect(processor, `processor ${name}`).toBeDefined();
    expect(processor!.role).toBe('processor');
    expect(processor!.notifyOn).toEqual(expect.arrayContaining(['erasure', 'blocking']));
    const target = processor!.notify.kind === 'email' ? processor!.notify.address : processor!.notify.url;
    expect(target).toMatch(/\.example(\/|$)/);
  });

  it('holds transactions for accounting law', () => {
    expect(profile.sources.find((source) => source.id === 'transactions')?.legalHold).toBeDefined();
  });
});

describe('4SELL', () => {
  it('answers claims in 30 business days and says data may be stored outside Kazakhstan', () => {
    const profile = seed('4sell');
    expect(profile.terms).toEqual([expect.objectContaining({ requestType: 'claim', amount: 30, unit: 'working_days' })]);
    expect(profile.crossBorder).toBeDefined();
    expect(profile.supportAddress).toBe('support@4sell.ai');
  });
});
