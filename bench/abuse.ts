/**
 * Attacks the local runtime as an outsider would, and counts what gets through:
 *   npm run bench:abuse
 * 1. 200 requests from one client address          → accepted, then 429s (with Retry-After) once its bucket is empty
 * 2. 200 requests for one address within a minute, from 200 client addresses (so only the per-address bounds act)
 *                                                    → mails that reach the address (at most the recipient budget)
 * 3. 20 mails from one sender to the support mailbox → mails back to it
 * Every request carries a phishing text as its name; every mail the real SMTP sink received is searched for it.
 * Runs the demo profile with its raised limits removed: the defaults a real operator gets. Exits non-zero if a
 * bound does not hold.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { DynamoAuditLog } from '../functions/adapters/dynamodb/audit-log.ts';
import { documentClient } from '../functions/adapters/dynamodb/client.ts';
import { parseProfile } from '../functions/config/load-profile.ts';
import { Settings } from '../functions/config/settings.ts';
import { startLocalSystem } from '../infra/local/runtime.ts';
import { runtimeSettings } from '../infra/local/settings.ts';
import { postFrom } from '../test/support/client-address.ts';
import { MailSink } from '../test/support/mail-sink.ts';

const PHISHING = 'Hi! Your account is suspended. Restore it at http://evil.example/login';
const PHISHING_MARKS = /evil\.example|suspended/i;

const dir = mkdtempSync(join(tmpdir(), 'derbes-abuse-'));
const { limits: _demoLimits, ...demo } = JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as Record<string, unknown>;
const profilePath = join(dir, 'profile.json');
writeFileSync(profilePath, JSON.stringify(demo));
writeFileSync(profilePath.replace(/\.json$/, '.data.json'), readFileSync('profiles/demo.data.json'));
const limits = parseProfile(demo, 'bench profile').limits;

const sink = await new MailSink().start();
const system = await startLocalSystem(
  runtimeSettings({ DATA_DIR: join(dir, 'data'), PORT: '0', SMTP_PORT: '0', DYNAMODB_PORT: '0', DERBES_PROFILE: profilePath, MAIL_RELAY_URL: sink.url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN' }),
  { log: () => {} },
);
// The bench reads the trail as an admin on this machine would: the runtime's tables, endpoint and credentials.
Object.assign(process.env, system.adminEnvironment);
const audit = new DynamoAuditLog(documentClient(), process.env[Settings.auditTable]!);

const request = (clientIp: string, email: string) =>
  postFrom(clientIp, `${system.url}/api/requests`, JSON.stringify({ type: 'access', email, name: PHISHING, language: 'en' }));

/** Waits until each request's verification step has run (mailed, withheld, or joined another's link). */
async function settled(references: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (const reference of references) {
    while (!(await audit.list(reference)).some((e) => e.type === 'verification.requested' || e.type === 'mail.withheld')) {
      if (Date.now() > deadline) throw new Error(`request ${reference} never reached its verification step`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // The mail of the last step is on its way to the sink.
  await new Promise((r) => setTimeout(r, 2000));
}

const referenceOf = (text: string) => /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(text)?.[0];
const mailsTo = (address: string) => sink.messages.filter((m) => m.to.includes(address)).length;
const failures: string[] = [];

try {
  // 1. One client, many requests.
  const oneClient: Array<{ status: number; retryAfter?: string }> = [];
  const oneClientRefs: string[] = [];
  for (let i = 0; i < 200; i++) {
    const response = await request('127.0.0.2', 'one.client@example.kz');
    oneClient.push({ status: response.status, retryAfter: response.headers['retry-after'] as string | undefined });
    const reference = response.status < 300 ? referenceOf(response.text) : undefined;
    if (reference) oneClientRefs.push(reference);
  }
  const firstRefused = oneClient.findIndex((r) => r.status === 429);
  const refusedCount = oneClient.filter((r) => r.status === 429).length;
  console.log(
    `200 requests from one client address: ${oneClient.length - refusedCount} accepted, 429 from request #${firstRefused + 1} on (${refusedCount} × 429, Retry-After ${oneClient[firstRefused]?.retryAfter ?? '-'} s); bucket ${limits.requestsPerClient.burst} at once, ${limits.requestsPerClient.perMinute}/min`,
  );
  if (firstRefused !== limits.requestsPerClient.burst) failures.push(`the first 429 came at #${firstRefused + 1}, not after the bucket of ${limits.requestsPerClient.burst}`);

  // 2. One address, many clients, within a minute.
  const victim = 'victim@third-party.example';
  const started = performance.now();
  const statuses = new Map<number, number>();
  const victimRefs: string[] = [];
  for (let batch = 0; batch < 200; batch += 8) {
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => request(`127.0.1.${batch + i + 1}`, victim)));
    for (const response of responses) {
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const reference = response.status < 300 ? referenceOf(response.text) : undefined;
      if (reference) victimRefs.push(reference);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await settled([...oneClientRefs, ...victimRefs]);
  const toVictim = mailsTo(victim);
  console.log(
    `200 requests for one address from 200 client addresses in ${seconds.toFixed(1)} s: ${[...statuses].map(([status, n]) => `${n} × ${status}`).join(', ')}; mails that reached it: ${toVictim} (recipient budget ${limits.recipientMails.max} per ${limits.recipientMails.windowHours} h)`,
  );
  if (toVictim > limits.recipientMails.max) failures.push(`${toVictim} mails reached one address, over its budget of ${limits.recipientMails.max}`);
  if (seconds > 60) failures.push(`the 200 requests took ${seconds.toFixed(1)} s, not within a minute`);

  // 3. One sender, many mails.
  const writer = 'writer@example.kz';
  const smtp = createTransport({ host: '127.0.0.1', port: system.smtpPort, secure: false, ignoreTLS: true });
  for (let i = 0; i < 20; i++) {
    await smtp.sendMail({ from: { name: PHISHING, address: writer }, to: 'privacy@derbes.local', subject: 'Удалите мои данные', text: `Прошу удалить мои данные. ${PHISHING} (${i})` });
  }
  smtp.close();
  await system.mailIntakeIdle();
  await new Promise((r) => setTimeout(r, 3000));
  const toWriter = mailsTo(writer);
  console.log(`20 mails from one sender to the support mailbox: mails back to it: ${toWriter}`);
  if (toWriter > limits.recipientMails.max) failures.push(`${toWriter} mails went back to one sender`);

  // 4. What a stranger typed never travels.
  const carrying = sink.messages.filter((m) => PHISHING_MARKS.test(`${m.subject}\n${m.text}`)).length;
  console.log(`phishing text in every name (and in the mails' names and bodies): found in ${carrying} of ${sink.messages.length} mails the SMTP sink received`);
  if (carrying > 0) failures.push(`${carrying} mails carried the phishing text`);

  for (const failure of failures) console.log(`FAILED: ${failure}`);
  if (failures.length) process.exitCode = 1;
} finally {
  await system.stop();
  await sink.stop();
}
