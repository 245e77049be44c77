import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../../functions/domain/errors.ts';
import { buildReport, reportCsv, reportFactsOf } from '../../../functions/domain/report.ts';
import { inbox } from '../../../functions/use-cases/inbox.ts';
import { applyDecision, closeAsNotARequest, decide, requestDetail } from '../../../functions/use-cases/operator.ts';
import { receiveEmail } from '../../../functions/use-cases/receive-email.ts';
import { planFulfilment, requestDecision } from '../../../functions/use-cases/workflow-steps.ts';
import { requestItem } from '../../../functions/adapters/dynamodb/request-store.ts';
import { NOW, OPERATOR, auditTypes, mailsTo, placeRequest, systemFor } from '../../support/flow.ts';
import type { MemorySystem } from '../../support/memory-deps.ts';

const PASS = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' } as const;
const WORDS = 'Спасибо за письмо. С вопросами о доставке заказа обращайтесь, пожалуйста, в службу поддержки через форму на сайте.';

/** Mail nobody could classify — a general question — confirmed by its sender and waiting for an operator to read it. */
async function unclearAwaitingOperator(s: MemorySystem, email = 'dana@mail.example') {
  const raw = new TextEncoder().encode(`From: Дана <${email}>\r\nTo: privacy@derbes.local\r\nSubject: Доставка\r\nMessage-ID: <question-${email.split('@')[0]}@mail.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nКогда привезут мой заказ?\r\n`);
  const { requestId } = await receiveEmail(s.deps, `ses-${email}`, raw, PASS);
  await s.deps.requests.transition(requestId!, 'RECEIVED', 'AWAITING_VERIFICATION');
  await s.deps.requests.transition(requestId!, 'AWAITING_VERIFICATION', 'IN_PROGRESS', { verifiedAt: NOW.toISOString() }, [{ type: 'verification.confirmed', detail: {} }]);
  expect((await planFulfilment(s.deps, requestId!)).needsDecision).toBe(true);
  await requestDecision(s.deps, requestId!, `decision-token-${requestId}`);
  s.mailer.sent.length = 0;
  return requestId!;
}

describe('closing mail that is no request', () => {
  it("releases the workflow's wait, which closes it as not a request and mails the operator's words once, in the person's language, under their mail", async () => {
    const s = systemFor('profiles/demo.json');
    const id = await unclearAwaitingOperator(s);
    expect(await closeAsNotARequest(s.deps, id, { text: `  ${WORDS}  ` }, OPERATOR)).toEqual({ reference: id, notARequest: true });
    // The wait is released as a decision's is; the pending decision is gone.
    expect(s.workflow.completed).toEqual([{ taskToken: `decision-token-${id}`, output: { approved: false, notARequest: true } }]);
    expect(await s.deps.decisions.list()).toEqual([]);
    // The workflow's step closes it; a step run again (a restart) closes nothing twice and mails nothing twice.
    expect(await applyDecision(s.deps, id)).toEqual({ approved: false, notARequest: true });
    expect(await applyDecision(s.deps, id)).toEqual({ approved: false, notARequest: true });
    const closed = await s.deps.requests.get(id);
    expect(closed).toMatchObject({ status: 'NOT_A_REQUEST', closedAt: NOW.toISOString(), notARequest: { by: OPERATOR.email, at: NOW.toISOString(), text: WORDS } });
    expect(closed.decision).toBeUndefined();
    const [mail, ...more] = mailsTo(s, 'dana@mail.example');
    expect(more).toEqual([]);
    expect(mail!.text).toContain(WORDS);
    expect(mail!.text).toContain('это не запрос о ваших персональных данных');
    expect(mail!).toMatchObject({ inReplyTo: '<question-dana@mail.example>', subject: `Re: Доставка [${id}]` });
    // The trail says it, naming the operator; the operator's detail view too.
    const trail = await s.deps.audit.list(id);
    expect(trail.find((e) => e.type === 'request.not_a_request')!.detail).toEqual({ messaged: true, operator: OPERATOR });
    expect(trail.filter((e) => e.type === 'status.changed').at(-1)!.detail).toEqual({ from: 'AWAITING_DECISION', to: 'NOT_A_REQUEST' });
    expect(trail.filter((e) => e.type === 'mail.sent').map((e) => e.detail.template)).toEqual(['notARequest']);
    expect(await requestDetail(s.deps, id)).toMatchObject({ status: 'NOT_A_REQUEST', open: false, notARequest: { text: WORDS } });
    // Closed: off the inbox, and kept for derbes' own term like any closed request.
    expect((await inbox(s.deps, {})).requests.map((r) => r.reference)).not.toContain(id);
    expect(requestItem(closed)).toMatchObject({ closedIndex: 'CLOSED', openDue: undefined });
  });

  it('a step that closed the request but could not mail the words (the relay refused) mails them when it runs again, once', async () => {
    const s = systemFor('profiles/demo.json');
    const id = await unclearAwaitingOperator(s);
    await closeAsNotARequest(s.deps, id, { text: WORDS }, OPERATOR);
    s.mailer.refused.add('dana@mail.example');
    await expect(applyDecision(s.deps, id)).rejects.toThrow(/mail delivery failed/);
    expect((await s.deps.requests.get(id)).status).toBe('NOT_A_REQUEST');
    s.mailer.refused.clear();
    await applyDecision(s.deps, id);
    await applyDecision(s.deps, id);
    expect(mailsTo(s, 'dana@mail.example').filter((m) => m.text.includes(WORDS))).toHaveLength(1);
  });

  it('mails nothing at all when the operator writes nothing (spam)', async () => {
    const s = systemFor('profiles/demo.json');
    const id = await unclearAwaitingOperator(s);
    await closeAsNotARequest(s.deps, id, { text: '   ' }, OPERATOR);
    await applyDecision(s.deps, id);
    expect((await s.deps.requests.get(id)).status).toBe('NOT_A_REQUEST');
    expect(s.mailer.sent).toEqual([]);
    expect((await s.deps.audit.list(id)).find((e) => e.type === 'request.not_a_request')!.detail).toEqual({ messaged: false, operator: OPERATOR });
  });

  it('closes only mail nobody classified that waits for an operator; the rest is said why, and nothing changes', async () => {
    const s = systemFor('profiles/demo.json');
    // A request of a known type is decided: approved, or refused with a basis.
    const claim = await placeRequest(s, ['claim'], { message: 'Прошу объяснить списание.' });
    await planFulfilment(s.deps, claim.id);
    await requestDecision(s.deps, claim.id, 'claim-token');
    await expect(closeAsNotARequest(s.deps, claim.id, {}, OPERATOR)).rejects.toThrow(`${claim.id} is a request of claim: decide it (approve, or refuse with a basis)`);
    // Unclear mail whose address has not confirmed its link waits for the person, not for an operator.
    const unconfirmed = await placeRequest(s, [], { status: 'AWAITING_VERIFICATION' });
    await expect(closeAsNotARequest(s.deps, unconfirmed.id, {}, OPERATOR)).rejects.toThrow(/waits for its address to confirm the link/);
    // Closed once: a second press (another operator, a retry) is a conflict, and nothing more is released or mailed.
    const id = await unclearAwaitingOperator(s);
    await closeAsNotARequest(s.deps, id, { text: WORDS }, OPERATOR);
    await expect(closeAsNotARequest(s.deps, id, { text: WORDS }, OPERATOR)).rejects.toThrow(ConflictError);
    expect(s.workflow.completed).toHaveLength(1);
    // Nor is one decided by another operator first.
    const decided = await unclearAwaitingOperator(s, 'erlan@mail.example');
    await decide(s.deps, decided, { decision: 'approve', types: ['access'] }, OPERATOR);
    await expect(closeAsNotARequest(s.deps, decided, {}, OPERATOR)).rejects.toThrow(ConflictError);
    // Words past the limit are refused as such.
    await expect(closeAsNotARequest(s.deps, await unclearAwaitingOperator(s, 'asel@mail.example'), { text: 'я'.repeat(5001) }, OPERATOR)).rejects.toThrow(ValidationError);
    expect((await s.deps.requests.get(claim.id)).status).toBe('AWAITING_DECISION');
    expect((await s.deps.requests.get(unconfirmed.id)).status).toBe('AWAITING_VERIFICATION');
  });

  it('gives the pending decision back, and says so, when the wait ended meanwhile: closed again later, it closes once', async () => {
    const s = systemFor('profiles/demo.json');
    const id = await unclearAwaitingOperator(s);
    s.workflow.ended.add(`decision-token-${id}`);
    await expect(closeAsNotARequest(s.deps, id, {}, OPERATOR)).rejects.toThrow(/the wait for a decision on .* has just ended/);
    expect((await s.deps.decisions.list()).map((d) => d.requestId)).toEqual([id]);
    // The escalation's next wait: a decision made then is the operator's last act, and the earlier close is gone.
    s.workflow.ended.clear();
    await decide(s.deps, id, { decision: 'approve', types: ['access'] }, OPERATOR);
    expect((await s.deps.requests.get(id)).notARequest).toBeUndefined();
    expect(await applyDecision(s.deps, id)).toEqual({ approved: true });
  });

  it('is counted apart in the report: neither refused nor answered (on time or late), nor in the working days to answer', async () => {
    const s = systemFor('profiles/demo.json');
    const id = await unclearAwaitingOperator(s);
    await closeAsNotARequest(s.deps, id, {}, OPERATOR);
    // Closed long after its due date: still not an answer given late.
    s.setNow(new Date(NOW.getTime() + 60 * 86_400_000));
    await applyDecision(s.deps, id);
    const facts = reportFactsOf(await s.deps.requests.get(id));
    expect(facts).toMatchObject({ status: 'NOT_A_REQUEST' });
    expect(facts).not.toHaveProperty('refusalBasis');
    const report = buildReport({ from: '2026-02-01', to: '2026-02-28' }, [facts], 0, () => true, s.deps.clock.now());
    expect(report).toMatchObject({ requests: 1, notARequest: 1, answered: { onTime: 0, late: 0 }, open: { total: 0 }, refusals: { total: 0 }, verificationAbandoned: 0, workingDaysToAnswer: null });
    expect(reportCsv(report)).toContain('\nclosed,not_a_request,1\n');
    expect(await auditTypes(s, id)).toContain('request.not_a_request');
  });
});
