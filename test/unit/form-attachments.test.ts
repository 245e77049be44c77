import { describe, expect, it } from 'vitest';
import { checkAttachments, formAttachmentLimits } from '../../functions/domain/form-attachments.ts';
import { FormTooLargeError } from '../../functions/domain/errors.ts';
import { MAX_FORM_FIELDS } from '../../functions/handlers/http/form-limits.ts';
import { parseMultipartForm } from '../../functions/handlers/http/multipart-form.ts';
import { formProblems } from '../../functions/handlers/http/pages.ts';
import { keepFormAttachments } from '../../functions/use-cases/form-attachments.ts';
import { placeRequest, systemFor } from '../support/flow.ts';

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(100, 1)]);
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(100, 2)]);
const file = (filename: string, content: Buffer) => ({ filename, content: new Uint8Array(content) });

/** A body as a browser sends the form. */
function multipartBody(parts: Array<{ name: string; value?: string; filename?: string; type?: string; content?: Buffer }>, boundary = '----formdata-derbes-1') {
  const chunks = parts.flatMap((p) => [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`),
    p.content ?? Buffer.from(p.value ?? '', 'utf8'),
    Buffer.from('\r\n'),
  ]);
  return { body: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('the form\'s files', () => {
  it('are read from a multipart body with the fields, repeated names kept, bytes untouched', () => {
    const { body, contentType } = multipartBody([
      { name: 'types', value: 'access' },
      { name: 'types', value: 'claim' },
      { name: 'message', value: 'Списали дважды.\r\n--not a boundary' },
      { name: 'attachments', filename: 'чек.pdf', type: 'application/pdf', content: PDF },
      { name: 'attachments', filename: '', type: 'application/octet-stream', content: Buffer.alloc(0) },
    ]);
    const parsed = parseMultipartForm(body, contentType);
    expect(parsed.fields).toEqual({ types: ['access', 'claim'], message: ['Списали дважды.\r\n--not a boundary'] });
    expect(parsed.files.map((f) => ({ field: f.field, filename: f.filename, size: f.content.length }))).toEqual([
      { field: 'attachments', filename: 'чек.pdf', size: PDF.length },
      { field: 'attachments', filename: '', size: 0 },
    ]);
    expect(Buffer.from(parsed.files[0]!.content).equals(PDF)).toBe(true);
    // The empty file input of a form sent without files is no file.
    expect(checkAttachments(parsed.files)).toEqual({ files: [expect.objectContaining({ filename: 'чек.pdf', contentType: 'application/pdf' })], problems: [] });
  });

  it('refuse a body that is not one, naming the body', () => {
    expect(() => parseMultipartForm(Buffer.from('name=x'), 'multipart/form-data')).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ field: '(body)' })] }));
    expect(() => parseMultipartForm(Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nnever ends'), 'multipart/form-data; boundary=b')).toThrow(/never ends/);
    const many = multipartBody(Array.from({ length: MAX_FORM_FIELDS + 1 }, (_, i) => ({ name: `f${i}`, value: 'x' })));
    expect(() => parseMultipartForm(many.body, many.contentType)).toThrow(new FormTooLargeError('fields', MAX_FORM_FIELDS));
  });

  it('are taken by their bytes: a page or a drawing named as an image is refused, whatever type the browser declared', () => {
    expect(checkAttachments([file('scan.png', PNG)]).files[0]).toMatchObject({ contentType: 'image/png' });
    expect(checkAttachments([file('photo.png', Buffer.from('<html><script>alert(1)</script></html>'))]).problems).toEqual([{ problem: 'type', filename: 'photo.png' }]);
    expect(checkAttachments([file('photo.svg', Buffer.from('<svg onload="alert(1)"/>'))]).problems).toEqual([{ problem: 'type', filename: 'photo.svg' }]);
    // A real PNG named .html is not a PNG to the person who opens it: the name's type must match too.
    expect(checkAttachments([file('page.html', PNG)]).problems).toEqual([{ problem: 'type', filename: 'page.html' }]);
  });

  it('are limited in number, size each and size together, as the rules say', () => {
    const { maxFiles, maxFileBytes, maxTotalBytes } = formAttachmentLimits();
    expect(maxTotalBytes).toBeLessThanOrEqual(4_500_000); // base64 of it and the fields stay under Lambda's 6 MB, so under the HTTP API's 10 MB
    expect(checkAttachments(Array.from({ length: maxFiles + 1 }, (_, i) => file(`${i}.pdf`, PDF))).problems).toEqual([{ problem: 'tooMany' }]);
    const big = Buffer.concat([PDF, Buffer.alloc(maxFileBytes)]);
    expect(checkAttachments([file('big.pdf', big)]).problems).toEqual([{ problem: 'tooLarge', filename: 'big.pdf' }]);
    const nearly = Buffer.concat([PDF, Buffer.alloc(maxFileBytes - PDF.length)]);
    const enough = Math.ceil(maxTotalBytes / maxFileBytes) + 1;
    if (enough <= maxFiles) expect(checkAttachments(Array.from({ length: enough }, (_, i) => file(`${i}.pdf`, nearly))).problems).toEqual([{ problem: 'totalTooLarge' }]);
    expect(checkAttachments([file('empty.pdf', Buffer.alloc(0))]).problems).toEqual([{ problem: 'empty', filename: 'empty.pdf' }]);
  });

  it('keep names that are safe to show and to save, within the configured length, with their extension', () => {
    const [path, long] = checkAttachments([file('C:\\Users\\Асель\\Documents\\справка.pdf', PDF), file(`скан ${'я'.repeat(500)}.pdf`, PDF)]).files;
    expect(path!.filename).toBe('справка.pdf');
    expect([...long!.filename]).toHaveLength(formAttachmentLimits().maxNameChars);
    expect(long!.filename).toMatch(/^скан я+….pdf$/);
    expect(checkAttachments([file('..', PDF)]).problems).toEqual([{ problem: 'type', filename: 'attachment' }]);
    // The type is read from the name the operator will see: a zero-width space after '.pdf' hides nothing.
    expect(checkAttachments([file('scan.pdf\u200B', PDF)]).files.map((f) => [f.filename, f.contentType])).toEqual([['scan.pdf', 'application/pdf']]);
  });

  it('name the problem next to the field, in the page\'s language', async () => {
    const settings = { correctable: new Map(), limits: { email: 254, name: 200, message: 5000, change: 200 }, attachments: formAttachmentLimits() };
    const values = { types: ['access'], email: '', name: '', message: '', changes: {} };
    const ru = (await formProblems('ru', [{ field: 'attachments', message: 'type:photo.png' }], values, settings)).get('attachments');
    expect(ru).toBe('Файл «photo.png» не в формате PDF, JPG, PNG. Остальное сохранено; выберите файлы заново.');
    expect((await formProblems('kk', [{ field: 'attachments', message: 'tooMany' }], values, settings)).get('attachments')).toBe('3 файлдан артық тіркеуге болмайды. Қалғаны сақталды; файлдарды қайта таңдаңыз.');
    expect((await formProblems('en', [{ field: 'attachments', message: 'tooLarge:big.pdf' }], values, settings)).get('attachments')).toBe('The file “big.pdf” is larger than 2 MB. Everything else is kept; please choose the files again.');
  });

  it('are kept with the request where mail attachments are, once however often the form is sent', async () => {
    const s = systemFor('profiles/demo.json');
    const kept: Array<{ requestId: string; filename: string; contentType: string }> = [];
    const deps = { ...s.deps, mailArchive: { ...s.deps.mailArchive, keep: async (requestId: string, a: { filename: string; contentType: string }) => (kept.push({ requestId, filename: a.filename, contentType: a.contentType }), `attachments/${requestId}/${kept.length}`) } };
    const request = await placeRequest(s, ['claim']);
    const files = checkAttachments([file('чек.pdf', PDF), file('скан.png', PNG)]).files;
    await keepFormAttachments(deps, request.id, files);
    await keepFormAttachments(deps, request.id, files);
    expect(kept).toEqual([
      { requestId: request.id, filename: 'чек.pdf', contentType: 'application/pdf' },
      { requestId: request.id, filename: 'скан.png', contentType: 'image/png' },
    ]);
    const trail = await s.deps.audit.list(request.id);
    expect(trail.filter((e) => e.type === 'form.attachments').map((e) => e.detail)).toEqual([{ attachments: [{ size: PDF.length, key: `attachments/${request.id}/1` }, { size: PNG.length, key: `attachments/${request.id}/2` }] }]);
    expect(JSON.stringify(trail)).not.toContain('чек');
  });
});
