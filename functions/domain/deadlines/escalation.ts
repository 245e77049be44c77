import * as z from '../schema.ts';
import { ValidationError, toFieldProblems } from '../errors.ts';
import { onFirstUse } from '../on-first-use.ts';
import { formatInstant, parseInstant, startOfLocalDay } from './local-time.ts';
import type { Deadline, DeadlineEngine } from './types.ts';

/** Built on first use (see onFirstUse). */
export const escalationPolicySchema = onFirstUse(() =>
  z.strictObject({
    /** Operator reminders when this share of the time from receipt to dueAt has gone, e.g. [0.5]. */
    reminderFractions: z.array(z.number().check(z.gt(0), z.lt(1))),
    /** A reminder at the start of the last working day on or before the due date. */
    lastDayReminder: z.boolean(),
    /** The person gets a reasoned or interim answer this long before dueAt at the latest; never zero, so never at dueAt. */
    safetyMarginHours: z.number().check(z.positive()),
  }),
);
export type EscalationPolicy = z.infer<ReturnType<typeof escalationPolicySchema>>;

export type EscalationKind = 'operator_reminder' | 'operator_last_day' | 'interim_answer' | 'overdue';
export interface EscalationStep {
  at: string;
  kind: EscalationKind;
}

const MS_PER_HOUR = 3_600_000;
/** A due date ends at 23:59:59, so it is overdue from the next second. */
const OVERDUE_AFTER_MS = 1_000;

function parsePolicy(policy: EscalationPolicy): EscalationPolicy {
  const parsed = escalationPolicySchema().safeParse(policy);
  if (!parsed.success) throw new ValidationError(toFieldProblems(parsed.error.issues), 'escalation policy');
  return parsed.data;
}

/**
 * When a still-open request gets its reasoned or interim answer: the safety margin before dueAt, or
 * at once where the term is shorter than the margin. Always before dueAt, since dueAt is after receipt.
 */
function interimAnswerAt(deadline: Pick<Deadline, 'dueAt'>, receivedAt: Date, policy: EscalationPolicy): number {
  return Math.max(parseInstant(deadline.dueAt).getTime() - policy.safetyMarginHours * MS_PER_HOUR, receivedAt.getTime());
}

/** The latest instant a still-open request's person must have heard from us (the workflow's waits end here). */
export function answerBy(deadline: Pick<Deadline, 'dueAt' | 'receivedAt'>, policy: EscalationPolicy): Date {
  return new Date(interimAnswerAt(deadline, parseInstant(deadline.receivedAt), parsePolicy(policy)));
}

/** The steps a scheduler takes for a request nobody acts on, in time order, all in the deadline's zone. */
export function escalationSchedule(
  deadline: Deadline,
  receivedAt: Date,
  policy: EscalationPolicy,
  engine: DeadlineEngine,
): EscalationStep[] {
  const { reminderFractions, lastDayReminder } = parsePolicy(policy);
  const received = receivedAt.getTime();
  const due = parseInstant(deadline.dueAt).getTime();
  const interim = interimAnswerAt(deadline, receivedAt, policy);
  const steps: Array<{ at: number; kind: EscalationKind }> = reminderFractions.map((fraction) => ({
    at: received + fraction * (due - received),
    kind: 'operator_reminder',
  }));
  if (lastDayReminder) {
    const { jurisdiction } = deadline.rule;
    const lastWorkingDay = engine.isWorkingDay(jurisdiction, deadline.dueLocalDate)
      ? deadline.dueLocalDate
      : engine.addWorkingDays(jurisdiction, deadline.dueLocalDate, -1);
    const at = startOfLocalDay(lastWorkingDay, deadline.timeZone).getTime();
    if (at > received && at < interim) steps.push({ at, kind: 'operator_last_day' });
  }
  steps.push({ at: interim, kind: 'interim_answer' }, { at: due + OVERDUE_AFTER_MS, kind: 'overdue' });
  return steps
    .sort((a, b) => a.at - b.at)
    .map(({ at, kind }) => ({ at: formatInstant(new Date(at), deadline.timeZone), kind }));
}

/** atRisk from the moment the interim answer is due (and while overdue); overdue once dueAt has passed. */
export function riskFlags(deadline: Pick<Deadline, 'dueAt' | 'receivedAt'>, now: Date, policy: EscalationPolicy): { atRisk: boolean; overdue: boolean } {
  const parsedPolicy = parsePolicy(policy);
  const overdue = now.getTime() > parseInstant(deadline.dueAt).getTime();
  const atRisk = now.getTime() >= interimAnswerAt(deadline, parseInstant(deadline.receivedAt), parsedPolicy);
  return { atRisk, overdue };
}
