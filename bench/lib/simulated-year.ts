import { dateHolidays } from '../../functions/adapters/holidays/date-holidays.ts';
import { createDeadlineEngine, escalationSchedule, riskFlags, type Deadline, type DeadlineEngine, type EscalationPolicy } from '../../functions/domain/deadlines/index.ts';
import type { DataSubjectRequest } from '../../functions/domain/request.ts';
import { REQUEST_TYPES, type RequestType } from '../../functions/domain/request-types.ts';
import { SHIPPED_RULES } from '../../functions/domain/deadlines/shipped.ts';

/**
 * The deadlines bench's simulated year: requests of mixed types and jurisdictions received at seeded random instants
 * over 2025, handled by operators who never act. A simulated clock walks every escalation step in time order (no
 * real waiting); a request is answered when its interim answer fires. bench/deadlines.ts and bench/report.ts (and
 * the report's test) read the same year.
 */
export const SIMULATED_REQUESTS = 1_000;
const SEED = 94;
const YEAR_START = Date.parse('2025-01-01T00:00:00Z');
const YEAR_END = Date.parse('2026-01-01T00:00:00Z');
export const POLICY: EscalationPolicy = { reminderFractions: [0.5, 0.8], lastDayReminder: true, safetyMarginHours: 4 };

export interface SimulatedRequest {
  id: number;
  type: RequestType;
  receivedAt: Date;
  deadline: Deadline;
  answeredAt?: number;
  overdue: boolean;
}

export interface SimulatedYear {
  engine: DeadlineEngine;
  requests: SimulatedRequest[];
  steps: number;
  reminders: number;
}

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

export function simulateYear(): SimulatedYear {
  const engine = createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES);
  const random = seededRandom(SEED);
  const jurisdictions = engine.jurisdictions();
  const requests: SimulatedRequest[] = Array.from({ length: SIMULATED_REQUESTS }, (_, id) => {
    const receivedAt = new Date(YEAR_START + Math.floor(random() * (YEAR_END - YEAR_START)));
    const jurisdiction = pick(random, jurisdictions);
    const type = pick(random, REQUEST_TYPES);
    return { id, type, receivedAt, deadline: engine.compute({ jurisdiction, requestType: type, receivedAt }), overdue: false };
  });

  // The simulated clock: every step of every request, in time order.
  const events = requests
    .flatMap((request) =>
      escalationSchedule(request.deadline, request.receivedAt, POLICY, engine).map((step) => ({ request, kind: step.kind, at: Date.parse(step.at) })),
    )
    .sort((a, b) => a.at - b.at);
  let reminders = 0;
  for (const { request, kind, at } of events) {
    if (kind === 'operator_reminder' || kind === 'operator_last_day') reminders += 1;
    if (kind === 'interim_answer' && request.answeredAt === undefined) request.answeredAt = at;
    if (kind === 'overdue' && request.answeredAt === undefined) request.overdue = riskFlags(request.deadline, new Date(at), POLICY).overdue;
  }
  return { engine, requests, steps: events.length, reminders };
}

/** The bench's own count: requests whose answer went before their due date. */
export function answeredBeforeDue(year: SimulatedYear): SimulatedRequest[] {
  return year.requests.filter((request) => request.answeredAt !== undefined && request.answeredAt < Date.parse(request.deadline.dueAt));
}

/**
 * The simulated year as derbes stores it: each request answered (COMPLETED, closed when its answer went) or, if the
 * clock never answered it, still in progress. References are made from the bench's numbers, so runs compare.
 */
export function storedRequests(year: SimulatedYear): DataSubjectRequest[] {
  return year.requests.map((request) => ({
    id: `DRB-SIM00-${String(request.id).padStart(5, '0')}`,
    types: [request.type],
    status: request.answeredAt === undefined ? 'IN_PROGRESS' : 'COMPLETED',
    channel: request.id % 3 === 0 ? 'email' : 'web',
    email: `person-${request.id}@simulated.example`,
    language: 'ru',
    receivedAt: request.receivedAt.toISOString(),
    deadline: request.deadline,
    verifiedAt: request.receivedAt.toISOString(),
    ...(request.answeredAt !== undefined && { closedAt: new Date(request.answeredAt).toISOString() }),
  }));
}
