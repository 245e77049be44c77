import { parseArgs } from 'node:util';
import { dateHolidays } from '../../../functions/adapters/holidays/date-holidays.ts';
import {
  createDeadlineEngine,
  NoRuleInForceError,
  UnknownJurisdictionError,
  type BreachNoticeDeadline,
  type Deadline,
  type DeadlineEngine,
} from '../../../functions/domain/deadlines/index.ts';
import { inLanguage } from '../../../functions/domain/localized.ts';
import { REQUEST_TYPES, RequestTypeSchema } from '../../../functions/domain/request-types.ts';
import { SHIPPED_RULES } from '../../../functions/domain/deadlines/shipped.ts';
import { formatInZone, formatInstant, instantOf, parseInstant } from '../../../functions/domain/deadlines/local-time.ts';

/** Besides the request types: the operator's own notice to the authority after a personal-data breach. */
const BREACH_NOTICE = 'breach_notice';
const TYPES = [...REQUEST_TYPES, BREACH_NOTICE];

function usage(engine: DeadlineEngine): string {
  return `usage: derbes due --jurisdiction KZ --type access --received 2025-01-02T10:00:00+05:00 [--json]
  --jurisdiction  ${engine.jurisdictions().join(', ')}
  --type          ${TYPES.join(', ')}
  --received      the instant of receipt (for breach_notice: of detection), ISO 8601 with an offset or Z
  --json          print one JSON object instead of text`;
}

const EXIT_OK = 0;
const EXIT_USAGE = 2;

const CONFIDENCE_MEANING = { C: 'confirmed on a public page', S: 'one secondary source', U: 'believed, not confirmed' } as const;
const ORIGIN_MEANING = { statute: 'statute', default: 'default: the law sets no term', operator: "operator's policy" } as const;

/** Instants must carry their offset: a bare local time would be read in whatever zone the machine has. */
const OFFSET_PATTERN = /(Z|[+-]\d{2}:?\d{2})$/i;

class UsageError extends Error {}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `derbes due`: prints when a request is due and which rule set the date. Returns the exit code. */
export async function dueCommand(args: string[], io: Io): Promise<number> {
  const engine = createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES);
  try {
    const { values } = parseArgs({
      args,
      options: {
        jurisdiction: { type: 'string' },
        type: { type: 'string' },
        received: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.out(usage(engine));
      return EXIT_OK;
    }
    const jurisdiction = required(values.jurisdiction, '--jurisdiction');
    const type = required(values.type, '--type');
    const requestType = RequestTypeSchema.safeParse(type);
    if (!requestType.success && type !== BREACH_NOTICE) throw new UsageError(`--type must be one of ${TYPES.join(', ')}`);
    const receivedAt = parseReceived(required(values.received, '--received'));

    const deadline = computeOrExplain(() =>
      requestType.success ? engine.compute({ jurisdiction, requestType: requestType.data, receivedAt }) : engine.breachNotice(jurisdiction, receivedAt),
    );
    if (values.json) io.out(JSON.stringify(deadline));
    else describe(deadline).forEach((line) => io.out(line));
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof UsageError) && !isParseArgsError(error)) throw error;
    io.err(`derbes due: ${error.message}`);
    io.err(usage(engine));
    return EXIT_USAGE;
  }
}

function required(value: string | undefined, option: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${option} is required`);
  return value;
}

function parseReceived(text: string): Date {
  const instant = instantOf(text);
  if (!OFFSET_PATTERN.test(text) || !instant) {
    throw new UsageError(`--received must be an ISO 8601 instant with an offset, e.g. 2025-01-02T10:00:00+05:00 (got '${text}')`);
  }
  return instant;
}

function computeOrExplain(compute: () => Deadline): Deadline {
  try {
    return compute();
  } catch (error) {
    if (error instanceof UnknownJurisdictionError) throw new UsageError(`--jurisdiction: ${error.message}`);
    if (error instanceof NoRuleInForceError) throw new UsageError(`--received: ${error.message}`);
    throw error;
  }
}

function isBreachNotice(deadline: Deadline): deadline is BreachNoticeDeadline {
  return deadline.rule.requestType === BREACH_NOTICE;
}

/** "1 working day", "30 calendar days", "72 hours". */
function term(amount: number, unit: string): string {
  const words = unit.replace('_', ' ');
  return `${amount} ${amount === 1 ? words.replace(/s$/, '') : words}`;
}

function describe(deadline: Deadline): string[] {
  const { rule } = deadline;
  const counted =
    rule.unit === 'hours'
      ? `Detected:   ${formatInstant(parseInstant(deadline.receivedAt), deadline.timeZone)} (hours run from this instant)`
      : isBreachNotice(deadline)
        ? `Detected:   ${deadline.receivedLocalDate} (local date; the day of detection never counts)`
        : `Received:   ${deadline.receivedLocalDate} (local date; the day of receipt never counts)`;
  const lines = [
    `Due:        ${deadline.dueAt} (${deadline.timeZone}) — ${formatInZone(parseInstant(deadline.dueAt), deadline.timeZone, 'cccc d MMMM yyyy, HH:mm:ss', 'en')}`,
    counted,
    `Rule:       ${rule.id} — ${term(rule.amount, rule.unit)} (${ORIGIN_MEANING[rule.origin]}, in force from ${rule.effectiveFrom})`,
    `Citation:   ${inLanguage(rule.citation, 'en')}`,
    `Source:     ${inLanguage(rule.source, 'en')}`,
    `Confidence: ${rule.confidence} (${CONFIDENCE_MEANING[rule.confidence]})`,
  ];
  if (deadline.acknowledgeBy) lines.push(`Acknowledge by: ${deadline.acknowledgeBy}`);
  if (rule.extension) {
    lines.push(`Extension:  +${term(rule.extension.amount, rule.extension.unit)} — ${rule.extension.citation.en}`);
  }
  if (rule.note) lines.push(`Note:       ${inLanguage(rule.note, 'en')}`);
  if (isBreachNotice(deadline)) {
    lines.push(`Notify:     ${deadline.authority.en}`, 'Content:');
    for (const item of deadline.content) lines.push(`  - ${item.field}: ${item.citation} [${item.confidence}] (${item.source})`);
  }
  return lines;
}

function isParseArgsError(error: unknown): error is Error {
  return error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}
