import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependenciesFromEnvironment } from '../../functions/composition.ts';
import { createDeadlineEngine } from '../../functions/domain/deadlines/index.ts';
import { watchBreaches } from '../../functions/use-cases/watch-breaches.ts';
import { breachesCommand } from '../../infra/cli/commands/breaches.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, operatorKeyOf, startTestSystem } from '../support/local-system.ts';
import { MailSink } from '../support/mail-sink.ts';
import { SHIPPED_RULES } from '../../functions/domain/deadlines/shipped.ts';

/**
 * A breach recorded through the operator API for two people found through the sources: the notice to the authority
 * (ru and kk, text and PDF) holds every item the rule in force requires; each person gets one mail in their own
 * language; and the watch alerts the operator once the filing term has passed unfiled — on a simulated clock.
 */
const NURLAN = 'nurlan@example.kz';
const GULNARA = 'gulnara@example.kz';
const DPO = 'dpo@derbes.local';
const RESPONSIBLE = 'security@derbes.local';

let sink: MailSink;
let system: RunningSystem;
const api = (method: 'GET' | 'POST', path: string, body?: unknown) => operatorCall(system, method, path, body);

beforeAll(async () => {
  sink = await new MailSink().start();
  const demo = JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as Record<string, unknown>;
  const profile = join(mkdtempSync(join(tmpdir(), 'derbes-breach-')), 'breach.json');
  writeFileSync(profile, JSON.stringify(demo));
  writeFileSync(
    profile.replace(/\.json$/, '.data.json'),
    JSON.stringify({
      'derbes-demo-customers': [
        { email: NURLAN, recordId: 'crm-2001', lastName: 'Абенов', firstName: 'Нурлан', iin: '881102345128', phone: '+7 700 555 61 62', language: 'kk' },
        { email: GULNARA, recordId: 'crm-2002', name: 'Гульнара Тохтарова', phone: '+7 707 555 18 19', language: 'ru' },
        { email: 'bystander@example.kz', recordId: 'crm-2003', name: 'Посторонний', phone: '+7 705 000 00 00' },
      ],
    }),
  );
  system = await startTestSystem({ profile, mailRelayUrl: sink.url });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

const breachInput = (detectedAt: string) => ({
  detectedAt,
  description: { ru: 'Резервная копия клиентской базы оказалась доступна по открытой ссылке.', kk: 'Клиенттер базасының сақтық көшірмесі ашық сілтеме арқылы қолжетімді болды.' },
  dataCategories: ['ФИО', 'ИИН', 'телефон'],
  systems: ['CRM'],
  measuresTaken: { ru: 'Ссылка отключена, ключи доступа заменены.', kk: 'Сілтеме өшірілді, қол жеткізу кілттері ауыстырылды.' },
  responsible: { name: 'Ержан Сатпаев', position: 'ответственный за обработку персональных данных', email: RESPONSIBLE, phone: '+7 727 000 00 01' },
});

/** The operator API's deps in this process, on a clock of the test's choosing. */
function depsAt(now: Date) {
  return Object.assign(dependenciesFromEnvironment({ rules: SHIPPED_RULES }), { clock: { now: () => now } });
}

describe('breach register, end to end', () => {
  let reference: string;
  let dueAt: string;

  it('records a breach with the notice due on the working-day calendar, once per Idempotency-Key', async () => {
    const detectedAt = new Date(Date.now() - 3_600_000).toISOString();
    const response = await fetch(`${system.url}/operator/breaches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorKeyOf(system)}`, 'content-type': 'application/json', 'idempotency-key': 'breach-e2e-1' },
      body: JSON.stringify(breachInput(detectedAt)),
    });
    expect(response.status).toBe(201);
    const recorded = (await response.json()) as Record<string, any>;
    reference = recorded.reference;
    expect(reference).toMatch(/^BRC-/);
    dueAt = createDeadlineEngine({}, SHIPPED_RULES).breachNotice('KZ', new Date(detectedAt)).dueAt;
    expect(recorded.notices).toEqual([expect.objectContaining({ jurisdiction: 'KZ', dueAt, overdue: false, rule: expect.objectContaining({ id: 'KZ-94V-44VIII-breach-notice' }) })]);
    const again = await fetch(`${system.url}/operator/breaches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorKeyOf(system)}`, 'content-type': 'application/json', 'idempotency-key': 'breach-e2e-1' },
      body: JSON.stringify(breachInput(detectedAt)),
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { reference: string }).reference).toBe(reference);
    const bad = await api('POST', '/operator/breaches', { ...breachInput('yesterday'), responsible: { name: 'X' } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field)).toEqual(expect.arrayContaining(['detectedAt', 'responsible.email']));
  });

  it('finds the affected people through the sources, once each, and keeps what the notice needs under a keyed hash', async () => {
    // Through the operator's tool, as an operator types it: one --find, three addresses.
    process.env.DERBES_API_URL = system.url;
    process.env.DERBES_OPERATOR_KEY = operatorKeyOf(system);
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) };
    expect(await breachesCommand(['affected', reference, '--find', NURLAN, GULNARA, 'nobody@example.kz'], io)).toBe(0);
    expect(lines).toEqual(['added 2, already listed 0, not found in any source 1; 2 people in all']);
    expect(await breachesCommand(['show', reference, 'stray'], io)).toBe(2);
    const again = await api('POST', `/operator/breaches/${reference}/subjects`, { find: [NURLAN.toUpperCase()] });
    expect(again.body).toMatchObject({ added: 0, alreadyListed: 1, subjectCount: 2 });
    const listed = await api('GET', `/operator/breaches/${reference}/subjects`);
    const people = listed.body.subjects as Array<Record<string, any>>;
    expect(people.map((p) => p.name).sort()).toEqual(['Абенов Нурлан', 'Гульнара Тохтарова']);
    for (const person of people) expect(person.key).toMatch(/^[0-9a-f]{64}$/);
    expect(people.find((p) => p.email === NURLAN)).toMatchObject({ iin: '881102345128', phone: '+7 700 555 61 62', language: 'kk', foundIn: ['customers'] });
  });

  it('produces the notice to the authority in Russian and Kazakh, text and PDF, with every required item', async () => {
    const rule = createDeadlineEngine({}, SHIPPED_RULES).breachNotice('KZ', new Date());
    for (const lang of ['ru', 'kk'] as const) {
      const response = await fetch(`${system.url}/operator/breaches/${reference}/notice?lang=${lang}`, { headers: { authorization: `Bearer ${operatorKeyOf(system)}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-derbes-missing')).toBe('none');
      const text = await response.text();
      const labels = JSON.parse(readFileSync(`rules/messages/${lang}.json`, 'utf8')).breach.notice.fields as Record<string, string>;
      for (const item of rule.content) expect(text).toContain(labels[item.field]);
      expect(text).toContain(rule.authority[lang]!);
      expect(text).toContain(rule.basis[lang]!);
      for (const fact of ['Ержан Сатпаев', RESPONSIBLE, '+7 727 000 00 01', '881102345128', '+7 700 555 61 62', 'Абенов Нурлан', 'Гульнара Тохтарова', '+7 707 555 18 19', reference]) {
        expect(text).toContain(fact);
      }
      expect(text).toContain(lang === 'kk' ? 'Сілтеме өшірілді' : 'Ссылка отключена');
      expect(text).not.toContain('Посторонний');

      const pdf = await fetch(`${system.url}/operator/breaches/${reference}/notice?lang=${lang}&format=pdf`, { headers: { authorization: `Bearer ${operatorKeyOf(system)}` } });
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      const bytes = Buffer.from(await pdf.arrayBuffer());
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      const pdfText = execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: bytes }).toString('utf8').replace(/\s+/g, ' ');
      expect(pdfText).toContain(lang === 'kk' ? 'Дербес деректер қауіпсіздігінің бұзылғаны туралы хабарлама' : 'Уведомление о нарушении безопасности персональных данных');
      for (const fact of ['881102345128', 'Ержан Сатпаев', reference]) expect(pdfText).toContain(fact);
    }
    const trail = (await api('GET', `/operator/breaches/${reference}`)).body.audit as Array<{ type: string; detail: Record<string, unknown> }>;
    expect(trail.filter((e) => e.type === 'breach.notice_produced')).toHaveLength(4);
  });

  it('mails each affected person once, in their language, after the operator approves the text', async () => {
    const lacking = await api('POST', `/operator/breaches/${reference}/person-notice`, { texts: { ru: 'Смените пароль.' } });
    expect(lacking.status).toBe(400);
    expect(lacking.body.fields).toEqual([expect.objectContaining({ field: 'texts.kk' }), expect.objectContaining({ field: 'dataCategories.kk' })]);
    const preview = await api('POST', `/operator/breaches/${reference}/person-notice/preview`, { texts: { kk: 'Құпиясөзіңізді ауыстырыңыз.' } });
    expect(preview.body.mails.map((m: { language: string }) => m.language).sort()).toEqual(['kk', 'ru']);
    expect(sink.messages.filter((m) => m.subject.includes(reference))).toHaveLength(0);

    const approved = await api('POST', `/operator/breaches/${reference}/person-notice`, { texts: { ru: 'Рекомендуем сменить пароль.', kk: 'Құпиясөзіңізді ауыстыруды ұсынамыз.' }, dataCategories: { kk: ['аты-жөні', 'ЖСН', 'телефон нөмірі'] } });
    expect(approved.status).toBe(200);
    expect(approved.body.sentNow).toBe(2);
    const kk = await sink.waitFor((m) => m.to.includes(NURLAN));
    expect(kk.subject).toBe(`[${reference}] Дербес деректеріңіздің қауіпсіздігі бұзылды`);
    expect(kk.text).toContain('Сәлеметсіз бе, Абенов Нурлан');
    expect(kk.text).toContain('Оқиға қамтыған деректер: аты-жөні, ЖСН, телефон нөмірі.');
    // The sender's name in the mail's language, as an encoded word.
    const fromName = /=\?UTF-8\?B\?([^?]+)\?=/.exec(kk.headers.find((h) => h.key === 'from')?.value ?? '')?.[1];
    expect(Buffer.from(fromName ?? '', 'base64').toString('utf8')).toBe('«Демо Дербес» ЖШС');
    expect(kk.text).toContain('Құпиясөзіңізді ауыстыруды ұсынамыз.');
    expect(kk.text).not.toMatch(/Hello|breach|Нарушение/);
    const ru = await sink.waitFor((m) => m.to.includes(GULNARA));
    expect(ru.subject).toBe(`[${reference}] Нарушение безопасности ваших персональных данных`);
    expect(ru.text).toContain('Рекомендуем сменить пароль.');

    // The scheduled watch sends nothing more to them, and a second approval is refused.
    await watchBreaches(depsAt(new Date()));
    expect(sink.messages.filter((m) => m.to.includes(NURLAN) || m.to.includes(GULNARA))).toHaveLength(2);
    expect((await api('POST', `/operator/breaches/${reference}/person-notice`, { texts: { ru: 'x', kk: 'y' }, dataCategories: { kk: ['z'] } })).status).toBe(409);
    const shown = await api('GET', `/operator/breaches/${reference}`);
    expect(shown.body.deliveries).toEqual({ sent: 2 });
    expect(shown.body.audit.filter((e: { type: string }) => e.type === 'breach.person_notified')).toHaveLength(2);
  });

  it('alerts the operator when the filing term passes unfiled (simulated clock), and not once it is filed', async () => {
    const filed = await api('POST', '/operator/breaches', breachInput(new Date(Date.now() - 60_000).toISOString()));
    const filedReference = filed.body.reference as string;
    expect((await api('POST', `/operator/breaches/${filedReference}/filing`, { reference: 'ИБ-2026-117' })).body.notices[0]).toMatchObject({ filingReference: 'ИБ-2026-117', filedAt: expect.any(String) });

    const afterDue = new Date(Date.parse(dueAt) + 1_000);
    const report = await watchBreaches(depsAt(afterDue));
    expect(report.overdue).toBe(1);
    const alert = await sink.waitFor((m) => m.to.includes(DPO) && m.subject.includes(reference) && m.subject.includes('ПРОСРОЧЕНО'));
    expect(alert.text).toContain(`npx derbes breaches filed ${reference} --jurisdiction KZ`);
    expect(sink.messages.some((m) => m.to.includes(RESPONSIBLE) && m.subject.includes(reference) && m.subject.includes('ПРОСРОЧЕНО'))).toBe(true);
    expect(sink.messages.some((m) => m.subject.includes(filedReference))).toBe(false);
    // Once only.
    expect((await watchBreaches(depsAt(new Date(afterDue.getTime() + 60_000)))).overdue).toBe(0);
    const trail = (await api('GET', `/operator/breaches/${reference}`)).body.audit as Array<{ type: string; detail: { kind?: string } }>;
    expect(trail.filter((e) => e.type === 'deadline.step').map((e) => e.detail.kind)).toContain('KZ:overdue');
  });

  it('the CLI lists, shows and records the filing', async () => {
    process.env.DERBES_API_URL = system.url;
    process.env.DERBES_OPERATOR_KEY = operatorKeyOf(system);
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(`ERR ${line}`) };
    expect(await breachesCommand(['filed', reference, '--jurisdiction', 'KZ', '--reference', 'ИБ-2026-118'], io)).toBe(0);
    expect(await breachesCommand(['list'], io)).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`${reference}.*KZ filed`));
    expect(await breachesCommand(['filed', reference], io)).toBe(1);
    expect(out.at(-1)).toContain('already recorded as filed');
  });
});
