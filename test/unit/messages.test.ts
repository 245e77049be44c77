import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/domain/errors.ts';
import { messagesFor, parseCatalog } from '../../functions/domain/messages.ts';
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

  it('refuses a catalogue that lacks a text', () => {
    const catalog = en();
    delete catalog.types.claim;
    expect(() => parseCatalog(catalog, 'en.json')).toThrow(/types.claim/);
  });

  it.each(LANGUAGES)('renders the receipt in %s with the reference and the due date in the local zone', (language) => {
    const m = messagesFor(language);
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
    expect(text).toContain('2025, 23:59 (Asia/Almaty)');
    expect(text).not.toMatch(/\{\w+\}/);
  });
});
