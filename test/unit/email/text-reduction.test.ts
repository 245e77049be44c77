import { describe, expect, it } from 'vitest';
import { normaliseAddress } from '../../../functions/domain/email/index.ts';
import { htmlToText } from '../../../functions/domain/email/html-text.ts';
import { quoteMarkersOf, stripQuotedHistory } from '../../../functions/domain/email/quoted-history.ts';
import { findReference } from '../../../functions/domain/email/references.ts';
import { vocabularies } from '../../../functions/domain/email/vocabulary.ts';

const strip = (text: string): string => stripQuotedHistory(text, quoteMarkersOf(vocabularies()));

describe('stripQuotedHistory', () => {
  it.each([
    ['Да.\n\nOn Mon, 3 Mar 2025, Support <s@x.kz> wrote:\n> удалить', 'Да.'],
    ['Да.\n\n3 марта 2025 г., 10:00 Иван Петров написал(а):\nудалить', 'Да.'],
    ['Иә.\n\n2025 ж. 3 нау. Қолдау жазды:\nжою', 'Иә.'],
    ['Yes.\n-----Original Message-----\ndelete', 'Yes.'],
    ['Да.\n-------- Пересылаемое сообщение --------\nудалить', 'Да.'],
    ['Да.\nОт: Поддержка\nОтправлено: 3 марта\nудалить', 'Да.'],
    ['first\n> quoted\nsecond', 'first\nsecond'],
    ['Спасибо\n-- \nИван, +7 701 000 00 00', 'Спасибо'],
  ])('%j → %j', (text, expected) => {
    expect(strip(text)).toBe(expected);
  });

  // How the time grows with such input is measured by `npm run bench:text`, not asserted here.
  it('keeps the text above long lines that look like markers', () => {
    expect(strip(`keep me\n${'-'.repeat(50_000)}x\n${'<a@a'.repeat(20_000)}:x\n${`${'-'.repeat(399)}x\n`.repeat(20_000)}`).startsWith('keep me')).toBe(true);
  });

  it('keeps a line that only mentions "From:" without a date line after it', () => {
    expect(strip('From: me\nplease delete')).toBe('From: me\nplease delete');
  });
});

describe('htmlToText', () => {
  it('keeps the words, breaks lines at blocks, and drops styles, scripts, comments and blockquotes', () => {
    const html =
      '<html><head><title>t</title><style>p{}</style></head><body><p>Удалите&nbsp;мои <b>данные</b></p><!-- x --><script>alert(1)</script><div>Thanks &amp; bye &#1044;&#x430;</div><blockquote>quoted <blockquote>deeper</blockquote> still quoted</blockquote><p>after</p></body></html>';
    expect(htmlToText(html)).toBe('Удалите мои данные\n\nThanks & bye Да\n\nafter');
  });

  it('survives broken markup', () => {
    expect(htmlToText('<p>open <b unclosed')).toBe('open');
    expect(htmlToText('text <!-- never closed')).toBe('text');
    expect(htmlToText('&#99999999; &bogus; </blockquote> ok')).toBe('&#99999999; &bogus; ok');
  });

  it('reads hostile input to the end (its growth is measured by npm run bench:text)', () => {
    const text = htmlToText(
      '<b>x</b>'.repeat(50_000) + '<blockquote>'.repeat(50_000) + '</blockquote>'.repeat(50_000) + '<!-- -->&#1;'.repeat(50_000) + '<'.repeat(100_000),
    );
    expect(text.startsWith('xxx')).toBe(true);
  });
});

describe('normaliseAddress', () => {
  it.each([
    [' Ivan.Petrov@Gmail.COM ', 'ivan.petrov@gmail.com'],
    ['<ivan@mail.ru>', 'ivan@mail.ru'],
    ['Asan@Пример.Қаз', 'asan@xn--e1afmkfd.xn--80ao21a'],
    ['asan@xn--e1afmkfd.xn--80ao21a', 'asan@xn--e1afmkfd.xn--80ao21a'],
    ['айгерим@пример.қаз', 'айгерим@xn--e1afmkfd.xn--80ao21a'],
  ])('%j → %j', (address, expected) => {
    expect(normaliseAddress(address)).toBe(expected);
  });

  it.each(['', 'ivan', '@mail.ru', 'ivan@', 'ivan@localhost', 'iv an@mail.ru', 'ivan@[203.0.113.1]', 'ivan@-bad-.kz', 'a..b@mail.ru', 'ivan@xn--zz.kz', 'ivan@1.2.3.4'])(
    'refuses %j',
    (address) => {
      expect(normaliseAddress(address)).toBeUndefined();
    },
  );
});

describe('findReference', () => {
  const ours = 'derbes.local';

  it('prefers In-Reply-To, then the newest of References, then the subject', () => {
    expect(
      findReference(
        {
          subject: 'Re: DRB-22222-22222',
          inReplyTo: '<DRB-11111-11111.verify.a@derbes.local>',
          references: '<DRB-33333-33333.x@derbes.local>',
        },
        ours,
      ),
    ).toBe('DRB-11111-11111');
    expect(
      findReference({ subject: 'Re: x', references: '<DRB-33333-33333.x@derbes.local> <DRB-44444-44444.y@derbes.local>' }, ours),
    ).toBe('DRB-44444-44444');
    expect(findReference({ subject: 'Re: [drb-7k3m9-qx2pt] ok' }, ours)).toBe('DRB-7K3M9-QX2PT');
  });

  it('ignores look-alikes: other domains, letters outside Crockford base32, references inside longer words', () => {
    expect(findReference({ subject: 'x', inReplyTo: '<DRB-11111-11111.a@derbes.local.evil.example>' }, ours)).toBeUndefined();
    expect(findReference({ subject: 'DRB-ILOU0-00000' }, ours)).toBeUndefined();
    expect(findReference({ subject: 'XDRB-11111-11111' }, ours)).toBeUndefined();
    expect(findReference({ subject: 'DRB-11111-111111' }, ours)).toBeUndefined();
  });
});
