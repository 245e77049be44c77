/**
 * Bench: 1,000 requests of mixed types and jurisdictions, received at seeded random instants over
 * 2025, handled by operators who never act. A simulated clock walks every escalation step in time
 * order (no real waiting); a request counts as answered when its interim answer fires before dueAt.
 * Run: tsx bench/deadlines.ts — exits 1 if any request is not answered before its due date.
 */
import { performance } from 'node:perf_hooks';
import { answeredBeforeDue, SIMULATED_REQUESTS, simulateYear } from './lib/simulated-year.ts';

const MS_PER_HOUR = 3_600_000;

const started = performance.now();
const year = simulateYear();
const { requests } = year;
const answered = answeredBeforeDue(year);
const leadHours = answered
  .map((request) => (Date.parse(request.deadline.dueAt) - (request.answeredAt ?? 0)) / MS_PER_HOUR)
  .sort((a, b) => a - b);
const termHours = requests
  .map((request) => (Date.parse(request.deadline.dueAt) - request.receivedAt.getTime()) / MS_PER_HOUR)
  .sort((a, b) => a - b);
const median = (sorted: number[]) => (sorted[Math.floor(sorted.length / 2)] ?? Number.NaN).toFixed(1);

const byJurisdiction = new Map<string, number>();
for (const { deadline } of requests) byJurisdiction.set(deadline.rule.jurisdiction, (byJurisdiction.get(deadline.rule.jurisdiction) ?? 0) + 1);

console.log(`requests: ${SIMULATED_REQUESTS} received over 2025 (seed 94); steps simulated: ${year.steps}, operator reminders: ${year.reminders}`);
console.log(`by jurisdiction: ${[...byJurisdiction].map(([code, count]) => `${code} ${count}`).join(', ')}`);
console.log(`time from receipt to due (hours): min ${termHours[0]?.toFixed(1)}, median ${median(termHours)}, max ${termHours.at(-1)?.toFixed(1)}`);
console.log(`interim answer lead time before due (hours): min ${leadHours[0]?.toFixed(1)}, median ${median(leadHours)}, max ${leadHours.at(-1)?.toFixed(1)}`);
console.log(`overdue without an answer: ${requests.filter((request) => request.overdue).length}; took ${(performance.now() - started).toFixed(0)} ms`);
console.log(`answered before due: ${answered.length} of ${SIMULATED_REQUESTS}`);
process.exitCode = answered.length === SIMULATED_REQUESTS ? 0 : 1;
