// Every use case run in a module graph that has loaded no texts, rules or grounds yet, as a cold Lambda process does;
// the state it reads was made in another graph (another function's process). The unit files share one process
// (isolate: false) and many load every language and jurisdiction up front, so without vi.resetModules() a use case
// that renders before it loads would still pass here; with it, a missing load throws TextsNotLoadedError or
// RulesNotLoadedError. Adapted from the review of branch `init`.
import { describe, expect, it, vi } from 'vitest';
import { hashSecretCode } from '../../functions/domain/secret-code.ts';
import { recordBreach, addAffectedSubjects } from '../../functions/use-cases/breaches.ts';
import { requestVerification } from '../../functions/use-cases/verification.ts';
import { planFulfilment, requestDecision } from '../../functions/use-cases/workflow-steps.ts';
import { decide } from '../../functions/use-cases/operator.ts';
import { periodReport } from '../../functions/use-cases/report.ts';
import { BREACH_INPUT, NOW, OPERATOR, placeRequest, runToAnswer, systemFor } from '../support/flow.ts';

const HOUR = 3_600_000;
const RETENTION_PROFILE = 'profiles/seeds/vnedrah.json';
async function cold<T>(path: string): Promise<T> {
  vi.resetModules();
  return (await import(path)) as T;
}
const kkDemo = () => systemFor('profiles/demo.json'); // operator ru

describe('a use case in a process that has loaded nothing yet', () => {
  it('evidence pack in en of a kk refused claim', async () => {
    const s = kkDemo();
    const r = await placeRequest(s, ['claim'], { language: 'kk' });
    await runToAnswer(s, r.id, { decision: 'deny', reason: 'x', basis: 'kz-identity-not-confirmed' });
    for (const lang of ['en', 'ru', 'kk'] as const) {
      const { evidencePack } = await cold<typeof import('../../functions/use-cases/evidence.ts')>('../../functions/use-cases/evidence.ts');
      await evidencePack(s.deps, r.id, lang);
    }
  });
  it('authority notice kk/en text', async () => {
    const s = kkDemo();
    const { breach } = await recordBreach(s.deps, BREACH_INPUT);
    for (const lang of ['kk', 'en'] as const) {
      const { authorityNotice } = await cold<typeof import('../../functions/use-cases/breaches.ts')>('../../functions/use-cases/breaches.ts');
      await authorityNotice(s.deps, breach.id, { language: lang, format: 'text' }, async () => Buffer.from(''));
    }
  });
  it('person notices kk preview + send', async () => {
    const s = kkDemo();
    const { breach } = await recordBreach(s.deps, BREACH_INPUT);
    await addAffectedSubjects(s.deps, breach.id, { people: [{ email: 'a@mail.example', language: 'kk' }, { email: 'b@mail.example', language: 'en' }] });
    let m = await cold<typeof import('../../functions/use-cases/breaches.ts')>('../../functions/use-cases/breaches.ts');
    await m.previewPersonNotice(s.deps, breach.id, {});
    m = await cold('../../functions/use-cases/breaches.ts');
    await m.approvePersonNotice(s.deps, breach.id, { texts: { kk: 'Мәтін', en: 'Text' }, dataCategories: { kk: ['аты-жөні'], en: ['full name'] } });
  });
  it('breach watch alert', async () => {
    const s = kkDemo();
    const { breach } = await recordBreach(s.deps, BREACH_INPUT);
    s.setNow(new Date(Date.parse(breach.notices[0]!.deadline.dueAt) + HOUR));
    const { watchBreaches } = await cold<typeof import('../../functions/use-cases/watch-breaches.ts')>('../../functions/use-cases/watch-breaches.ts');
    expect((await watchBreaches(s.deps)).overdue).toBe(1);
  });
  it('report chart kk', async () => {
    const s = kkDemo();
    const r = await placeRequest(s, ['access'], { language: 'kk' });
    await runToAnswer(s, r.id);
    const report = await periodReport(s.deps, { from: '2026-02-01', to: '2026-02-28' });
    const { reportChart } = await cold<typeof import('../../functions/use-cases/report.ts')>('../../functions/use-cases/report.ts');
    await reportChart(report, 'kk');
  });
  it('request detail, decide, apply refusal, escalations', async () => {
    const s = systemFor('profiles/seeds/4sell.json'); // operator en
    const r = await placeRequest(s, ['claim'], { language: 'kk' });
    let plan = await (await cold<typeof import('../../functions/use-cases/workflow-steps.ts')>('../../functions/use-cases/workflow-steps.ts')).planFulfilment(s.deps, r.id);
    await (await cold<typeof import('../../functions/use-cases/workflow-steps.ts')>('../../functions/use-cases/workflow-steps.ts')).requestDecision(s.deps, r.id, 'task');
    await (await cold<typeof import('../../functions/use-cases/operator.ts')>('../../functions/use-cases/operator.ts')).requestDetail(s.deps, r.id);
    plan = await (await cold<typeof import('../../functions/use-cases/workflow-steps.ts')>('../../functions/use-cases/workflow-steps.ts')).escalateDecision(s.deps, plan);
    await (await cold<typeof import('../../functions/use-cases/operator.ts')>('../../functions/use-cases/operator.ts')).decide(s.deps, r.id, { decision: 'deny', reason: 'x', basis: 'kz-identity-not-confirmed' }, OPERATOR);
    await (await cold<typeof import('../../functions/use-cases/operator.ts')>('../../functions/use-cases/operator.ts')).applyDecision(s.deps, r.id);
  });
  it('answer of a kk access request, processors in ru, operator en', async () => {
    const s = systemFor('profiles/seeds/vnedrah.json', { webhook: 'delivered' });
    const r = await placeRequest(s, ['erasure', 'access'], { language: 'kk' });
    const plan = await planFulfilment(s.deps, r.id);
    if (plan.needsDecision) { await requestDecision(s.deps, r.id, 't'); await decide(s.deps, r.id, { decision: 'approve' }, OPERATOR); }
    const { applyToSource } = await cold<typeof import('../../functions/use-cases/fulfilment.ts')>('../../functions/use-cases/fulfilment.ts');
    for (const id of plan.sourceIds ?? []) await applyToSource(s.deps, r.id, id);
    const { notifyAndAnswer } = await cold<typeof import('../../functions/use-cases/answer.ts')>('../../functions/use-cases/answer.ts');
    await notifyAndAnswer(s.deps, r.id, new Date(s.deps.clock.now().getTime() + 60_000));
    expect((await s.deps.requests.get(r.id)).status).toBe('COMPLETED');
  });
  it('close unverified kk', async () => {
    const s = kkDemo();
    const r = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', language: 'kk' });
    const code = 'c'.repeat(43);
    await requestVerification(s.deps, r.id, `token-${r.id}`, new Date(NOW.getTime() + 72 * HOUR), () => ({ code, codeHash: hashSecretCode(code) }));
    const { closeUnverified } = await cold<typeof import('../../functions/use-cases/verification.ts')>('../../functions/use-cases/verification.ts');
    await closeUnverified(s.deps, r.id);
  });
  it('needs attention, delay notice, overdue, stopped', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, defaultLanguage: 'en' }) });
    const r = await placeRequest(s, ['access'], { language: 'kk' });
    const att = await cold<typeof import('../../functions/use-cases/attention.ts')>('../../functions/use-cases/attention.ts');
    await att.recordFailure(s.deps, { requestId: r.id, step: 'ApplyToSource', error: 'States.Timeout', taskToken: 't' });
    s.setNow(new Date(Date.parse(r.deadline.dueAt) - HOUR));
    let w = await cold<typeof import('../../functions/use-cases/watch-deadlines.ts')>('../../functions/use-cases/watch-deadlines.ts');
    expect(await w.watchDeadlines(s.deps)).toMatchObject({ delayNotices: 1 });
    s.setNow(new Date(Date.parse(r.deadline.dueAt) + HOUR));
    w = await cold('../../functions/use-cases/watch-deadlines.ts');
    expect(await w.watchDeadlines(s.deps)).toMatchObject({ overdue: 1 });
  });

  it('mail intake: a kk reply to a confirmed request, operator ru', async () => {
    const s = kkDemo();
    const r = await placeRequest(s, ['rectification'], { language: 'kk', name: 'Айгерим' });
    const head = { From: 'Aigerim <aigerim@example.kz>', To: 'privacy@derbes.local', Date: 'Tue, 10 Feb 2026 10:15:00 +0500', 'MIME-Version': '1.0', Subject: `Re: [${r.id}] Құжаттар`, 'Message-ID': '<reply.1@mail.example.kz>' };
    const raw = new TextEncoder().encode([...Object.entries(head).map(([k, v]) => `${k}: ${v}`), 'Content-Type: text/plain; charset=utf-8', '', 'Куәлік көшірмесін жіберемін.', ''].join('\r\n'));
    const { receiveEmail } = await cold<typeof import('../../functions/use-cases/receive-email.ts')>('../../functions/use-cases/receive-email.ts');
    await receiveEmail(s.deps, 'ses-a', raw, { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' });
    expect(s.mailer.sent.filter((m) => m.to === 'aigerim@example.kz')).toHaveLength(1);
  });
  it('retention purge: rules awaiting approval announced, operator en', async () => {
    const s = systemFor(RETENTION_PROFILE, { adjust: (json) => ({ ...json, defaultLanguage: 'kk' }) });
    const { purgeExpired } = await cold<typeof import('../../functions/use-cases/retention.ts')>('../../functions/use-cases/retention.ts');
    const report = await purgeExpired(s.deps);
    expect(report.awaitingApproval.length).toBeGreaterThan(0);
  });
});
