/**
 * Bench: the report per period over the deadlines bench's simulated year (bench/lib/simulated-year.ts). Every
 * simulated request is stored in DynamoDB Local as derbes stores it (answered when the simulated clock answered it),
 * then the report counts them from the received-date index, as `derbes report` does through the operator API.
 * Run: tsx bench/report.ts — exits 1 if the report's on-time count differs from the bench's own.
 */
import { performance } from 'node:perf_hooks';
import { DynamoAuditLog } from '../functions/adapters/dynamodb/audit-log.ts';
import { DynamoRequestStore } from '../functions/adapters/dynamodb/request-store.ts';
import { loadProfileFile } from '../functions/config/load-profile.ts';
import { periodReport } from '../functions/use-cases/report.ts';
import { reportLines } from '../infra/cli/commands/report.ts';
import { startTestDynamoDb } from '../test/support/dynamodb.ts';
import { answeredBeforeDue, simulateYear, storedRequests } from './lib/simulated-year.ts';

const year = simulateYear();
const ddb = await startTestDynamoDb();
try {
  const requests = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
  const audit = new DynamoAuditLog(ddb.db, ddb.tables.audit);
  let started = performance.now();
  const stored = storedRequests(year);
  for (let i = 0; i < stored.length; i += 20) {
    await Promise.all(stored.slice(i, i + 20).map((request) => requests.create(request, { type: 'request.received', detail: { channel: request.channel, types: request.types, dueAt: request.deadline.dueAt, ruleId: request.deadline.rule.id } })));
  }
  console.log(`stored ${stored.length} simulated requests in ${(performance.now() - started).toFixed(0)} ms`);
  started = performance.now();
  // 2025 in UTC, as the simulation receives them, lies within these two days of Astana.
  const report = await periodReport({ requests, audit, profile: loadProfileFile('profiles/demo.json'), deadlines: year.engine, clock: { now: () => new Date('2026-02-01T00:00:00Z') } }, { from: '2025-01-01', to: '2026-01-01' });
  console.log(`report counted in ${(performance.now() - started).toFixed(0)} ms:`);
  reportLines(report).forEach((line) => console.log(line));
  const bench = answeredBeforeDue(year).length;
  console.log(`on time: report ${report.answered.onTime}, deadlines bench ${bench}`);
  process.exitCode = report.answered.onTime === bench && report.requests === stored.length ? 0 : 1;
} finally {
  await ddb.stop();
}
