import { describe, expect, it } from 'vitest';
import { buildReport, nearestRank, reportCsv, reportFactsOf, workingDaysUntil } from '../../functions/domain/report.ts';
import { createDeadlineEngine } from '../../functions/domain/deadlines/index.ts';
import { extendDeadline } from '../../functions/use-cases/operator.ts';
import { periodReport, reportChart } from '../../functions/use-cases/report.ts';
import { NOW, OPERATOR, placeRequest, runToAnswer, systemFor } from '../support/flow.ts';
import { SHIPPED_RULES } from '../../functions/domain/deadlines/shipped.ts';

const VNEDRAH = 'profiles/seeds/vnedrah.json';
const I_LICENSE = 'profiles/seeds/i-license.json';

describe('the report per period', () => {
  it('counts by type and channel, on time and late, open, refusals by basis, abandoned verification, processors told', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const onTime = await placeRequest(s, ['access'], { language: 'ru' });
    await runToAnswer(s, onTime.id);
    const unblock = await placeRequest(s, ['unblocking'], { channel: 'email' });
    await runToAnswer(s, unblock.id);
    const open = await placeRequest(s, ['erasure']);
    const abandoned = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION' });
    await s.deps.requests.transition(abandoned.id, 'AWAITING_VERIFICATION', 'CLOSED_UNVERIFIED', { closedAt: NOW.toISOString() });
    const late = await placeRequest(s, ['access']);
    // Access is due in 3 working days (13 Feb); answered on 19 Feb.
    s.setNow(new Date('2026-02-19T06:00:00Z'));
    await runToAnswer(s, late.id);
    const report = await periodReport(s.deps, { from: '2026-02-10', to: '2026-02-10' });
    expect(report).toMatchObject({
      requests: 5,
      byType: { access: 3, unblocking: 1, erasure: 1, claim: 0 },
      byChannel: { web: 4, email: 1 },
      answered: { onTime: 2, late: 1 },
      open: { total: 1, overdue: 1 },
      verificationAbandoned: 1,
      extensions: 0,
      refusals: { total: 0, byBasis: {} },
    });
    // The unblocking told its processors; each delivered notice counts.
    const told = (await s.deps.audit.list(unblock.id)).filter((e) => e.type === 'processor.notified').length;
    expect(told).toBeGreaterThan(0);
    expect(report.processorsTold).toBe(told);
    // Answered on the day of receipt (0 working days), the same day (0), and on 19 Feb (7 working days after 10 Feb).
    expect(report.workingDaysToAnswer).toEqual({ median: 0, p95: 7 });
    expect(open.id).toBeDefined();
    expect(await periodReport(s.deps, { from: '2026-02-11', to: '2026-03-01' })).toMatchObject({ requests: 0, workingDaysToAnswer: null });
  });

  it('refusals by their ground; extensions', async () => {
    const s = systemFor(I_LICENSE);
    const refused = await placeRequest(s, ['claim'], { language: 'ru' });
    await runToAnswer(s, refused.id, { decision: 'deny', reason: 'Не подтверждено.', basis: 'kz-identity-not-confirmed' });
    const written = await placeRequest(s, ['claim'], { language: 'ru' });
    await runToAnswer(s, written.id, { decision: 'deny', reason: 'Нет.', basis: 'Своё основание' });
    const report = await periodReport(s.deps, { from: '2026-02-10', to: '2026-02-10' });
    expect(report.refusals).toEqual({ total: 2, byBasis: { 'kz-identity-not-confirmed': 1, written: 1 } });

    const eu = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, jurisdiction: 'EU' }) });
    const extended = await placeRequest(eu, ['access']);
    await extendDeadline(eu.deps, extended.id, 'Three archives.', OPERATOR);
    expect((await periodReport(eu.deps, { from: '2026-02-10', to: '2026-02-10' })).extensions).toBe(1);
  });

  it('refuses a period that is not two days in order, naming the field', async () => {
    const s = systemFor(I_LICENSE);
    await expect(periodReport(s.deps, { from: '2026-13-01', to: '2026-12-31' })).rejects.toMatchObject({ problems: [{ field: 'from', message: 'must be a day written YYYY-MM-DD' }] });
    await expect(periodReport(s.deps, { to: '2026-12-31' })).rejects.toMatchObject({ problems: [{ field: 'from' }] });
    await expect(periodReport(s.deps, { from: '2026-12-31', to: '2026-01-01' })).rejects.toMatchObject({ problems: [{ field: 'to', message: 'must not be before from' }] });
  });

  it('as CSV, and as an SVG chart whose title and description say the figures, in the language asked', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, ['access'], { language: 'ru' });
    await runToAnswer(s, request.id);
    const report = await periodReport(s.deps, { from: '2026-02-01', to: '2026-02-28' });
    const csv = reportCsv(report);
    expect(csv.split('\n')[0]).toBe('figure,key,count');
    expect(csv).toContain('answered,on_time,1\n');
    expect(csv).toContain('by_type,access,1\n');
    const svg = await reportChart(report, 'kk');
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="report-title report-desc"/);
    expect(svg).toContain('<title id="report-title">2026 жылғы 1 ақпан – 2026 жылғы 28 ақпан аралығында алынған сұраулар</title>');
    expect(svg).toContain('<desc id="report-desc">Алынған сұраулар: 1; мерзімінде жауап берілді: 1, кешігіп: 0;');
    expect(svg).toContain('>мәліметтерге қол жеткізу</text>');
    expect(await reportChart(report, 'en')).toContain('<title id="report-title">Requests received');
  });
});

describe('the figures', () => {
  it('percentiles by nearest rank: a value that occurred', () => {
    const days = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 40];
    expect(nearestRank(days, 0.5)).toBe(10);
    expect(nearestRank(days, 0.95)).toBe(19);
    expect(nearestRank([3], 0.95)).toBe(3);
  });

  it('working days to answer skip weekends and holidays, the day of receipt not counted', () => {
    const engine = createDeadlineEngine({}, SHIPPED_RULES);
    const kz = (date: string) => engine.isWorkingDay('KZ', date);
    // Received Friday 20 March 2026; Nauryz and its substitutes run to Wednesday 25; answered Thursday 26 at 10:00.
    expect(workingDaysUntil('2026-03-20', '2026-03-26T05:00:00Z', 'Asia/Almaty', kz)).toBe(1);
    expect(workingDaysUntil('2026-03-20', '2026-03-20T12:00:00Z', 'Asia/Almaty', kz)).toBe(0);
  });

  it('facts of an open request stay the same while it moves between open statuses (the index copy is written when it opens and when it closes); facts kept with an open status still count as open', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION' });
    const waiting = reportFactsOf(await s.deps.requests.get(request.id));
    expect(waiting.status).toBe('OPEN');
    await s.deps.requests.transition(request.id, 'AWAITING_VERIFICATION', 'IN_PROGRESS');
    expect(reportFactsOf(await s.deps.requests.get(request.id))).toEqual(waiting);
    const period = { from: '2026-02-10', to: '2026-02-10' };
    const later = new Date('2026-03-01T00:00:00Z');
    expect(buildReport(period, [waiting], 0, () => true, later).open).toEqual({ total: 1, overdue: 1 });
    expect(buildReport(period, [{ ...waiting, status: 'IN_PROGRESS' }], 0, () => true, later).open).toEqual({ total: 1, overdue: 1 });
  });

  it('keeps nothing personal in the facts the index holds', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, ['claim'], { email: 'aigerim@example.kz', name: 'Айгерім', language: 'kk' });
    await runToAnswer(s, request.id, { decision: 'deny', reason: 'Айгерім, құжат жоқ', basis: 'kz-identity-not-confirmed' });
    const facts = reportFactsOf(await s.deps.requests.get(request.id));
    expect(facts).toMatchObject({ id: request.id, status: 'REFUSED', refusalBasis: 'kz-identity-not-confirmed', jurisdiction: 'KZ' });
    expect(JSON.stringify(facts)).not.toMatch(/aigerim|Айгерім|құжат/);
    expect(buildReport({ from: '2026-02-10', to: '2026-02-10' }, [facts], 0, () => true, NOW).refusals.total).toBe(1);
  });
});
