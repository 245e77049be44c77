import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { DynamoRequestStore } from '../../functions/adapters/dynamodb/request-store.ts';
import { Settings } from '../../functions/config/settings.ts';
import { freePort } from '../../infra/local/free-port.ts';
import { usedBetween, type MeterReading } from '../../infra/local/meter.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { MailSink, verificationLink } from '../support/mail-sink.ts';
import { postJson, startTestSystem } from '../support/local-system.ts';

const PERSON = 'aigerim@example.kz';
let sink: MailSink;
let system: RunningSystem;
const dataDir = mkdtempSync(join(tmpdir(), 'derbes-e2e-access-'));
const meterFile = join(dataDir, 'meter.json');
let internalPorts: { dynamodb: number; s3: number; sfn: number; secrets: number };

/** The answer mail goes out just before the status changes; give the write a moment. */
async function eventualStatus(reference: string, expected: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const { status } = await stores().requests.get(reference);
    if (status === expected) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await stores().requests.get(reference)).status;
}

const stores = () => ({
  requests: new DynamoRequestStore(documentClient(), process.env[Settings.requestsTable]!, process.env[Settings.auditTable]!),
  audit: new DynamoAuditLog(documentClient(), process.env[Settings.auditTable]!),
});

beforeAll(async () => {
  sink = await new MailSink().start();
  internalPorts = { dynamodb: await freePort(), s3: await freePort(), sfn: await freePort(), secrets: await freePort() };
  system = await startTestSystem({ dataDir, internalPorts, mailRelayUrl: sink.url, ownDatabase: true, meterFile });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

describe('an access request from the web', () => {
  it('is receipted, verified by a POST (never a GET), and answered with the person\'s data only', async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: PERSON, name: 'Айгерим', language: 'ru' });
    expect(submitted.status).toBe(202);
    const reference = String(submitted.body.reference);
    expect(reference).toMatch(/^DRB-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(submitted.body.dueAt).toMatch(/T23:59:59\+05:00$/);
    expect(submitted.body.timeZone).toBe('Asia/Almaty');

    // One mail: the receipt with the confirmation link, in fixed words — not the name typed into the form.
    const receipt = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('Номер обращения'));
    expect(receipt.to).toEqual([PERSON]);
    expect(receipt.text).toContain(reference);
    expect(receipt.text).toMatch(/не позднее \d{1,2} \S+ \d{4}/);
    expect(receipt.text).not.toContain('Айгерим');
    const link = verificationLink(receipt);

    // A mail scanner fetching the link must not confirm anything. The page names the request, in its language.
    expect(link.searchParams.get('lang')).toBe('ru');
    const page = await fetch(link);
    expect(page.status).toBe(200);
    // No other site may frame the page whose button confirms.
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const pageText = await page.text();
    expect(pageText).toContain('method="post"');
    expect(pageText).toContain('<html lang="ru">');
    expect(pageText).toContain(`Запрос ${reference}: сведения о ваших персональных данных.`);
    expect(pageText).not.toContain(PERSON);
    expect((await stores().requests.get(reference)).status).toBe('AWAITING_VERIFICATION');

    const confirmedAt = Date.now();
    const confirm = await fetch(`${system.url}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code: link.searchParams.get('code')! }),
    });
    expect(confirm.status).toBe(200);
    // What happens next, and by when.
    expect(await confirm.text()).toMatch(new RegExp(`Запрос ${reference} подтверждён и передан в работу. Ответ придёт на вашу электронную почту не позднее \\d{1,2} \\S+ \\d{4}, 23:59 по времени Астаны`));
    const answer = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('Персональные данные, которые мы о вас храним'));
    console.log(`answer mail ${Date.now() - confirmedAt} ms after the confirming POST`);
    expect(answer.to).toEqual([PERSON]);
    expect(answer.text).toContain('crm-1001');
    expect(answer.text).toContain('orders-77');
    expect(answer.text).toContain('+7 701 555 01 23');
    expect(answer.text).not.toContain('daniyar');
    expect(answer.text).not.toContain('crm-1002');

    expect(await eventualStatus(reference, 'COMPLETED')).toBe('COMPLETED');
    const trail = await stores().audit.list(reference);
    expect(trail.filter((e) => e.type === 'status.changed').map((e) => (e.detail as { to: string }).to)).toEqual([
      'AWAITING_VERIFICATION',
      'IN_PROGRESS',
      'COMPLETED',
    ]);
    expect(trail.filter((e) => e.type === 'mail.sent').map((e) => (e.detail as { template: string }).template)).toEqual(['receipt', 'answer']);

    // The access package: a page and a JSON file behind single-use links; a GET only shows a button.
    const links = [...answer.text.matchAll(/https?:\/\/\S+\/download\?token=[\w-]+&lang=\w+&format=\w+/g)].map((m) => new URL(m[0]));
    expect(links).toHaveLength(2);
    const jsonLink = links.find((l) => l.searchParams.get('format') === 'json')!;
    const htmlLink = links.find((l) => l.searchParams.get('format') === 'html')!;
    // Each download page says which format its link gives before the button spends it.
    const jsonPage = await (await fetch(jsonLink)).text();
    expect(jsonPage).toContain('method="post"');
    expect(jsonPage).toContain('в виде файла JSON');
    expect(await (await fetch(htmlLink)).text()).toContain('в виде страницы: она откроется в браузере');
    const download = (link: URL) =>
      fetch(`${system.url}/download`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: link.searchParams.get('token')! }) });
    const file = await download(jsonLink);
    expect(file.status).toBe(200);
    const data = (await file.json()) as { reference: string; data: Array<{ records: Array<{ recordId: string }> }> };
    expect(data.reference).toBe(reference);
    expect(data.data.flatMap((d) => d.records.map((r) => r.recordId)).sort()).toEqual(['crm-1001', 'orders-77']);
    const spent = await download(jsonLink);
    expect(spent.status).toBe(410);
    const spentText = await spent.text();
    expect(spentText).toContain('Ссылка для скачивания недействительна');
    expect(spentText).toContain('privacy@derbes.local');

    // The page opens in the browser: a document with a heading per part and a table per record, in Russian, printable.
    const pageFile = await fetch(`${system.url}/download?lang=ru&format=html`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: htmlLink.searchParams.get('token')! }),
    });
    expect(pageFile.status).toBe(200);
    expect(pageFile.headers.get('content-type')).toContain('text/html');
    expect(pageFile.headers.get('content-disposition')).toMatch(/^inline;/);
    const html = await pageFile.text();
    expect(html).toContain('<html lang="ru">');
    for (const heading of ['Данные по источникам', 'Цели и правовые основания обработки', 'Где хранятся данные', 'Срок хранения', 'Получатели и обработчики']) {
      expect(html).toContain(`<h2>${heading}</h2>`);
    }
    expect(html).toMatch(/<table>.*<td>Телефон<\/td><td>\+7 701 555 01 23<\/td>/s);
    expect(html).toContain('@media print');
    expect(html).not.toContain('daniyar');

    // The link is single use, and the page after it says where to write.
    const again = await fetch(`${system.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ code: link.searchParams.get('code')! }) });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('privacy@derbes.local');
    const usedPage = await fetch(link);
    expect(usedPage.status).toBe(410);
    expect(await usedPage.text()).toContain('Эта ссылка уже использована или её срок истёк');
    // A link cut short (broken across lines, copied in part) is said to be incomplete, not used.
    const code = link.searchParams.get('code')!;
    for (const partial of [`${system.url}/verify?code=${code.slice(0, 20)}&lang=ru`, `${system.url}/verify?lang=ru`]) {
      const page = await fetch(partial);
      expect(page.status).toBe(400);
      expect(await page.text()).toContain('Ссылка неполная: код подтверждения в ней отсутствует или обрезан.');
    }
    // Posts the page never sends are answered in the person's words too, never in the API's English.
    const post = (body: string, type = 'application/x-www-form-urlencoded') => fetch(`${system.url}/verify?lang=ru`, { method: 'POST', headers: { 'content-type': type }, body });
    for (const [body, type, words] of [
      ['code=x', 'text/plain', 'Подтверждение пришло повреждённым'],
      [`code=${code}&references=not%20a%20reference`, undefined, 'Подтверждение пришло повреждённым'],
      ['references=', undefined, 'Ссылка неполная'],
      [`code=${code}&references=`, undefined, 'Вы не отметили ни одного запроса, поэтому ничего не подтверждено.'],
    ] as const) {
      const page = await (await post(body, type)).text();
      expect(page).toContain(words);
      expect(page).not.toMatch(/Invalid|is required|must be/);
    }
  });

  it('a retry with the same Idempotency-Key returns the same request and sends one receipt', async () => {
    const headers = { 'Idempotency-Key': 'double-click-1' };
    const first = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'daniyar@example.kz', language: 'en' }, headers);
    const second = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'daniyar@example.kz', language: 'en' }, headers);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body.reference).toBe(first.body.reference);
    await sink.waitFor((m) => m.subject.includes(String(first.body.reference)) && m.text.includes('/verify?code='));
    expect(sink.messages.filter((m) => m.subject.includes(String(first.body.reference)) && m.text.includes('Reference number'))).toHaveLength(1);
  });

  it('reaches its receipt in 17 calls while its rate limits are idle: the API\'s 4 (two rate limits, the request with its trail, the start) and the verification step\'s 13 with the mail', async () => {
    /** The meter as its file holds it once it has stood still for a second and a half (it is written every 250 ms). */
    const settledMeter = async (): Promise<MeterReading> => {
      const read = () => readFileSync(meterFile, 'utf8');
      let last = read();
      for (let still = 0; still < 5; ) {
        await new Promise((r) => setTimeout(r, 300));
        const now = read();
        still = now === last ? still + 1 : 0;
        last = now;
      }
      return JSON.parse(last) as MeterReading;
    };
    const receipted = async (email: string) => {
      const { body } = await postJson(`${system.url}/api/requests`, { type: 'access', email, language: 'ru' });
      await sink.waitFor((m) => m.subject.includes(String(body.reference)) && m.text.includes('/verify?code='));
    };
    await receipted('warm.calls@example.kz'); // each function has started (its secrets read) before the count
    const before = await settledMeter();
    await receipted('calls@example.kz');
    const after = await settledMeter();
    const callsOf = (fn: string) => usedBetween(before, after, (caller) => caller.startsWith(fn)).calls;
    const { 'dynamodb:UpdateItem': rateLimits, ...api } = callsOf('HttpApiFunction');
    expect(api).toEqual({ 'dynamodb:TransactWriteItems': 1, 'sfn:StartExecution': 1 });
    // The client's bucket and everyone's: one conditional write each, two for a bucket in use (this file's requests
    // come from one client).
    expect(rateLimits).toBeGreaterThanOrEqual(2);
    expect(rateLimits).toBeLessThanOrEqual(4);
    // The task token, the request, the address's link (read, made), the move with its event (the trail's head read),
    // the mail's claim, the address's, its domain's and the hour's budgets, the mail, then its record (the head known)
    // and the link marked mailed.
    expect(callsOf('RequestVerificationFunction')).toEqual({
      'dynamodb:PutItem': 2,
      'dynamodb:GetItem': 3,
      'dynamodb:TransactWriteItems': 3,
      'dynamodb:UpdateItem': 4,
      'ses:SendRawEmail': 1,
    });
  });

  it('one link for requests made in three languages: its page in the language of the mail it came in, naming every request as a box, none ticked; the person ticks theirs', async () => {
    const person = 'three-languages@example.kz';
    const references: string[] = [];
    for (const language of ['ru', 'kk', 'en']) {
      const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: person, language });
      expect(submitted.status).toBe(202);
      references.push(String(submitted.body.reference));
    }
    // One receipt, in the language of whichever request reached the link first; its link says which.
    const receipt = await sink.waitFor((m) => m.to.includes(person) && m.text.includes('/verify?code='));
    const link = verificationLink(receipt);
    const language = link.searchParams.get('lang') as 'ru' | 'kk' | 'en';
    const expected = {
      ru: { choose: 'Отметьте те, что отправили вы сами', types: 'сведения о ваших персональных данных', received: 'Получен через сайт', once: 'Ссылка действует один раз', confirmed: 'подтверждены и переданы в работу', due: 'ответ придёт на вашу электронную почту не позднее' },
      kk: { choose: 'Өзіңіз жібергендерін белгілеңіз', types: 'дербес деректеріңіз туралы мәліметтер', received: 'сайт арқылы', once: 'Сілтеме бір рет қана жарамды', confirmed: 'сұраулар расталды', due: 'жауап электрондық поштаңызға келеді, соңғы мерзімі:' },
      en: { choose: 'Tick the ones you sent yourself', types: 'information about your personal data', received: 'Received through the website on', once: 'The link works once', confirmed: 'are confirmed and are being processed', due: 'our answer will reach your mailbox no later than' },
    }[language];
    expect(receipt.subject).toBe(`[${references[['ru', 'kk', 'en'].indexOf(language)]}] ${{ ru: 'Ваш запрос получен — подтвердите его', kk: 'Сұрауыңыз алынды — оны растаңыз', en: 'We have received your request — please confirm it' }[language]}`);

    // The later requests join the link as their executions reach it; a GET spends nothing, so it is read again.
    let page = '';
    await vi.waitFor(
      async () => {
        page = await (await fetch(link)).text();
        expect(references.filter((reference) => !page.includes(reference))).toEqual([]);
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(page).toContain(`<html lang="${language}">`);
    expect(page).toContain(expected.choose);
    expect(page).toContain(expected.types);
    // Every request on the link is a box, none ticked (the first may be a stranger's as well as a later one): the
    // person ticks the three they made.
    const labels = [...page.matchAll(/<label><input type="checkbox" name="references" value="([^"]+)">([^<]*)<\/label>/g)].map((match) => ({ box: match[1]!, label: match[2]! }));
    const boxes = labels.map(({ box }) => box);
    expect([...boxes].sort()).toEqual([...references].sort());
    expect(page).not.toContain('checked');
    // Each box says how and when its request came and when it is due, and the page warns what pressing does.
    for (const { label } of labels) expect(label).toContain(expected.received);
    expect(page).toContain(expected.once);
    const action = /action="([^"]+)"/.exec(page)![1]!;
    const form = new URLSearchParams({ code: link.searchParams.get('code')! });
    for (const box of boxes) form.append('references', box);
    const confirmed = await fetch(`${system.url}${action}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    expect(confirmed.status).toBe(200);
    const confirmedPage = await confirmed.text();
    expect(confirmedPage).toContain(`<html lang="${language}">`);
    expect(confirmedPage).toContain(expected.confirmed);
    // Each request confirmed, with the date its answer is due by.
    for (const reference of references) expect(confirmedPage).toMatch(new RegExp(`${reference}[^<]*${expected.due} [^<]*23:59`));

    // Each answer speaks the language its request was made in.
    const subjects = await Promise.all(references.map(async (reference) => (await sink.waitFor((m) => m.subject.startsWith(`[${reference}]`) && !m.text.includes('/verify?code='), 30_000)).subject));
    expect(subjects).toEqual([`[${references[0]}] Ответ на ваш запрос`, `[${references[1]}] Сұрауыңызға жауап`, `[${references[2]}] Answer to your request`]);
  });

  it('a request left unticked on the used link closes unconfirmed at once, with no mail: here a stranger\'s, for which the link was mailed', async () => {
    const person = 'left-unticked@example.kz';
    // A stranger asks first, in the person's name, to erase their data: the link is mailed for that request.
    const stranger = await postJson(`${system.url}/api/requests`, { type: 'erasure', email: person, language: 'en' });
    expect(stranger.status).toBe(202);
    const strangers = String(stranger.body.reference);
    const receipt = await sink.waitFor((m) => m.to.includes(person) && m.text.includes('/verify?code='));
    const own = await postJson(`${system.url}/api/requests`, { type: 'access', email: person, language: 'en' });
    const owns = String(own.body.reference);
    const link = verificationLink(receipt);
    let page = '';
    await vi.waitFor(
      async () => {
        page = await (await fetch(link)).text();
        expect(page).toContain(owns);
      },
      { timeout: 20_000, interval: 200 },
    );
    const boxes = [...page.matchAll(/<input type="checkbox" name="references" value="([^"]+)">/g)].map((match) => match[1]);
    expect(boxes).toEqual([strangers, owns]);
    // The person ticks the request they made.
    const action = /action="([^"]+)"/.exec(page)![1]!;
    const form = new URLSearchParams({ code: link.searchParams.get('code')!, references: owns });
    const confirmed = await fetch(`${system.url}${action}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    expect(confirmed.status).toBe(200);
    // The stranger's request is closed by its workflow within seconds, not when its link would have expired.
    await vi.waitFor(async () => expect((await stores().requests.get(strangers)).status).toBe('CLOSED_UNVERIFIED'), { timeout: 20_000, interval: 200 });
    const trail = (await stores().audit.list(strangers)).map((event) => event.type);
    expect(trail).toContain('verification.left_unticked');
    expect(trail).not.toContain('mail.withheld');
    // The person's own request is answered; of the stranger's, the address has had the receipt only.
    await sink.waitFor((m) => m.subject.startsWith(`[${owns}]`), 30_000);
    expect(sink.messages.filter((m) => m.to.includes(person) && m.subject.startsWith(`[${strangers}]`)).map((m) => m.text.includes('/verify?code='))).toEqual([true]);
  });

  it('bad input is refused with every bad field named, and nothing is stored', async () => {
    const before = sink.messages.length;
    const response = await postJson(`${system.url}/api/requests`, { type: 'acces', email: 'not-an-address', language: 'de' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('validation_failed');
    expect((response.body.fields as Array<{ field: string }>).map((f) => f.field).sort()).toEqual(['email', 'language', 'type']);
    const notJson = await fetch(`${system.url}/api/requests`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(notJson.status).toBe(400);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages.length).toBe(before);
  });

  it('survives a restart: a request waiting for verification can still be confirmed and answered', async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: PERSON, language: 'kk' });
    const reference = String(submitted.body.reference);
    const verification = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('/verify?code='));
    // The audit entry for a mail follows its delivery; wait for it before pulling the plug.
    let trailBefore = await stores().audit.list(reference);
    for (let i = 0; i < 50 && !trailBefore.some((e) => (e.detail as { template?: string }).template === 'receipt'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      trailBefore = await stores().audit.list(reference);
    }

    await system.stop();
    system = await startTestSystem({ dataDir, internalPorts, mailRelayUrl: sink.url, ownDatabase: true });
    expect(system.resumedExecutions).toBeGreaterThanOrEqual(1);
    expect(await stores().audit.list(reference)).toEqual(trailBefore);

    const code = verificationLink(verification).searchParams.get('code')!;
    const confirm = await postJson(`${system.url}/api/verifications`, { code });
    expect(confirm.status).toBe(200);
    const answer = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('crm-1001'));
    expect(answer.text).toContain('Сіз туралы сақталатын дербес деректер');
    expect(await eventualStatus(reference, 'COMPLETED')).toBe('COMPLETED');
  });

  it('keeps what was done to the demo data across a restart, and writes it again only when asked', async () => {
    const daniyar = { email: 'daniyar@example.kz', recordId: 'crm-1002' };
    const record = async () => (await documentClient().send(new GetCommand({ TableName: 'derbes-demo-customers', Key: daniyar, ConsistentRead: true }))).Item;
    expect(await record()).toBeDefined();
    // As an erasure tried in the demo would.
    await documentClient().send(new DeleteCommand({ TableName: 'derbes-demo-customers', Key: daniyar }));

    await system.stop();
    system = await startTestSystem({ dataDir, internalPorts, mailRelayUrl: sink.url, ownDatabase: true });
    expect(await record()).toBeUndefined();

    await system.stop();
    system = await startTestSystem({ dataDir, internalPorts, mailRelayUrl: sink.url, resetDemoData: true, ownDatabase: true });
    expect(await record()).toMatchObject({ name: 'Данияр Сапаров' });
  });

  it('an access and an erasure confirmed together: the access answer shows the data as it stood before the erasure', async () => {
    const person = 'daniyar@example.kz';
    const access = String((await postJson(`${system.url}/api/requests`, { type: 'access', email: person, language: 'en' })).body.reference);
    const erasure = String((await postJson(`${system.url}/api/requests`, { type: 'erasure', email: person, language: 'en' })).body.reference);
    // Both join the address's waiting link: a new one mailed with the first's receipt, or one an earlier request of this
    // file left unconfirmed (no mail then). The link is the one whose page lists both.
    let link: URL | undefined;
    await vi.waitFor(
      async () => {
        for (const receipt of sink.messages.filter((m) => m.to.includes(person) && m.text.includes('/verify?code=')).reverse()) {
          // A restart moved the runtime to other ports: the link's path and code, on today's address.
          const mailed = verificationLink(receipt);
          const candidate = new URL(`${mailed.pathname}${mailed.search}`, system.url);
          const page = await (await fetch(candidate)).text();
          if ([access, erasure].every((reference) => page.includes(reference))) return void (link = candidate);
        }
        throw new Error('no link lists both requests yet');
      },
      { timeout: 20_000, interval: 200 },
    );
    const form = new URLSearchParams({ code: link!.searchParams.get('code')! });
    form.append('references', access);
    form.append('references', erasure);
    expect((await fetch(`${system.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })).status).toBe(200);

    // Both run at once; whichever reaches the customers' table first, the person sees what was held, then it is gone.
    const answer = await sink.waitFor((m) => m.subject === `[${access}] Answer to your request`, 30_000);
    expect(answer.text).toContain('crm-1002');
    expect(answer.text).toContain('Данияр Сапаров');
    await sink.waitFor((m) => m.subject === `[${erasure}] Answer to your request`, 30_000);
    const left = await documentClient().send(new GetCommand({ TableName: 'derbes-demo-customers', Key: { email: person, recordId: 'crm-1002' }, ConsistentRead: true }));
    expect(left.Item).toBeUndefined();
  });
});
