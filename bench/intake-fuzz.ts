/**
 * Pushes mutated corpus messages through the email-intake Lambda handler, on the local runtime (DynamoDB Local,
 * S3, the workflow), and accounts for every one of them:
 *   npm run bench:intake-fuzz -- [count]     (default 10000)
 * Exits non-zero on any exception, unhandled rejection, or message without a recognised outcome.
 * Message i is mutation seed i of corpus file i mod n (of file i − 1 mod n for a re-delivery, below), so a failure
 * replays exactly.
 *
 * Each message gets a Message-ID of its own (its local part marked with the seed) before it is mutated (the mutations
 * may still reach it): intake rejects a second mail under a Message-ID it has stored as another message
 * (`reject reused_message_id`), so with the corpus's own IDs a fifth of the run stopped there instead of being read.
 * One message in REDELIVERY_EVERY is the message before it again, so that path stays in the run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SesVerdicts, Verdict } from '../functions/domain/email/index.ts';
import type { EmailOutcome } from '../functions/use-cases/receive-email.ts';
import { startLocalSystem } from '../infra/local/runtime.ts';
import { runtimeSettings } from '../infra/local/settings.ts';
import { readCorpus } from '../test/fixtures/mail/corpus.ts';
import { mutateMail, seededRandom } from './lib/mutate-mail.ts';

/** What the fuzzer needs from an intake: the kind of outcome and, for drops and rejects, why. */
type ProcessMessage = (raw: Uint8Array, verdicts: SesVerdicts) => Promise<{ kind: string; reason?: string }>;

const { index, raw } = readCorpus();

// The whole system, on free ports in a scratch folder; its mail goes to the outbox there.
const system = await startLocalSystem(
  // The handlers' per-message log lines would bury the figures.
  runtimeSettings({ DATA_DIR: mkdtempSync(join(tmpdir(), 'derbes-fuzz-')), PORT: '0', SMTP_PORT: '0', DYNAMODB_PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN' }),
  { log: () => {} },
);
// The intake under test: SES's path into the real handler (raw message stored in S3, then the Lambda invoked).
const processMessage: ProcessMessage = async (bytes, verdicts) => {
  const [outcome] = (await system.deliverMail(bytes, verdicts)) as EmailOutcome[];
  return { kind: outcome!.outcome, reason: outcome!.reason };
};

const OUTCOMES = new Set(['request', 'triage', 'reply', 'drop', 'reject']);
const VERDICTS: readonly Verdict[] = ['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED'];
/** A message still undecided after this long counts as unaccounted rather than hanging the run. */
const TIMEOUT_MS = 30_000;
const MAX_REPORTED_FAILURES = 10;
/** One message in this many is the one before it sent again: its file and Message-ID, changed by mutations of its own. */
const REDELIVERY_EVERY = 20;

/**
 * The message with `prefix.` put before the local part of its Message-ID (the domain kept: a message under derbes's
 * own domain must still read as its own), or with `<prefix@derbes.test>` added when it has none.
 */
function withMessageId(raw: Uint8Array, prefix: string): Uint8Array {
  const text = Buffer.from(raw).toString('latin1');
  const headerEnd = text.search(/\r?\n\r?\n/);
  const head = headerEnd === -1 ? text : text.slice(0, headerEnd);
  const header = /^(message-id:[ \t]*<)([^>\r\n]*>)/im;
  const marked = header.test(head) ? head.replace(header, (_, name: string, rest: string) => `${name}${prefix}.${rest}`) : `Message-ID: <${prefix}@derbes.test>\r\n${head}`;
  return new Uint8Array(Buffer.from(marked + text.slice(head.length), 'latin1'));
}

function parseCount(argument: string | undefined): number {
  const count = Number(argument ?? 10_000);
  if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${argument}`);
  return count;
}

/** The corpus entry's verdicts, or (one time in five) random ones, so verdict handling is fuzzed too. */
function verdictsFor(seed: number, recorded: SesVerdicts): SesVerdicts {
  const random = seededRandom(seed ^ 0x5eed);
  if (random.below(5) > 0) return recorded;
  const pick = (): Verdict => random.pick(VERDICTS);
  return { spam: pick(), virus: pick(), spf: pick(), dkim: pick(), dmarc: pick() };
}

function withTimeout<T>(work: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  const count = parseCount(process.argv[2]);
  let unhandledRejections = 0;
  process.on('unhandledRejection', () => {
    unhandledRejections++;
  });

  const tally = new Map<string, number>();
  const failures: string[] = [];
  let accounted = 0;
  let crashes = 0;
  const started = performance.now();

  for (let seed = 0; seed < count; seed++) {
    // A re-delivery is the message before it again (its file and Message-ID), under mutations of its own seed.
    const base = seed > 0 && seed % REDELIVERY_EVERY === 0 ? seed - 1 : seed;
    const entry = index.messages[base % index.messages.length];
    if (!entry) throw new Error('the corpus is empty');
    const { bytes, mutations } = mutateMail(withMessageId(raw(entry.file), `fuzz-${base}`), seed);
    const origin = `seed ${seed}, ${entry.file}, ${mutations.join('+')}`;
    try {
      const outcome = await withTimeout(processMessage(bytes, verdictsFor(seed, entry.verdicts)));
      if (outcome !== 'timeout' && OUTCOMES.has(outcome.kind)) {
        accounted++;
        const label = outcome.reason ? `${outcome.kind} ${outcome.reason}` : outcome.kind;
        tally.set(label, (tally.get(label) ?? 0) + 1);
      } else if (failures.length < MAX_REPORTED_FAILURES) {
        failures.push(`unaccounted (${outcome === 'timeout' ? 'timeout' : `kind ${String(outcome.kind)}`}): ${origin}`);
      }
    } catch (error) {
      crashes++;
      if (failures.length < MAX_REPORTED_FAILURES) {
        failures.push(`crash (${error instanceof Error ? error.name : typeof error}): ${origin}`);
      }
    }
  }
  // Let rejections nobody awaited surface before counting them.
  await new Promise((resolve) => setImmediate(resolve));

  const seconds = (performance.now() - started) / 1000;
  const isAccepted = (label: string) => /^(request|triage|reply)\b/.test(label);
  const accepted = [...tally].filter(([label]) => isAccepted(label)).sort(([a], [b]) => a.localeCompare(b));
  const refused = [...tally].filter(([label]) => !isAccepted(label)).sort(([a], [b]) => a.localeCompare(b));
  console.log(`${count} mutated messages from ${index.messages.length} corpus files in ${seconds.toFixed(1)} s`);
  console.log('accepted:');
  for (const [label, n] of accepted) console.log(`  ${label.padEnd(24)} ${n}`);
  console.log('dropped / rejected:');
  for (const [label, n] of refused) console.log(`  ${label.padEnd(24)} ${n}`);
  for (const failure of failures) console.log(failure);
  console.log(`accounted ${accounted} of ${count}, crashes ${crashes}, unhandled rejections ${unhandledRejections}`);
  if (crashes > 0 || unhandledRejections > 0 || accounted !== count) process.exitCode = 1;
}

try {
  await main();
} finally {
  await system.stop();
}
