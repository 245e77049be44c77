import { describe, expect, it } from 'vitest';
import { addAffectedSubjects, approvePersonNotice, recordBreach } from '../../../functions/use-cases/breaches.ts';
import { watchBreaches } from '../../../functions/use-cases/watch-breaches.ts';
import { BREACH_INPUT, mailsTo, systemFor } from '../../support/flow.ts';

describe('watchBreaches', () => {
  it('alerts the operator\'s contact and the responsible person when an unfiled notice is overdue, once', async () => {
    const s = systemFor('profiles/demo.json');
    const { breach } = await recordBreach(s.deps, BREACH_INPUT);
    expect(await watchBreaches(s.deps)).toMatchObject({ openBreaches: 1, overdue: 0 });
    s.setNow(new Date(Date.parse(breach.notices[0]!.deadline.dueAt) + 3_600_000));
    const report = await watchBreaches(s.deps);
    expect(report).toMatchObject({ openBreaches: 1, overdue: 1 });
    const subjects = mailsTo(s, 'security@derbes.local').map((m) => m.subject);
    expect(subjects.filter((subject) => subject.includes(breach.id))).toHaveLength(report.reminders + report.atRisk + report.overdue);
    expect(mailsTo(s, s.deps.profile.operator.contactEmail)).toHaveLength(subjects.length);
    // Each alert's Message-ID names the breach, the step and the regime, nothing of the moment it went out.
    const ids = mailsTo(s, 'security@derbes.local').map((m) => m.messageId);
    expect(ids.every((id) => new RegExp(`^<${breach.id}\\.(operator_reminder|operator_last_day|interim_answer|overdue)\\.KZ@derbes\\.local>$`).test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const sent = s.mailer.sent.length;
    expect(await watchBreaches(s.deps)).toMatchObject({ reminders: 0, atRisk: 0, overdue: 0 });
    expect(s.mailer.sent).toHaveLength(sent);
  });

  it('sends the approved mails to people in batches of the profile\'s size, with each run', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, breaches: { mailsPerRun: 2 } }) });
    const { breach } = await recordBreach(s.deps, BREACH_INPUT);
    await addAffectedSubjects(s.deps, breach.id, { people: ['a', 'b', 'c'].map((n) => ({ email: `${n}@mail.example`, language: 'ru' })) });
    expect((await approvePersonNotice(s.deps, breach.id, { texts: { ru: 'Текст' } })).sent).toBe(2);
    expect((await watchBreaches(s.deps)).personNoticesSent).toBe(1);
    expect((await watchBreaches(s.deps)).personNoticesSent).toBe(0);
    expect(['a', 'b', 'c'].map((n) => mailsTo(s, `${n}@mail.example`).length)).toEqual([1, 1, 1]);
  });
});
