import { parseArgs } from 'node:util';
import { call, downloadTo, orNone, report } from './operator.ts';

type Io = { out: (line: string) => void; err: (line: string) => void };

/** One message of the failed-invocations queue, as SQS delivers it. */
export interface QueuedFailure {
  id: string;
  receipt: string;
  body: string;
  /** SQS message attributes: EventBridge names the rule and the target it could not invoke (RULE_ARN, TARGET_ARN). */
  attributes: Record<string, string>;
}

export interface FailureQueue {
  /** Up to ten waiting messages, hidden from other readers for a while; none when the queue is empty. */
  receive(): Promise<QueuedFailure[]>;
  remove(receipt: string): Promise<void>;
}

/**
 * What a message of the queue is. Three writers share it:
 * - Lambda's on-failure destination, after an asynchronous invocation's retries: a record naming the function
 *   (`requestContext.functionArn`) around the event it was invoked with (`requestPayload`) — SES's for mail intake
 *   (metadata and verdicts; the raw mail stays in the bucket), the schedule's for the deadline watch and the purge;
 * - EventBridge, when it could not invoke a scheduled job at all: the schedule's event itself, the target in the
 *   message's attributes.
 */
export type Failure = { kind: 'intake'; event: unknown } | { kind: 'scheduled'; job: string } | { kind: 'unrecognised' };

/** A function's name from its name or ARN (`arn:…:function:name[:qualifier]`), as Lambda accepts either. */
function functionName(nameOrArn: string): string {
  const parts = nameOrArn.split(':');
  return nameOrArn.startsWith('arn:') ? (parts[6] ?? '') : parts[0]!;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isSesEvent = (event: unknown): boolean =>
  isObject(event) && Array.isArray(event.Records) && event.Records.length > 0 && event.Records.every((record) => isObject(record) && record.eventSource === 'aws:ses' && isObject(record.ses));

const isScheduledEvent = (event: unknown): event is { resources?: unknown } => isObject(event) && event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event';

export function classifyFailure(message: QueuedFailure, intakeFunction: string): Failure {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    return { kind: 'unrecognised' };
  }
  if (isObject(body) && isObject(body.requestContext) && typeof body.requestContext.functionArn === 'string' && 'requestPayload' in body) {
    const failed = functionName(body.requestContext.functionArn);
    if (isSesEvent(body.requestPayload) && failed === functionName(intakeFunction)) return { kind: 'intake', event: body.requestPayload };
    if (isScheduledEvent(body.requestPayload)) return { kind: 'scheduled', job: failed };
    return { kind: 'unrecognised' };
  }
  if (isScheduledEvent(body)) {
    const target = message.attributes.TARGET_ARN;
    const rule = Array.isArray(body.resources) && typeof body.resources[0] === 'string' ? body.resources[0].split('/').pop()! : 'an unnamed rule';
    return { kind: 'scheduled', job: target ? functionName(target) : rule };
  }
  return { kind: 'unrecognised' };
}

export interface RedriveReport {
  /** Intake events intake took this time, removed from the queue. */
  redriven: number;
  /** Message ids of intake events that failed again: left in the queue. */
  failedAgain: string[];
  /** Failed scheduled runs removed (their next run repeats them), by job. */
  scheduled: Record<string, number>;
  /** Message ids of what is none of the above: left in the queue, for a human to read. */
  unrecognised: string[];
  /**
   * Message ids this run had met already and received again (a run longer than the queue's visibility timeout):
   * not handled twice. A receive that brings only these ends the run; what may wait behind them is the next run's.
   */
  cameBack: string[];
}

/**
 * Reads the whole failed-invocations queue once. A failed SES → intake invocation is handed to intake again,
 * synchronously, and removed once intake took it; one that fails again stays (and reappears after its visibility
 * timeout, for the next run). Intake is idempotent per message, so a mail that had half gone through makes one
 * request. A failed scheduled run is removed and counted: its next run repeats it. Anything else is left where it
 * is and named by its message id: nothing is dropped that nobody recognised. A message left in the queue reappears
 * once its visibility timeout runs out; should the run last that long, the run ends when a receive brings only
 * messages it met already, so it neither hands intake the same mail again nor goes round for ever.
 */
export async function redriveFailures(queue: FailureQueue, intakeFunction: string, invokeIntake: (event: unknown) => Promise<void>): Promise<RedriveReport> {
  const report: RedriveReport = { redriven: 0, failedAgain: [], scheduled: {}, unrecognised: [], cameBack: [] };
  const met = new Set<string>();
  for (;;) {
    const batch = await queue.receive();
    const fresh = batch.filter((message) => !met.has(message.id));
    report.cameBack.push(...batch.filter((message) => met.has(message.id) && !report.cameBack.includes(message.id)).map((message) => message.id));
    if (!fresh.length) break;
    for (const message of fresh) {
      met.add(message.id);
      const failure = classifyFailure(message, intakeFunction);
      switch (failure.kind) {
        case 'intake':
          try {
            await invokeIntake(failure.event);
          } catch {
            report.failedAgain.push(message.id);
            continue;
          }
          await queue.remove(message.receipt);
          report.redriven++;
          break;
        case 'scheduled':
          await queue.remove(message.receipt);
          report.scheduled[failure.job] = (report.scheduled[failure.job] ?? 0) + 1;
          break;
        case 'unrecognised':
          report.unrecognised.push(message.id);
          break;
      }
    }
  }
  return report;
}

/** How long a received message stays hidden from the next receive: longer than one intake invocation takes. */
const VISIBILITY_TIMEOUT_SECONDS = 300;

async function awsClients(queueUrl: string, functionName: string) {
  const { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } = await import('@aws-sdk/client-sqs');
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const sqs = new SQSClient({});
  const lambda = new LambdaClient({});
  const queue: FailureQueue = {
    async receive() {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS, MessageAttributeNames: ['All'] }),
      );
      return Messages.map((m) => ({
        id: m.MessageId!,
        receipt: m.ReceiptHandle!,
        body: m.Body ?? '',
        attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue ?? ''])),
      }));
    },
    async remove(receipt) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt }));
    },
  };
  const invoke = async (event: unknown) => {
    const result = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }));
    if (result.FunctionError) throw new Error(`intake failed again (${result.FunctionError})`);
  };
  return { queue, invoke };
}

const MAIL_USAGE = [
  'usage: derbes mail redrive --queue <FailedInvocationsQueueUrl> --function <IntakeFunctionName>   (stack outputs; AWS credentials as for cdk)',
  '       derbes mail held [list] [--json] | download <id> --out <file> | admit <id> | dismiss <id>   (mail intake held: read it whole, make it a request or join a held reply to its request, or dismiss it)',
].join('\n');

interface HeldMailRow {
  sesMessageId: string;
  arrivedAt: string;
  reason: string;
  sender: string;
  senderName?: string;
  subject: string;
  verdicts: Record<string, string>;
  passedFor?: { spf: string[]; dkim: string[] };
  size: number;
  admitting?: { by: string; at: string };
  reply?: { reference: string; fromThePerson: boolean };
}

/** A held reply: the request it names, and what it joins as. */
const replyPart = (reply: HeldMailRow['reply']) => (reply ? `  reply to ${reply.reference} (${reply.fromThePerson ? "the person's" : "another sender's, kept apart"})` : '');

/**
 * A check's verdict, with the domain SPF passed for; mail held because no check vouched for its sender (DMARC not
 * disowning it) had SPF pass only for another domain than the sender's, and says so. A DKIM pass names no domain: the
 * receipt never says whose signature passed.
 */
function checkLine(m: HeldMailRow, check: 'spf' | 'dkim' | 'dmarc'): string {
  const verdict = `${check.toUpperCase()} ${m.verdicts[check]}`;
  if (check !== 'spf' || m.verdicts.spf !== 'PASS') return verdict;
  const domains = m.passedFor?.spf.join(', ');
  const notTheSenders = m.reason === 'unauthenticated' && m.verdicts.dmarc !== 'FAIL';
  const senderDomain = m.sender.slice(m.sender.lastIndexOf('@') + 1);
  return `${verdict}${domains ? ` for ${domains}` : ''}${notTheSenders ? ` (not the sender's domain ${senderDomain})` : ''}`;
}

/** One held mail on one line: when, why, from whom, about what, the checks, its size, the request a reply names — and the id to act on it by. */
const heldLine = (m: HeldMailRow) =>
  `${m.sesMessageId}  ${m.arrivedAt}  ${m.reason.padEnd(15)}${replyPart(m.reply)} ${m.senderName ? `${m.senderName} <${m.sender}>` : m.sender}  «${m.subject}»  ${checkLine(m, 'spf')} ${checkLine(m, 'dkim')} ${checkLine(m, 'dmarc')}  ${m.size} bytes${m.admitting ? `  (being admitted by ${m.admitting.by} since ${m.admitting.at})` : ''}`;

/** Every held mail (the API gives them 100 a page, the latest first). */
async function allHeldMail(): Promise<{ status: number; json: Record<string, unknown> }> {
  const mails: HeldMailRow[] = [];
  let cursor: string | undefined;
  let first: Record<string, unknown> | undefined;
  do {
    const page = await call('GET', `/operator/held-mail${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (page.status >= 400) return page;
    first ??= page.json;
    mails.push(...(page.json.mails as HeldMailRow[]));
    cursor = page.json.nextCursor as string | undefined;
  } while (cursor);
  return { status: 200, json: { total: first!.total, keepDays: first!.keepDays, mails } };
}

/** What an admission did: the request made, or the request a held reply joined and as what. */
function admittedLine(id: string, done: Record<string, unknown>): string {
  const reference = String(done.reference);
  if (done.joinedAs === 'reply') return `${id}: joined request ${reference} as the person's reply`;
  if (done.joinedAs === 'third_party') return `${id}: joined request ${reference} as another sender's mail, kept apart`;
  return `${id}: made request ${reference}; its workflow mails the receipt`;
}

/** `derbes mail held [list] [--json] | admit <id> | dismiss <id>`: mail intake held, through the operator API. */
async function heldMailCommand(action: string, id: string | undefined, json: boolean, out: string | undefined, io: Io): Promise<number> {
  if (action === 'list') {
    return report(io, await allHeldMail(), (list) =>
      json
        ? [JSON.stringify(list, null, 2)]
        : [
            ...orNone((list.mails as HeldMailRow[]).map(heldLine), 'No mail is held.'),
            ...((list.mails as HeldMailRow[]).length ? ['', `Make one a request (its deadline counts from when it arrived), or join a held reply to its request: derbes mail held admit <id>; or dismiss it: derbes mail held dismiss <id>. Each stays listed ${String(list.keepDays)} days.`] : []),
          ],
    );
  }
  if (action === 'download' && id) return downloadTo(io, `/operator/held-mail/${encodeURIComponent(id)}/raw-mail`, out, MAIL_USAGE);
  if (action === 'admit' && id) {
    return report(io, await call('POST', `/operator/held-mail/${encodeURIComponent(id)}/admission`), (done) => [admittedLine(id, done)]);
  }
  if (action === 'dismiss' && id) {
    return report(io, await call('POST', `/operator/held-mail/${encodeURIComponent(id)}/dismissal`), () => [`${id}: dismissed (recorded on its trail; the raw mail stays in the mail bucket)`]);
  }
  io.err(MAIL_USAGE);
  return 2;
}

/** What a run did, one line per kind of message met; every message left in the queue is named. */
export function describeRedrive(report: RedriveReport): string[] {
  const lines = [`re-driven to intake ${report.redriven}, failed again ${report.failedAgain.length}${report.failedAgain.length ? ` (they stay in the queue; see the intake function's log by error code): ${report.failedAgain.join(' ')}` : ''}`];
  const scheduled = Object.entries(report.scheduled);
  if (scheduled.length) {
    lines.push(`deleted ${scheduled.reduce((sum, [, n]) => sum + n, 0)} failed scheduled runs, each repeated by its next run (${scheduled.map(([job, n]) => `${job} ${n}`).join(', ')}); if they keep coming, read that function's log`);
  }
  if (report.unrecognised.length) {
    lines.push(`left in the queue, not recognised (read them in the SQS console): ${report.unrecognised.join(' ')}`);
  }
  if (report.cameBack.length) {
    lines.push(`received again, not handled twice (the run outlasted the queue's ${VISIBILITY_TIMEOUT_SECONDS} s visibility timeout; it ends when a receive brings nothing new): ${report.cameBack.join(' ')}; run it again for what may be left`);
  }
  return lines;
}

/**
 * `derbes mail redrive --queue <FailedInvocationsQueueUrl> --function <IntakeFunctionName>` (both are stack outputs), or
 * `derbes mail held …`.
 */
export async function mailCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { queue: { type: 'string' }, function: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' } } });
  if (positionals[0] === 'held') return heldMailCommand(positionals[1] ?? 'list', positionals[2], values.json ?? false, values.out, io);
  const queueUrl = values.queue ?? process.env.DERBES_FAILED_INVOCATIONS_QUEUE_URL;
  const functionName = values.function ?? process.env.DERBES_INTAKE_FUNCTION;
  if (positionals[0] !== 'redrive' || positionals.length > 1 || !queueUrl || !functionName) {
    io.err(MAIL_USAGE);
    return 2;
  }
  const { queue, invoke } = await awsClients(queueUrl, functionName);
  const report = await redriveFailures(queue, functionName, invoke);
  for (const line of describeRedrive(report)) io.out(line);
  return report.failedAgain.length || report.unrecognised.length ? 1 : 0;
}
