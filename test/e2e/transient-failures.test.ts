import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { DynamoRequestStore } from '../../functions/adapters/dynamodb/request-store.ts';
import { Settings } from '../../functions/config/settings.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, postJson, startTestSystem } from '../support/local-system.ts';
import { MailSink, verificationLink, type ReceivedMail } from '../support/mail-sink.ts';

const PERSON = 'aigerim@example.kz';
/** A mailbox the relay does not know: it refuses mail to it the way Postfix does, quoting the address. */
const UNKNOWN = 'nobody.here@example.kz';
const OPERATOR = 'dpo@derbes.local';

/** Everything this file's run writes to the console and to stdout/stderr (the functions' logs included). */
const logged: string[] = [];
const restoreLogs: Array<() => void> = [];
function captureLogs(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof stream.write;
    restoreLogs.push(() => (stream.write = write as typeof stream.write));
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      logged.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 8 }))).join(' '));
      original(...args);
    };
    restoreLogs.push(() => (console[method] = original));
  }
}

/** Relay behaviour the tests switch: defer the next message to an address once, refuse an address for good. */
const relay = { deferNextTo: undefined as string | undefined, refuseUnknown: true };
let sink: MailSink;
let system: RunningSystem;
/** The execution records as they stood while a failed request waited for the operator (its failure in the payload). */
const recordsWhileStuck: string[] = [];

const stores = () => ({
  requests: new DynamoRequestStore(documentClient(), process.env[Settings.requestsTable]!, process.env[Settings.auditTable]!),
  audit: new DynamoAuditLog(documentClient(), process.env[Settings.auditTable]!),
});

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`${what}: still ${inspect(value, { depth: 4 })}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The kind of each mail about a request, from our Message-ID `<DRB-….<kind>.<random>@…>`. */
function kindsOf(reference: string, to: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const mail of sink.messages.filter((m: ReceivedMail) => m.to.includes(to) && m.messageId?.startsWith(`<${reference}.`))) {
    const kind = /^<[^.]+\.([A-Za-z]+)/.exec(mail.messageId!)![1]!;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

beforeAll(async () => {
  captureLogs();
  sink = await new MailSink((to) => {
    if (relay.refuseUnknown && to.includes(UNKNOWN)) return { responseCode: 550, message: `5.1.1 <${UNKNOWN}>: Recipient address rejected: User unknown in virtual mailbox table` };
    if (relay.deferNextTo && to.includes(relay.deferNextTo)) {
      relay.deferNextTo = undefined;
      return { responseCode: 451, message: '4.3.0 Temporary local problem, please try again later' };
    }
    return undefined;
  }).start();
  system = await startTestSystem({ mailRelayUrl: sink.url });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
  restoreLogs.forEach((restore) => restore());
});

describe('a relay that fails', () => {
  it('answers 451 to the first attempt: the step is retried, the request completes, and every mail goes out once', async () => {
    relay.deferNextTo = PERSON;
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: PERSON, language: 'en' });
    expect(submitted.status).toBe(202);
    const reference = String(submitted.body.reference);
    const verification = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('/verify?code='), 40_000);
    expect(sink.refused).toContainEqual({ to: [PERSON], responseCode: 451 });

    const confirmed = await postJson(`${system.url}/api/verifications`, { code: verificationLink(verification).searchParams.get('code') });
    expect(confirmed.status).toBe(200);
    const answer = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('crm-1001'), 30_000);
    expect(answer.to).toEqual([PERSON]);
    expect((await eventually(() => stores().requests.get(reference), (r) => r.status === 'COMPLETED', 'status')).status).toBe('COMPLETED');

    const kinds = kindsOf(reference, PERSON);
    expect(kinds.receipt).toBe(1);
    expect(Object.values(kinds).every((count) => count === 1), JSON.stringify(kinds)).toBe(true);
    const trail = await stores().audit.list(reference);
    expect(trail.map((e) => e.type)).not.toContain('workflow.failed');
  }, 90_000);

  it('refuses an address for good: the request needs attention, the operator is told, and resuming runs the step again', async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: UNKNOWN, language: 'en' });
    const reference = String(submitted.body.reference);

    // In the profile's language (the demo's is Russian).
    const alert = await sink.waitFor((m) => m.to.includes(OPERATOR) && m.subject.includes(reference) && m.subject.includes('mail_rejected'), 30_000);
    expect(alert.subject).toBe(`[${reference}] Требуется вмешательство (mail_rejected)`);
    expect(alert.text).toContain('шаг «Подтверждение адреса» (AwaitVerification) не выполнен и после повторных попыток (код ошибки mail_rejected)');
    // The step that failed has its own environment: the link to the request in the console reaches it there too.
    expect(alert.text).toContain(`повторите шаг в консоли: ${system.url}/console/request?ref=${reference}`);
    expect(alert.text).toContain(`npx derbes requests resume ${reference}`);
    expect(alert.text).not.toContain(UNKNOWN);
    // A refusal is permanent: one attempt, no retries.
    expect(sink.refused.filter((r) => r.to.includes(UNKNOWN))).toHaveLength(1);

    const shown = await operatorCall(system, 'GET', `/operator/requests/${reference}`);
    expect(shown.body.attention).toMatchObject({ step: 'AwaitVerification', code: 'mail_rejected' });
    expect(shown.body.status).toBe('AWAITING_VERIFICATION');
    const failed = (shown.body.audit as Array<{ type: string; detail: Record<string, unknown> }>).find((e) => e.type === 'workflow.failed');
    expect(failed?.detail).toEqual({ step: 'AwaitVerification', code: 'mail_rejected' });
    const listed = await operatorCall(system, 'GET', '/operator/requests');
    expect((listed.body.requests as Array<{ reference: string; attention?: unknown }>).find((r) => r.reference === reference)?.attention).toMatchObject({ code: 'mail_rejected' });

    recordsWhileStuck.push(...filesUnder(join(system.dataDir, 'stepfunctions')).map((file) => readFileSync(file, 'utf8')));

    // The operator corrects the relay's configuration and resumes: the receipt with its link goes out.
    relay.refuseUnknown = false;
    const resumed = await operatorCall(system, 'POST', `/operator/requests/${reference}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toEqual({ reference, step: 'AwaitVerification' });
    await sink.waitFor((m) => m.to.includes(UNKNOWN) && m.subject.includes(reference) && m.text.includes('/verify?code='), 30_000);
    const after = await stores().requests.get(reference);
    expect(after.attention).toBeUndefined();
    expect(after.status).toBe('AWAITING_VERIFICATION');
    expect((await stores().audit.list(reference)).map((e) => e.type)).toContain('workflow.resumed');
    expect((await operatorCall(system, 'POST', `/operator/requests/${reference}/resume`)).status).toBe(404);
  }, 90_000);

  it('leaves no address it used in any log line or execution record', async () => {
    const everything = logged.join('\n');
    // The capture works: the failed step was logged, by its code.
    expect(everything).toContain('mail_rejected');
    for (const address of [PERSON, UNKNOWN]) {
      expect(everything.includes(address), `a log line holds ${address}`).toBe(false);
    }
    const history = [...recordsWhileStuck, ...filesUnder(join(system.dataDir, 'stepfunctions')).map((file) => readFileSync(file, 'utf8'))].join('\n');
    // The records are read: they hold the failure as SES names it (the relay's refusal reaches the function as SES'
    // MessageRejected, as in AWS), not the relay's text.
    expect(history).toContain('SES refused the message (MessageRejected)');
    for (const address of [PERSON, UNKNOWN]) {
      expect(history.includes(address), `an execution record holds ${address}`).toBe(false);
    }
  });
});
