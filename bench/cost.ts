/**
 * What a request would cost in AWS, from counted work:
 *   npm run bench:cost -- [--memory 512]
 *
 * Starts the local runtime (its meter on, its mail to a real SMTP sink) and carries one request of each type from the
 * web form's API to its answer, one at a time, after a first access request that meets every function cold (shown
 * apart): the person confirms by the link in the receipt, and where the request waits for a decision the operator
 * approves it through the operator API. Between requests it reads the meter: state transitions, invocations with
 * their durations at the template's memory, DynamoDB request units (the capacity DynamoDB Local reports for each
 * call; a transaction's items sized as AWS bills them, see infra/local/meter.ts), S3 requests, SES messages, Secrets Manager calls, and the HTTP requests the
 * person and the operator made. It prices them with rules/aws/prices.json and prints $ per 1,000 requests of each
 * type and what dominates, then the stack's idle cost a month: its keys, secrets and alarms, and its scheduled
 * functions at their template rates (each run measured while no request was open).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDecisionStore } from '../functions/adapters/dynamodb/decision-store.ts';
import { DynamoRequestStore } from '../functions/adapters/dynamodb/request-store.ts';
import { documentClient } from '../functions/adapters/dynamodb/client.ts';
import type { RequestType } from '../functions/domain/request-types.ts';
import { usedBetween, type Usage } from '../infra/local/meter.ts';
import { LocalTemplate, type CfnTemplate } from '../infra/local/template.ts';
import { verificationLink, type ReceivedMail } from '../test/support/mail-sink.ts';
import { meteredRuntime } from './lib/metered-runtime.ts';
import { prices } from './lib/prices.ts';

const PERSON = 'aigerim@example.kz';
/** What the person sends for each type, in the order they run: erasure last, as it leaves nothing for the others. */
const BODIES: Record<RequestType, Record<string, unknown>> = {
  access: { type: 'access' },
  rectification: { type: 'rectification', changes: { phone: '+7 700 000 00 09' } },
  blocking: { type: 'blocking' },
  unblocking: { type: 'unblocking' },
  consent_withdrawal: { type: 'consent_withdrawal' },
  marketing_opt_out: { type: 'marketing_opt_out' },
  claim: { type: 'claim', message: 'Прошу разобраться: мне звонят с рекламой, хотя я отказалась.' },
  erasure: { type: 'erasure' },
};
const ANSWER_WAIT_MS = 120_000;
const IDLE_RUNS_MS = 12_000;
const price = prices();
const p = price.perUse;

// The scheduled functions run every few seconds here, so that one run of each is measured while idle.
const { dataDir, runtime, sink, dynamoDbPort, readMeter, settledMeter } = await meteredRuntime('cost', { WATCH_INTERVAL_SECONDS: '3' });

/** S3 bills PUT, COPY, POST and LIST at the write rate, DELETE not at all, everything else at the read rate. */
const S3_WRITE_CLASS = /^s3:(Put|Copy|List|Post|CreateMultipart|UploadPart|CompleteMultipart)/;
const S3_FREE = /^s3:Delete/;

type Cost = Record<string, number>;
function costOf(used: Usage & { stateTransitions: number }, httpRequests: number): Cost {
  const calls = (match: (call: string) => boolean) => Object.entries(used.calls).reduce((sum, [call, n]) => sum + (match(call) ? n : 0), 0);
  const s3Writes = calls((c) => S3_WRITE_CLASS.test(c));
  const s3Reads = calls((c) => c.startsWith('s3:') && !S3_WRITE_CLASS.test(c) && !S3_FREE.test(c));
  return {
    'state transitions': used.stateTransitions * p.stateTransition.usd,
    'Lambda invocations': used.invocations * p.lambdaRequest.usd,
    'Lambda duration': used.gbSeconds * p.lambdaGbSecondArm.usd,
    'DynamoDB writes': used.writeUnits * p.dynamoDbWriteUnit.usd,
    'DynamoDB reads': used.readUnits * p.dynamoDbReadUnit.usd,
    'S3 requests': s3Writes * p.s3WriteRequest.usd + s3Reads * p.s3ReadRequest.usd,
    'SES mails': calls((c) => c === 'ses:SendRawEmail' || c === 'ses:SendEmail') * p.sesMessage.usd,
    'Secrets Manager': calls((c) => c.startsWith('secretsmanager:')) * p.secretsManagerCall.usd,
    'HTTP API': httpRequests * p.httpApiRequest.usd,
  };
}
const total = (cost: Cost) => Object.values(cost).reduce((a, b) => a + b, 0);
// Three places from ten cents up: the goals ($0.40 per 1,000, $2 a month) are met or not in the third.
const dollars = (usd: number) => `$${usd.toFixed(usd < 0.1 ? 4 : 3)}`;

let httpRequests = 0;
async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  httpRequests++;
  const response = await fetch(`${runtime.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}
async function mailOf(reference: string, kind: string): Promise<ReceivedMail> {
  // <reference.kind.random@domain>, or a thread's receipt <reference.receipt@domain> (a reference is letters, digits, '-').
  const ours = new RegExp(`^<?${reference}\\.${kind}[.@]`);
  return sink.waitFor((m) => ours.test(m.messageId ?? ''), ANSWER_WAIT_MS);
}

console.log(`cost: one request of each type through the local runtime, priced at ${price.region} list prices checked ${price.checked} (rules/aws/prices.json); data in ${dataDir}`);
try {
  await runtime.start();
  const operatorKey = /operator API key\s+(\S+)/.exec(runtime.log())?.[1];
  if (!operatorKey) throw new Error(`the runtime printed no operator key; see ${runtime.logFile}`);
  const synthesized = JSON.parse(readFileSync(join(dataDir, 'cdk.out', 'Derbes.template.json'), 'utf8')) as CfnTemplate;
  const template = new LocalTemplate(synthesized, runtime.url);
  const schedules = template.schedules();
  const scheduled = new Set(schedules.map((s) => s.functionLogicalId));
  const requestDriven = (caller: string) => !scheduled.has(caller) && caller !== 'operator';
  Object.assign(process.env, { AWS_REGION: 'local', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamoDbPort}` });
  const tableOf = (prefix: string) => template.tables().find((t) => t.name.startsWith(prefix))!.name;
  const requests = new DynamoRequestStore(documentClient(), tableOf('StorageRequests'), tableOf('StorageAudit'));
  // Listing pending decisions needs no key (the sealed task tokens are left out).
  const decisions = new DynamoDecisionStore(documentClient(), tableOf('StorageRequests'), () => Promise.reject(new Error('the bench never takes a decision itself')));

  // Idle: the scheduled functions' runs while nothing is open.
  await new Promise((r) => setTimeout(r, IDLE_RUNS_MS));
  const idle = readMeter();

  /** Carries one request of `type` to its answer and reads what it used. */
  async function carry(type: RequestType, idempotencyKey: string): Promise<{ type: RequestType; cost: Cost; used: Usage & { stateTransitions: number }; byFunction: Record<string, Usage> }> {
    const before = await settledMeter(requestDriven);
    const httpBefore = httpRequests;
    const { reference } = (await post('/api/requests', { email: PERSON, name: 'Aigerim', language: 'ru', ...BODIES[type] }, { 'idempotency-key': idempotencyKey })) as { reference: string };
    const receipt = await mailOf(reference, 'receipt');
    await post('/api/verifications', { code: verificationLink(receipt).searchParams.get('code') });
    // Waits for the answer; a request that waits for a decision is approved as an operator would: once it is listed
    // as pending (its status changes a step before the wait is registered).
    const answered = mailOf(reference, 'answer');
    let decided = false;
    for (let settled = false; !settled; ) {
      const status = (await requests.get(reference)).status;
      if (status === 'AWAITING_DECISION' && !decided && (await decisions.list()).some((pending) => pending.requestId === reference)) {
        await post(`/operator/decisions/${reference}`, { decision: 'approve', ...(type === 'claim' ? { answer: 'Мы проверили вашу жалобу и исправили порядок обработки.' } : {}) }, { authorization: `Bearer ${operatorKey}` });
        decided = true;
      }
      settled = await Promise.race([answered.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 500))]);
    }
    const after = await settledMeter(requestDriven);
    const used = usedBetween(before, after, requestDriven);
    const byFunction = Object.fromEntries(Object.keys(after.usage).filter(requestDriven).map((caller) => [caller, usedBetween(before, after, (c) => c === caller)]));
    return { type, cost: costOf(used, httpRequests - httpBefore), used, byFunction };
  }
  // The first request meets every function cold (here a module load in a worker, slower than Lambda's init); the
  // figures per type are of warm functions, as most of a thousand requests find them. The cold one is shown apart.
  const cold = await carry('access', 'cost-cold');
  const rows: Array<Awaited<ReturnType<typeof carry>>> = [];
  for (const type of Object.keys(BODIES) as RequestType[]) rows.push(await carry(type, `cost-${type}`));

  console.log(`  type                  $/1,000  transitions  invocations  GB-s    WRU    RRU  S3  mails  dominated by`);
  for (const { type, cost, used } of rows) {
    const [top, second] = Object.entries(cost).sort(([, a], [, b]) => b - a);
    const s3 = Object.entries(used.calls).reduce((sum, [c, n]) => sum + (c.startsWith('s3:') ? n : 0), 0);
    const mails = used.calls['ses:SendRawEmail'] ?? 0;
    console.log(
      `  ${type.padEnd(20)} ${dollars(total(cost) * 1000).padStart(8)}  ${String(used.stateTransitions).padStart(11)}  ${String(used.invocations).padStart(11)}  ${used.gbSeconds.toFixed(2).padStart(5)}  ${used.writeUnits.toFixed(0).padStart(5)}  ${used.readUnits.toFixed(1).padStart(5)}  ${String(s3).padStart(2)}  ${String(mails).padStart(5)}  ${top![0]} ${dollars(top![1] * 1000)}, ${second![0]} ${dollars(second![1] * 1000)}`,
    );
  }

  // Where an access request's write units go: each function's, with the writes it made (a transaction counts once).
  const { byFunction } = rows.find((r) => r.type === 'access')!;
  const writers = Object.entries(byFunction)
    .filter(([, u]) => u.writeUnits > 0)
    .sort(([, a], [, b]) => b.writeUnits - a.writeUnits)
    .map(([caller, u]) => {
      const writes = Object.entries(u.calls).filter(([call]) => /^dynamodb:(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem)$/.test(call));
      return `${caller} ${u.writeUnits.toFixed(1)} (${writes.map(([call, n]) => `${n} ${call.replace('dynamodb:', '')}`).join(', ')})`;
    });
  console.log(`  access write units by function: ${writers.join('; ')}`);

  // Idle a month: what the stack keeps, and each scheduled function's measured run at its template rate.
  const resources = (type: string) => Object.values(synthesized.Resources).filter((r) => r.Type === type).length;
  const fixed = { kmsKey: resources('AWS::KMS::Key'), secret: resources('AWS::SecretsManager::Secret'), alarm: resources('AWS::CloudWatch::Alarm') };
  const fixedUsd = fixed.kmsKey * price.monthly.kmsKey.usd + fixed.secret * price.monthly.secret.usd + fixed.alarm * price.monthly.alarm.usd;
  const monthMs = 30 * 86_400_000;
  let scheduledUsd = 0;
  const scheduledParts: string[] = [];
  for (const schedule of schedules) {
    const runs = idle.usage[schedule.functionLogicalId];
    if (!runs?.invocations) throw new Error(`${schedule.functionLogicalId} did not run while idle; see ${runtime.logFile}`);
    const perRun = total(costOf(usedBetween({ usage: {}, stateTransitions: 0 }, { usage: { [schedule.functionLogicalId]: runs }, stateTransitions: 0 }), 0)) / runs.invocations;
    const monthly = perRun * (monthMs / schedule.everyMs);
    scheduledUsd += monthly;
    scheduledParts.push(`${schedule.functionLogicalId} every ${schedule.everyMs / 60_000} min ${dollars(monthly)}`);
  }
  console.log(`  idle: ${fixed.kmsKey} KMS keys, ${fixed.secret} secrets, ${fixed.alarm} alarms ${dollars(fixedUsd)}; ${scheduledParts.join('; ')}`);
  console.log(`  not counted: log ingestion and storage, data transfer, the SES inbound path (a request by mail adds SES receiving and an S3 put), free tiers`);
  console.log(`  the first access request, every function cold: ${dollars(total(cold.cost) * 1000)} per 1,000 (${cold.used.gbSeconds.toFixed(2)} GB-s), not counted above`);
  const access = rows.find((r) => r.type === 'access')!;
  console.log(`access ${dollars(total(access.cost) * 1000)} per 1,000 requests; idle ${dollars(fixedUsd + scheduledUsd)} a month`);
} finally {
  await runtime.interrupt().catch(() => undefined);
  await sink.stop();
}
