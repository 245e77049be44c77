import { describe, expect, it } from 'vitest';
import { answerBy } from '../../../functions/domain/deadlines/index.ts';
import type { DataSubjectRequest } from '../../../functions/domain/request.ts';
import { submitRequest } from '../../../functions/use-cases/submit-request.ts';
import { watchDeadlines } from '../../../functions/use-cases/watch-deadlines.ts';
import { NOW, placeRequest, systemFor } from '../../support/flow.ts';
import type { MemorySystem } from '../../support/memory-deps.ts';

const HOUR = 3_600_000;
const demo = () => systemFor('profiles/demo.json');

async function submitted(s: MemorySystem, types: DataSubjectRequest['types']) {
  return (await submitRequest(s.deps, { types, email: 'aigerim@example.kz', language: 'en' }, 'web')).request;
}

const answerDeadline = (s: MemorySystem, request: DataSubjectRequest) => answerBy(request.deadline, s.deps.profile.escalation);

/** The executions start at the wait for verification, with its timeout and the link's expiry in their input. */
describe('the start of a request\'s execution', () => {
  it('waits no later than the person must hear from us when that comes before the link would expire', async () => {
    const s = demo();
    const request = await submitted(s, ['access', 'erasure']);
    expect(s.workflow.starts).toEqual([
      { requestId: request.id, verificationExpiresAt: '2026-02-11T14:59:59.000Z', verificationTimeoutSeconds: (Date.parse('2026-02-11T14:59:59.000Z') - NOW.getTime()) / 1000, sourceIds: ['customers'], recordsConsent: false },
    ]);
    expect(answerDeadline(s, request).toISOString()).toBe('2026-02-11T14:59:59.000Z');
  });

  it('waits as long as the link lives where the due date is further off', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, verification: { codeTtlHours: 2 } }) });
    const request = await submitted(s, ['access']);
    expect(s.workflow.starts).toEqual([{ requestId: request.id, verificationExpiresAt: new Date(NOW.getTime() + 2 * HOUR).toISOString(), verificationTimeoutSeconds: 7200, sourceIds: ['customers'], recordsConsent: false }]);
  });

  it('counts the wait of a request the deadline watch starts hours later from then, still ending by the answer deadline', async () => {
    const s = demo();
    const request = await placeRequest(s, ['access', 'erasure'], { status: 'RECEIVED' });
    s.workflow.stop(request.id, 'MISSING');
    const watchAt = new Date(NOW.getTime() + 6 * HOUR);
    s.setNow(watchAt);
    expect(await watchDeadlines(s.deps)).toMatchObject({ started: 1 });
    const deadline = answerDeadline(s, request);
    expect(s.workflow.starts).toEqual([{ requestId: request.id, verificationExpiresAt: deadline.toISOString(), verificationTimeoutSeconds: (deadline.getTime() - watchAt.getTime()) / 1000, sourceIds: ['customers'], recordsConsent: false }]);
  });

  it('gives a request started past its margin a wait of one second, which closes it unverified at once', async () => {
    const s = demo();
    const request = await placeRequest(s, ['access'], { status: 'RECEIVED' });
    s.workflow.stop(request.id, 'MISSING');
    const deadline = answerDeadline(s, request);
    s.setNow(new Date(deadline.getTime() + HOUR));
    await watchDeadlines(s.deps);
    expect(s.workflow.starts).toEqual([{ requestId: request.id, verificationExpiresAt: deadline.toISOString(), verificationTimeoutSeconds: 1, sourceIds: ['customers'], recordsConsent: false }]);
  });

  it('starts with what a request that begins as it is confirmed needs: its sources, and whether it has consent to record first', async () => {
    const s = systemFor('profiles/demo.json', {
      adjust: (json) => ({ ...json, sources: [...(json.sources as object[]), { ...(json.sources as Array<Record<string, unknown>>)[0], id: 'newsletter', marketingList: true }] }),
    });
    const started = async (types: DataSubjectRequest['types'], gpc?: object) => {
      const request = await submitted(s, types);
      if (gpc) {
        s.workflow.stop(request.id, 'MISSING');
        await s.deps.requests.amend(request.id, request.status, { gpc }, []);
        s.setNow(new Date(s.deps.clock.now().getTime() + HOUR));
        await watchDeadlines(s.deps);
      }
      const { sourceIds, recordsConsent } = s.workflow.starts.at(-1)!;
      return { sourceIds, recordsConsent };
    };
    expect(await started(['access'])).toEqual({ sourceIds: ['customers', 'newsletter'], recordsConsent: false });
    // An opt-out: the ledger first, then the customer base (its consent flag) and the mailing list.
    expect(await started(['marketing_opt_out'])).toEqual({ sourceIds: ['customers', 'newsletter'], recordsConsent: true });
    expect(await started(['consent_withdrawal'])).toMatchObject({ recordsConsent: true });
    // A privacy signal sent with the form is recorded too.
    expect(await started(['rectification'], {})).toMatchObject({ recordsConsent: true });
  });

  it('is the same start when a submission is replayed: the input is computed again, the execution named after the request', async () => {
    const s = demo();
    const key = { key: 'k1', field: 'Idempotency-Key' };
    const first = await submitRequest(s.deps, { types: ['access'], email: 'aigerim@example.kz', language: 'en' }, 'web', key);
    s.setNow(new Date(NOW.getTime() + HOUR));
    const again = await submitRequest(s.deps, { types: ['access'], email: 'aigerim@example.kz', language: 'en' }, 'web', key);
    expect(again.request.id).toBe(first.request.id);
    // Step Functions (and the local runtime) keep the execution already running; a second one is never made.
    expect(s.workflow.starts.map((start) => start.requestId)).toEqual([first.request.id, first.request.id]);
    // Computed at each start: the link's life counts from when the execution really starts.
    expect(Date.parse(s.workflow.starts[1]!.verificationExpiresAt) - Date.parse(s.workflow.starts[0]!.verificationExpiresAt)).toBe(HOUR);
  });
});
