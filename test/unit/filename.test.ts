import { describe, expect, it } from 'vitest';
import { safeFilename, shortened } from '../../functions/domain/filename.ts';

describe('a file name people sent', () => {
  it('keeps only its last path segment, without control, direction or zero-width characters', () => {
    expect(safeFilename('C:\\Users\\Асель\\Documents\\справка.pdf', 200, 'attachment')).toBe('справка.pdf');
    expect(safeFilename('../../etc/passwd', 200, 'attachment')).toBe('passwd');
    expect(safeFilename('scan\u202Efdp.exe', 200, 'attachment')).toBe('scanfdp.exe');
    expect(safeFilename('  паспорт\u200B\u0007 скан.pdf\n', 200, 'attachment')).toBe('паспорт скан.pdf');
  });

  it('is the fallback when nothing usable is left', () => {
    for (const name of [null, undefined, '', '..', '.', 'folder/', ' \u202E ']) expect(safeFilename(name, 200, 'attachment-2')).toBe('attachment-2');
  });

  it('keeps its beginning and its extension when it is too long, so the file is still known for what it is', () => {
    const name = safeFilename(`${'паспорт '.repeat(3000)}скан.pdf`, 200, 'attachment');
    expect([...name]).toHaveLength(200);
    expect(name).toMatch(/^паспорт паспорт .*….pdf$/);
    // No extension to keep: the beginning and the ellipsis.
    expect(safeFilename('я'.repeat(300), 200, 'attachment')).toBe(`${'я'.repeat(199)}…`);
  });

  it('is cut between characters, never inside one: half an emoji is not text', () => {
    const name = safeFilename(`${'a'.repeat(194)}😀😀${'b'.repeat(10)}.pdf`, 200, 'attachment');
    expect(name).toBe(`${'a'.repeat(194)}😀….pdf`);
    expect(safeFilename('скан\uD83D.pdf', 200, 'attachment')).toBe('скан\uFFFD.pdf');
  });
});

describe('shortening within a budget of encoded bytes', () => {
  const percentEncoded = (character: string) => encodeURIComponent(character).length;

  it('keeps a name that fits whole, and cuts one that does not to fit, extension kept', () => {
    expect(shortened('скан.pdf', 100, percentEncoded)).toBe('скан.pdf');
    const cut = shortened(`${'я'.repeat(100)}.pdf`, 100, percentEncoded);
    expect(encodeURIComponent(cut).length).toBeLessThanOrEqual(100);
    // '…' encodes to 9 bytes, '.pdf' to 4, each 'я' to 6: 87 bytes hold 14 of them.
    expect(cut).toBe(`${'я'.repeat(14)}….pdf`);
  });

  it('drops an extension that does not fit the budget with the ellipsis', () => {
    expect(shortened('abcdefghij.pdfpdfpdfx', 8)).toBe('abcdefg…');
  });
});

describe('what a review found', () => {
  it('leaves no space, dot or second ellipsis before the ellipsis it adds', () => {
    expect(safeFilename(`${'a'.repeat(194)}…${'b'.repeat(10)}.pdf`, 200, 'attachment')).toBe(`${'a'.repeat(194)}….pdf`);
    expect(safeFilename(`${'a'.repeat(194)} ${'b'.repeat(10)}.pdf`, 200, 'attachment')).toBe(`${'a'.repeat(194)}….pdf`);
  });

  it('cuts between characters as people see them: an accent stays on its letter, a flag whole', () => {
    expect(safeFilename(`${'e\u0301'.repeat(150)}.pdf`, 200, 'attachment')).toBe(`${'e\u0301'.repeat(97)}….pdf`);
    const flags = safeFilename(`${'🇰🇿'.repeat(150)}.pdf`, 200, 'attachment');
    expect(flags).toBe(`${'🇰🇿'.repeat(97)}….pdf`);
  });

  it('drops characters that draw nothing, and reads a slash of another script as a slash', () => {
    expect(safeFilename('\u3164', 200, 'attachment')).toBe('attachment');
    expect(safeFilename('скан\u2028\uE000\u2800.pdf', 200, 'attachment')).toBe('скан.pdf');
    expect(safeFilename('..／etc／passwd', 200, 'attachment')).toBe('passwd');
  });

  it('names a file of dots, or of an extension alone, by the fallback', () => {
    for (const name of ['...', '. .', '…']) expect(safeFilename(name, 200, 'attachment-1')).toBe('attachment-1');
    expect(safeFilename('.pdf', 200, 'attachment-1')).toBe('attachment-1.pdf');
  });

  it('is empty when not even the ellipsis fits the budget', () => {
    expect(shortened('abcdef', 0)).toBe('');
    expect(shortened('abcdefghij', 8, (c) => encodeURIComponent(c).length)).toBe('');
  });
});
