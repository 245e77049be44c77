import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchChromium } from '../support/browser.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, operatorDownload, postJson, startTestSystem } from '../support/local-system.ts';
import { postFrom } from '../support/client-address.ts';
import { MAX_WAITING_PER_LINK } from '../../functions/use-cases/ports.ts';
import { MailSink, verificationLink, type ReceivedMail } from '../support/mail-sink.ts';

let sink: MailSink;
let system: RunningSystem;
let browser: Browser;

beforeAll(async () => {
  sink = await new MailSink().start();
  system = await startTestSystem({ mailRelayUrl: sink.url });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
  await sink?.stop();
});

/** A page in a context of its own: axe-core opens a second page in the context for its report. */
const newPage = async () => (await browser.newContext()).newPage();

/** axe-core's verdict on the page as shown: no serious or critical violation (each named with where it is). */
describe('the privacy page in a real browser', () => {
  it('every public page passes axe-core with no serious or critical violation, in each language', async () => {
    const page = await newPage();
    for (const lang of ['ru', 'kk', 'en']) {
      await page.goto(`${system.url}/?lang=${lang}`);
      await expectAccessible(page);
      await page.goto(`${system.url}/verify?code=${'A'.repeat(43)}&lang=${lang}`);
      await expectAccessible(page);
      await page.goto(`${system.url}/download?token=${'B'.repeat(43)}&lang=${lang}`);
      await expectAccessible(page);
    }
  });

  it('a person submits the form (double-clicking), confirms with the button, and gets one request answered', async () => {
    const page = await newPage();
    await page.goto(`${system.url}/?lang=en`);
    await page.fill('input[name=email]', 'aigerim@example.kz');
    await page.fill('input[name=name]', 'Aigerim');
    await page.selectOption('select[name=language]', 'en');
    await page.dblclick('button[type=submit]');
    await page.waitForSelector('text=has been received');
    await expectAccessible(page);
    const reference = /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(await page.textContent('body') ?? '')![0];

    const verification = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('/verify?code='));
    await page.goto(verificationLink(verification).href);
    await expectAccessible(page);
    await page.click('button[type=submit]');
    await page.waitForSelector(`text=Your request ${reference} is confirmed`);
    await expectAccessible(page);
    // The page says what happens next: the answer comes by mail, and by when.
    expect(await page.textContent('body')).toMatch(/Our answer will reach your mailbox no later than \d{1,2} \w+ \d{4}, \d{2}:\d{2} Astana time/);
    const answer = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('Personal data we hold about you'));
    expect(answer.text).toContain('crm-1001');

    // The double click made one request: one receipt for this person.
    expect(sink.messages.filter((m) => m.to.includes('aigerim@example.kz') && m.text.includes('Reference number'))).toHaveLength(1);
  });

  it('a claim without a message comes back in the page\'s language with all that was typed and the problem at its field; with one, the operator reads it', async () => {
    const page = await newPage();
    await page.goto(`${system.url}/?lang=ru`);
    // The inputs carry the schema's limits.
    expect(await page.getAttribute('textarea[name=message]', 'maxlength')).toBe('5000');
    expect(await page.getAttribute('input[name=email]', 'maxlength')).toBe('254');
    expect(await page.getAttribute('input[name="changes.phone"]', 'type')).toBe('tel');
    expect(await page.textContent('label[for=change-phone]')).toBe('Телефон');
    await page.uncheck('input[value=access]');
    await page.check('input[value=claim]');
    await page.check('input[value=rectification]');
    await page.fill('input[name=email]', 'dana@example.kz');
    await page.fill('input[name=name]', 'Дана');
    await page.fill('input[name="changes.phone"]', '12');
    await page.fill('input[name="changes.city"]', 'Алматы');
    await page.click('button[type=submit]');

    await page.waitForSelector('#problem-message');
    await expectAccessible(page);
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    expect(await page.textContent('#problem-message')).toBe('Для претензии нужно сообщение: напишите, пожалуйста, в чём она состоит.');
    expect(await page.textContent('#problem-changes-phone')).toBe('Напишите номер телефона, например +7 701 000 00 00.');
    expect(await page.getAttribute('textarea[name=message]', 'aria-invalid')).toBe('true');
    expect(await page.inputValue('input[name=email]')).toBe('dana@example.kz');
    expect(await page.inputValue('input[name=name]')).toBe('Дана');
    expect(await page.inputValue('input[name="changes.city"]')).toBe('Алматы');
    expect(await page.isChecked('input[value=claim]')).toBe(true);
    expect(await page.isChecked('input[value=access]')).toBe(false);
    expect(await page.textContent('body')).not.toMatch(/validation|Invalid|changes\.phone/);

    const words = 'Мне звонят с рекламой, хотя я отказалась от рассылки.\nПрошу прекратить и исправить номер.';
    await page.fill('textarea[name=message]', words);
    await page.fill('input[name="changes.phone"]', '+7 701 000 11 22');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=получен');
    const reference = /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(await page.textContent('body') ?? '')![0];
    const shown = await operatorCall(system, 'GET', `/operator/requests/${reference}`);
    expect(shown.body).toMatchObject({ email: 'dana@example.kz', name: 'Дана', message: words, changes: { phone: '+7 701 000 11 22', city: 'Алматы' }, types: ['rectification', 'claim'] });
    // Nothing the person wrote goes to the address before it confirms.
    const receipt = await sink.waitFor((m) => m.subject.includes(reference));
    expect(receipt.text).not.toContain('рекламой');
  });

  it('files attached on the form: a page posing as an image is refused beside the field in Kazakh with the rest kept; a PDF is kept and one click away for the operator', async () => {
    const page = await newPage();
    await page.goto(`${system.url}/?lang=kk`);
    expect(await page.getAttribute('input[name=attachments]', 'accept')).toContain('application/pdf');
    await page.uncheck('input[value=access]');
    await page.check('input[value=claim]');
    await page.fill('input[name=email]', 'aruzhan@example.kz');
    const words = 'Төлем екі рет алынды, чек қоса беріліп отыр.';
    await page.fill('textarea[name=message]', words);
    await page.setInputFiles('input[name=attachments]', [
      { name: 'чек.png', mimeType: 'image/png', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>') },
    ]);
    await page.click('button[type=submit]');
    await page.waitForSelector('#problem-attachments');
    await expectAccessible(page);
    expect(await page.textContent('#problem-attachments')).toBe('«чек.png» файлы PDF, JPG, PNG пішімінде емес. Қалғаны сақталды; файлдарды қайта таңдаңыз.');
    expect(await page.inputValue('textarea[name=message]')).toBe(words);
    expect(await page.inputValue('input[name=email]')).toBe('aruzhan@example.kz');
    expect(await page.isChecked('input[value=claim]')).toBe(true);

    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2000, 0x20), Buffer.from('\n%%EOF\n')]);
    await page.setInputFiles('input[name=attachments]', [{ name: 'C:\\fakepath\\чек.pdf', mimeType: 'application/pdf', buffer: pdf }]);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=DRB-');
    const reference = /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec((await page.textContent('body')) ?? '')![0];
    const shown = await operatorCall(system, 'GET', `/operator/requests/${reference}`);
    expect(shown.body).toMatchObject({ message: words, formAttachments: [{ size: pdf.length, key: expect.stringMatching(new RegExp(`^attachments/${reference}/[0-9a-f]{32}$`)) }] });
    const key = (shown.body.formAttachments as Array<{ key: string }>)[0]!.key;
    const file = await operatorDownload(system, `/operator/requests/${reference}/attachment?key=${encodeURIComponent(key)}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="___.pdf"; filename*=UTF-8''${encodeURIComponent('чек.pdf')}`);
    expect(Buffer.from(await file.arrayBuffer()).equals(pdf)).toBe(true);
  });

  it('the form refuses more files than allowed, and a file over the size, naming the field, and keeps nothing', async () => {
    const form = (files: Array<[string, Buffer]>) => {
      const data = new FormData();
      data.append('types', 'claim');
      data.append('email', 'many@example.kz');
      data.append('message', 'Много файлов.');
      for (const [name, content] of files) data.append('attachments', new Blob([content], { type: 'application/pdf' }), name);
      return fetch(`${system.url}/api/requests?lang=en`, { method: 'POST', body: data });
    };
    const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(size, 0x20)]);
    const tooMany = await form(Array.from({ length: 4 }, (_, i): [string, Buffer] => [`${i}.pdf`, pdf(100)]));
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).toContain('At most 3 files can be attached. Everything else is kept; please choose the files again.');
    const tooLarge = await form([['big.pdf', pdf(2 * 1024 * 1024 + 1)]]);
    expect(tooLarge.status).toBe(400);
    expect(await tooLarge.text()).toContain('The file “big.pdf” is larger than 2 MB.');
    const requests = (await operatorCall(system, 'GET', '/operator/inbox?q=many@example.kz')).body.requests as unknown[];
    expect(requests).toEqual([]);
  });

  it('the API takes a message and refuses a claim without one, naming the field', async () => {
    const refused = await postJson(`${system.url}/api/requests`, { type: 'claim', email: 'erlan@example.kz', language: 'kk' });
    expect(refused.status).toBe(400);
    expect(refused.body.fields).toEqual([{ field: 'message', message: 'a claim needs a message: what it is about', kind: 'required' }]);
    const tooLong = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'erlan@example.kz', language: 'kk', message: 'ә'.repeat(5001) });
    expect(tooLong.body.fields).toEqual([{ field: 'message', message: 'at most 5000 characters', kind: 'tooLong', limit: 5000 }]);
  });

  it('an already used link shows a readable page that gives the support address, not an error dump', async () => {
    const page = await newPage();
    await page.goto(`${system.url}/verify?code=${'A'.repeat(43)}&lang=en`);
    const text = await page.textContent('p.error');
    expect(text).toContain('This link has already been used or has expired');
    expect(text).toContain('privacy@derbes.local');
    expect(await page.$('button[type=submit]')).toBeNull();
  });

  it('an address flooded in its name gets two links full of a stranger\'s requests, no more; "None of these are mine" closes them, and the person\'s own request gets its receipt', async () => {
    const person = 'flooded@victim.example';
    const mailsToPerson = () => sink.messages.filter((m) => m.to.includes(person));
    // Two links' worth, from clients of their own (each client's request rate is bounded), a few at a time.
    const flood = 2 * MAX_WAITING_PER_LINK;
    for (let i = 0; i < flood; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, flood - i) }, (_, j) =>
          postFrom(`127.0.9.${1 + ((i + j) % 10)}`, `${system.url}/api/requests`, JSON.stringify({ type: 'erasure', email: person, language: 'en', message: `n${i + j}` })),
        ),
      );
    }
    // Each of the two links lists a hundred requests once every request has found its link.
    const page = await newPage();
    const listed = async (mail: ReceivedMail) => {
      await page.goto(verificationLink(mail).href);
      return page.locator('input[type=checkbox][name=references]').count();
    };
    await sink.waitFor(() => mailsToPerson().length === 2, 120_000);
    for (let tries = 0; ; tries++) {
      const counts: number[] = [];
      for (const mail of mailsToPerson()) counts.push(await listed(mail));
      if (counts.every((count) => count === MAX_WAITING_PER_LINK)) break;
      if (tries > 120) throw new Error(`the links list ${counts.join(' and ')} requests`);
      await new Promise((r) => setTimeout(r, 1000));
    }

    // The person's own request now: no third link, no mail — the address's budget (six a day) is not spent on the flood.
    expect((await postJson(`${system.url}/api/requests`, { type: 'access', email: person, language: 'en' })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 3000));
    expect(mailsToPerson()).toHaveLength(2);

    // The person opens each mail, sees a hundred requests none of which is theirs, and presses "None of these are mine".
    for (const mail of mailsToPerson()) {
      await page.goto(verificationLink(mail).href);
      await expectAccessible(page);
      await page.click('button[name=none]');
      await page.waitForSelector('text=nothing will be done under these requests');
      expect(await page.textContent('body')).toContain(mail.subject.match(/DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/)![0]);
      await expectAccessible(page);
      // Used: the link works no more.
      await page.goto(verificationLink(mail).href);
      expect(await page.textContent('p.error')).toContain('This link has already been used or has expired');
    }
    expect(mailsToPerson()).toHaveLength(2);

    // The person's next request, on the form, gets its receipt; confirmed, it is answered.
    await page.goto(`${system.url}/?lang=en`);
    await page.fill('input[name=email]', person);
    await page.selectOption('select[name=language]', 'en');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=has been received');
    const reference = /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec((await page.textContent('body')) ?? '')![0];
    const receipt = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('/verify?code='));
    await page.goto(verificationLink(receipt).href);
    expect(await page.textContent('body')).toContain(reference);
    // The deadline watch may have added the request held before to this link meanwhile: then the page has boxes.
    const box = page.locator(`input[type=checkbox][value="${reference}"]`);
    if (await box.count()) await box.check();
    await page.click('button[type=submit]:not([name])');
    await page.waitForSelector(`text=Your request ${reference} is confirmed`);
  }, 300_000);
});
