/**
 * Bench: 1,000 requests of mixed types and jurisdictions, received at seeded random instants over
 * 2025, handled by operators who never act. A simulated clock walks every escalation step in time
 * order (no real waiting); a request counts as answered when its interim answer fires before dueAt.
 * Run: tsx bench/deadlines.ts — exits 1 if any request is not answered before its due date.
 */
import { performance } from 'node:perf_hooks';
import { dateHolidays } from '../functions/adapters/holidays/date-holidays.ts';
import {
  createDeadlineEngine,
  escalationSchedule,
  riskFlags,
  type Deadline,
  type EscalationPolicy,
} from '../functions/domain/deadlines/index.ts';
import { REQUEST_TYPES } from '../functions/domain/request-types.ts';

const REQUESTS = 1_000;
const SEED = 94;
const YEAR_START = Date.parse('2025-01-01T00:00:00Z');
const YEAR_END = Date.parse('2026-01-01T00:00:00Z');
const MS_PER_HOUR = 3_600_000;
const POLICY: EscalationPolicy = { reminderFractions: [0.5, 0.8], lastDayReminder: true, safetyMarginHours: 4 };

/** mulberry32: small, seeded and deterministic, so every run sees the same requests. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

interface Request {
  id: number;
  receivedAt: Date;
  deadline: Deadline;
  answeredAt?: number;
  overdue: boolean;
}

const started = performance.now();
const engine = createDeadlineEngine({ baseHolidays: dateHolidays() });
const random = seededRandom(SEED);
const jurisdictions = engine.jurisdictions();

const requests: Request[] = Array.from({ length: REQUESTS }, (_, id) => {
  const receivedAt = new Date(YEAR_START + Math.floor(random() * (YEAR_END - YEAR_START)));
  const deadline = engine.compute({ jurisdiction: pick(random, jurisdictions), requestType: pick(random, REQUEST_TYPES), receivedAt });
  return { id, receivedAt, deadline, overdue: false };
});

// The simulated clock: every step of every request, in time order.
const events = requests
  .flatMap((request) =>
    escalationSchedule(request.deadline, request.receivedAt, POLICY, engine).map((step) => ({ request, kind: step.kind, at: Date.parse(step.at) })),
  )
  .sort((a, b) => a.at - b.at);

let reminders = 0;
for (const { request, kind, at } of events) {
  const now = new Date(at);
  if (kind === 'operator_reminder' || kind === 'operator_last_day') reminders += 1;
  if (kind === 'interim_answer' && request.answeredAt === undefined) request.answeredAt = at;
  if (kind === 'overdue' && request.answeredAt === undefined) request.overdue = riskFlags(request.deadline, now, POLICY).overdue;
}

const answeredBeforeDue = requests.filter(
  (request) => request.answeredAt !== undefined && request.answeredAt < Date.parse(request.deadline.dueAt),
);
const leadHours = answeredBeforeDue
  .map((request) => (Date.parse(request.deadline.dueAt) - (request.answeredAt ?? 0)) / MS_PER_HOUR)
  .sort((a, b) => a - b);
const termHours = requests
  .map((request) => (Date.parse(request.deadline.dueAt) - request.receivedAt.getTime()) / MS_PER_HOUR)
  .sort((a, b) => a - b);
const median = (sorted: number[]) => (sorted[Math.floor(sorted.length / 2)] ?? Number.NaN).toFixed(1);

const byJurisdiction = new Map<string, number>();
for (const { deadline } of requests) byJurisdiction.set(deadline.rule.jurisdiction, (byJurisdiction.get(deadline.rule.jurisdiction) ?? 0) + 1);

console.log(`requests: ${REQUESTS} received over 2025 (seed ${SEED}); steps simulated: ${events.length}, operator reminders: ${reminders}`);
console.log(`by jurisdiction: ${[...byJurisdiction].map(([code, count]) => `${code} ${count}`).join(', ')}`);
console.log(`time from receipt to due (hours): min ${termHours[0]?.toFixed(1)}, median ${median(termHours)}, max ${termHours.at(-1)?.toFixed(1)}`);
console.log(`interim answer lead time before due (hours): min ${leadHours[0]?.toFixed(1)}, median ${median(leadHours)}, max ${leadHours.at(-1)?.toFixed(1)}`);
console.log(`overdue without an answer: ${requests.filter((request) => request.overdue).length}; took ${(performance.now() - started).toFixed(0)} ms`);
console.log(`answered before due: ${answeredBeforeDue.length} of ${REQUESTS}`);
process.exitCode = answeredBeforeDue.length === REQUESTS ? 0 : 1;
