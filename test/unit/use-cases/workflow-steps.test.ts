import { describe, expect, it } from 'vitest';
import { NotPermittedError } from '../../../functions/domain/errors.ts';
import { escalateDecision, planFulfilment, requestDecision } from '../../../functions/use-cases/workflow-steps.ts';
import { auditTypes as auditTypesOf, mailsTo, NOW, operatorMails, placeRequest, systemFor } from '../../support/flow.ts';
import { recordConsentOnBeginning } from '../../../functions/use-cases/consent.ts';

const demo = () => systemFor('profiles/demo.json');

/** A request sent with a Global Privacy Control signal that began as the person confirmed it. */
async function begunWithSignal(s: ReturnType<typeof demo>, types: Parameters<typeof placeRequest>[1]) {
  const placed = await placeRequest(s, types, { status: 'AWAITING_VERIFICATION' });
  await s.deps.requests.amend(placed.id, 'AWAITING_VERIFICATION', { gpc: {} }, []);
  await s.deps.requests.markVerified(placed.id, NOW.toISOString(), () => true);
  return placed;
}
const HOUR = 3_600_000;

describe('planFulfilment', () => {
  it('refuses a request whose wait was released without a confirmation: a leaked task token does not skip verification', async () => {
    const s = demo();
    // Released before its step moved it, too: planned, it would go round the sources and back for ever.
    for (const status of ['AWAITING_VERIFICATION', 'RECEIVED'] as const) {
      const request = await placeRequest(s, ['access'], { status });
      await expect(planFulfilment(s.deps, request.id)).rejects.toBeInstanceOf(NotPermittedError);
      expect((await s.deps.requests.get(request.id)).status).toBe(status);
    }
  });

  it('moves a confirmed request on and applies the Global Privacy Control signal sent with it only now', async () => {
    const s = demo();
    const placed = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION' });
    await s.deps.requests.amend(placed.id, 'AWAITING_VERIFICATION', { verifiedAt: NOW.toISOString(), gpc: {} }, []);
    await planFulfilment(s.deps, placed.id);
    expect((await s.deps.requests.get(placed.id)).status).toBe('IN_PROGRESS');
    const history = await s.deps.consent.history(await s.deps.personKey(placed.email));
    expect(history.map((e) => [e.type, e.purposeId, (e.evidence as { gpc?: boolean }).gpc])).toEqual([['withdrawn', 'marketing', true]]);
  });

  it('applies the signal to a request that began as it was confirmed, whose confirmation stopped short of it, once', async () => {
    const s = demo();
    const placed = await begunWithSignal(s, ['access']);
    // Its release was lost; the wait timed out and CloseUnverified found it confirmed: the plan comes after all.
    await planFulfilment(s.deps, placed.id);
    await planFulfilment(s.deps, placed.id);
    const history = await s.deps.consent.history(await s.deps.personKey(placed.email));
    expect(history.map((e) => [e.type, e.purposeId])).toEqual([['withdrawn', 'marketing']]);
    expect((await s.deps.requests.get(placed.id)).status).toBe('IN_PROGRESS');
  });

  it('runs a request the profile automates without a decision, on the sources that have a step to take', async () => {
    const s = systemFor('profiles/seeds/4sell.json');
    const request = await placeRequest(s, ['marketing_opt_out']);
    const plan = await planFulfilment(s.deps, request.id);
    expect(plan).toMatchObject({ needsDecision: false, escalations: 0, sourceIds: ['mailing'] });
    expect((await s.deps.requests.get(request.id)).status).toBe('IN_PROGRESS');
  });

  it.each([
    ['a claim', ['claim'], {}, ['a claim is always decided by the responsible person'], [{ kind: 'claim' }]],
    ['a type the profile has reviewed', ['erasure'], {}, ['the operator profile has the responsible person decide on "erasure"'], [{ kind: 'profile', type: 'erasure' }]],
    [
      'a correction with nothing to correct',
      ['rectification'],
      {},
      ['the operator profile has the responsible person decide on "correction"', 'the changes are not stated field by field: read what the person wrote and state them when you approve'],
      [{ kind: 'profile', type: 'rectification' }, { kind: 'rectificationWithoutChanges' }],
    ],
    ['a mail nobody could classify', [], {}, ['the message could not be classified automatically: say what is asked for'], [{ kind: 'unclear' }]],
  ] as const)('waits for a decision on %s, with the reasons in the audit trail, and keeps every source ready', async (_, types, changes, reasons, kinds) => {
    const s = systemFor('profiles/seeds/4sell-cashier.json');
    const request = await placeRequest(s, [...types], { changes });
    const plan = await planFulfilment(s.deps, request.id);
    expect(plan.needsDecision).toBe(true);
    expect(plan.sourceIds).toEqual(s.deps.profile.sources.map((source) => source.id));
    expect((await s.deps.requests.get(request.id)).status).toBe('AWAITING_DECISION');
    const requested = (await s.deps.audit.list(request.id)).find((e) => e.type === 'decision.requested');
    // In English as the trail keeps text, and by kind for whoever reads it in another language.
    expect(requested!.detail).toEqual({ reasons, kinds });
    // The wait ends when the person must hear from us.
    expect(plan.decisionTimeoutSeconds).toBe(Math.floor((Date.parse(request.deadline.dueAt) - 4 * HOUR - NOW.getTime()) / 1000));
  });
});

describe('recordConsentOnBeginning (the RecordConsent step)', () => {
  it('records the withdrawals and the signal of a request that began as it was confirmed, once however often it runs', async () => {
    const s = demo();
    const placed = await begunWithSignal(s, ['consent_withdrawal']);
    await recordConsentOnBeginning(s.deps, placed.id);
    await recordConsentOnBeginning(s.deps, placed.id);
    const history = await s.deps.consent.history(await s.deps.personKey(placed.email));
    // The signal first (marketing, with its evidence), then the withdrawal of what was left.
    expect(history.map((e) => [e.type, e.purposeId, Boolean((e.evidence as { gpc?: boolean }).gpc)])).toEqual([
      ['withdrawn', 'marketing', true],
      ['withdrawn', 'service', false],
    ]);
    expect(await auditTypesOf(s, placed.id)).toContain('consent.withdrawn');
  });

  it('changes nothing for a request that did not begin: a release forged with a leaked token reaches the operator instead', async () => {
    const s = demo();
    const placed = await placeRequest(s, ['consent_withdrawal'], { status: 'AWAITING_VERIFICATION' });
    await s.deps.requests.amend(placed.id, 'AWAITING_VERIFICATION', { gpc: {} }, []);
    await expect(recordConsentOnBeginning(s.deps, placed.id)).rejects.toBeInstanceOf(NotPermittedError);
    expect(await s.deps.consent.history(await s.deps.personKey(placed.email))).toEqual([]);
  });
});

describe('requestDecision', () => {
  it('keeps the task token for the operator and alerts them with the reasons and the refusal grounds that fit', async () => {
    const s = systemFor('profiles/seeds/4sell-cashier.json', { adjust: (json) => ({ ...json, defaultLanguage: 'en' }) });
    const request = await placeRequest(s, ['erasure']);
    await planFulfilment(s.deps, request.id);
    await requestDecision(s.deps, request.id, 'task-7');
    expect(await s.decisions.list()).toEqual([{ requestId: request.id, taskToken: 'task-7', reasons: ['the operator profile has the responsible person decide on "erasure"'], requestedAt: NOW.toISOString() }]);
    const [alert] = operatorMails(s);
    expect(alert!.subject).toBe(`[${request.id}] Your decision is needed`);
    expect(alert!.text).toContain('Why: the operator profile has the responsible person decide on "erasure".');
    expect(alert!.text).toMatch(/ {4}kz-[a-z-]+ — /);
    expect(alert!.text).toContain(`npx derbes decisions approve ${request.id}`);
  });

  it('points the operator at the person\'s words first, and asks a correction without stated changes to name them', async () => {
    const s = systemFor('profiles/seeds/4sell-cashier.json', { adjust: (json) => ({ ...json, defaultLanguage: 'en' }) });
    const request = await placeRequest(s, ['rectification'], { changes: {} });
    await planFulfilment(s.deps, request.id);
    await requestDecision(s.deps, request.id, 'task-8');
    const lines = operatorMails(s)[0]!.text.split('\n');
    const commands = lines.slice(lines.findIndex((line) => line.startsWith('The request, the person')));
    expect(commands.slice(0, 3)).toEqual([
      `The request, the person's words and its history: npx derbes requests show ${request.id}`,
      'Waiting for a decision: npx derbes decisions list',
      `Approve: npx derbes decisions approve ${request.id} --change …=… --answer "…"`,
    ]);
  });

  it('offers the command that classifies mail nobody could classify, with the types to choose from, instead of the bare approval', async () => {
    const s = systemFor('profiles/seeds/4sell.json', { adjust: (json) => ({ ...json, defaultLanguage: 'ru' }) });
    const request = await placeRequest(s, [], { language: 'ru' });
    await planFulfilment(s.deps, request.id);
    await requestDecision(s.deps, request.id, 'task-9');
    const { text } = operatorMails(s)[0]!;
    expect(text).toContain('Почему: письмо не удалось разобрать автоматически: определите, о чём просят.');
    const lines = text.split('\n');
    const classify = lines.findIndex((line) => line.startsWith('Определить, о чём просят, и принять'));
    expect(lines[classify]).toMatch(new RegExp(`: npx derbes decisions approve ${request.id} --type … --answer "…"$`));
    expect(lines.slice(classify + 1, classify + 9)).toEqual([
      '    access — доступ к сведениям',
      '    rectification — изменение данных',
      '    blocking — блокирование',
      '    unblocking — разблокирование',
      '    erasure — уничтожение',
      '    consent_withdrawal — отзыв согласия',
      '    marketing_opt_out — отказ от рекламных рассылок',
      '    claim — претензия',
    ]);
    expect(lines.filter((line) => line.startsWith('Принять:'))).toEqual([]);
    expect(lines.findIndex((line) => line.startsWith('Отказать'))).toBeGreaterThan(classify);
  });
});

describe('escalateDecision', () => {
  async function waiting() {
    const s = systemFor('profiles/seeds/4sell.json');
    const request = await placeRequest(s, ['claim']);
    const plan = await planFulfilment(s.deps, request.id);
    await requestDecision(s.deps, request.id, 'task');
    s.mailer.sent.length = 0;
    return { s, request, plan };
  }

  it('gives the person one reasoned interim answer, escalates to the operator each round, and gives up after the third', async () => {
    const { s, request, plan } = await waiting();
    const first = await escalateDecision(s.deps, plan);
    expect(first).toMatchObject({ escalations: 1, giveUp: false, decisionTimeoutSeconds: 3 * 24 * 3600 });
    expect(mailsTo(s, request.email).map((m) => m.subject)).toEqual([`[${request.id}] Your request needs more time`]);
    const second = await escalateDecision(s.deps, first);
    const third = await escalateDecision(s.deps, second);
    expect([second.giveUp, third.giveUp, third.escalations]).toEqual([false, true, 3]);
    expect(mailsTo(s, request.email)).toHaveLength(1);
    expect(operatorMails(s).map((m) => m.text.match(/Reminder \d of \d/)?.[0])).toEqual(['Reminder 1 of 3', 'Reminder 2 of 3', 'Reminder 3 of 3']);
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'decision.escalated').map((e) => e.detail)).toEqual([{ round: 1 }, { round: 2 }, { round: 3 }]);
  });

  it('stops at once, telling nobody, when the decision came meanwhile', async () => {
    const { s, request, plan } = await waiting();
    await s.deps.requests.transition(request.id, 'AWAITING_DECISION', 'IN_PROGRESS');
    expect(await escalateDecision(s.deps, plan)).toMatchObject({ escalations: 1, giveUp: true });
    expect(s.mailer.sent).toEqual([]);
  });
});
