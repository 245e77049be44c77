import { describe, expect, it } from 'vitest';
import { parseAddSubjects, parseBreachInput } from '../../functions/domain/breaches/breach.ts';
import { parseBreachTexts } from '../../functions/domain/breaches/texts.ts';
import { ConfigurationError, ValidationError } from '../../functions/domain/errors.ts';
import { isValidIin } from '../../functions/domain/iin.ts';
import { addAffectedSubjects, approvePersonNotice, breachView, recordBreach } from '../../functions/use-cases/breaches.ts';
import type { Dependencies } from '../../functions/use-cases/dependencies.ts';
import { watchBreaches } from '../../functions/use-cases/watch-breaches.ts';
import ru from '../../rules/messages/ru.json' with { type: 'json' };
import { memorySystem, type CapturingMailer } from '../support/memory-deps.ts';

describe('IIN', () => {
  it.each(['881102345128', '900101300017', '950521400125', '850712500036'])('accepts %s, whose check digit is right', (iin) => {
    expect(isValidIin(iin)).toBe(true);
  });
  it.each(['881102345127', '88110234512', '8811023451280', '88110234512a', ''])('refuses %j', (iin) => {
    expect(isValidIin(iin)).toBe(false);
  });
});

describe('breach input', () => {
  const valid = {
    detectedAt: '2026-03-20T17:00:00+05:00',
    description: 'Открытая ссылка на резервную копию',
    dataCategories: ['ФИО'],
    systems: ['CRM'],
    measuresTaken: 'Ссылка отключена',
    responsible: { name: 'Ержан', email: 'dpo@example.kz' },
  };

  it('takes a complete breach, and names every bad field of an incomplete one', () => {
    expect(parseBreachInput(valid).detectedAt).toBe(valid.detectedAt);
    try {
      parseBreachInput({ ...valid, detectedAt: '2026-03-20T17:00:00', dataCategories: [], responsible: { name: 'Ержан' }, extra: 1 });
      expect.fail('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const fields = (error as ValidationError).problems.map((p) => p.field);
      expect(fields).toEqual(expect.arrayContaining(['detectedAt', 'dataCategories', 'responsible.email', 'extra']));
    }
  });

  it('needs a way to identify each affected person, a valid IIN, and at most 200 per call', () => {
    expect(() => parseAddSubjects({ people: [{ name: 'Без данных' }] })).toThrow(/needs an IIN, a phone number or an e-mail address/);
    expect(() => parseAddSubjects({ people: [{ iin: '881102345127' }] })).toThrow(/valid IIN/);
    expect(() => parseAddSubjects({ find: Array.from({ length: 201 }, (_, i) => `p${i}@example.kz`) })).toThrow(/at most 200 per call/);
    expect(parseAddSubjects({ people: [{ iin: '881102345128' }] })).toEqual({ people: [{ iin: '881102345128' }] });
  });
});

describe('breach texts', () => {
  it('refuses a placeholder a text may not use', () => {
    const broken = structuredClone(ru);
    broken.breach.personMail.body += ' {iin}';
    expect(() => parseBreachTexts(broken, 'ru.json')).toThrow(ConfigurationError);
    expect(() => parseBreachTexts(broken, 'ru.json')).toThrow(/breach\.personMail\.body: unknown placeholder \{iin\}/);
  });
});

/**
 * A breach mail to an affected person is charged to the same per-address budget as every other mail to them: over
 * it, the notice waits (recorded once) and goes with the first run after the budget frees; held longer than the
 * budget's window, the operator and the responsible person hear it once.
 */
describe('breach mail and the per-address mail budget', () => {
  const hours = (n: number) => new Date(Date.parse('2026-03-23T06:00:00Z') + n * 3_600_000);
  const FLOODED = 'flooded@example.kz';
  const QUIET = 'quiet@example.kz';

  async function breachWithTwoPeople() {
    const system = memorySystem('profiles/demo.json', { now: hours(0), data: {} });
    const { deps } = system;
    const { breach } = await recordBreach(deps, {
      detectedAt: '2026-03-23T10:00:00+05:00',
      description: 'Резервная копия доступна по открытой ссылке',
      dataCategories: ['ФИО'],
      systems: ['CRM'],
      measuresTaken: 'Ссылка отключена',
      responsible: { name: 'Ержан', email: 'security@derbes.local' },
    });
    await addAffectedSubjects(deps, breach.id, { people: [{ email: FLOODED, language: 'kk' }, { email: QUIET, language: 'ru' }] });
    return { ...system, breach };
  }
  /** Someone else's mail to the address spends its whole window's budget (as a flood of requests in its name would). */
  async function spendBudget(deps: Dependencies, email: string, at: Date) {
    const key = await deps.personKey(email);
    while (await deps.limits.spendRecipient(key, deps.profile.limits.recipientMails, at));
  }
  const mailsTo = (mailer: CapturingMailer, to: string) => mailer.sent.filter((m) => m.to === to);

  it('holds the mail of an address whose budget is spent, records it once, and sends it once the budget frees', async () => {
    const { deps, mailer, audit, breach, setNow } = await breachWithTwoPeople();
    await spendBudget(deps, FLOODED, hours(0));
    await approvePersonNotice(deps, breach.id, { texts: { ru: 'Мы заменили пароли.', kk: 'Біз құпиясөздерді ауыстырдық.' }, dataCategories: { kk: ['аты-жөні', 'телефон нөмірі'] } });
    expect(mailsTo(mailer, QUIET)).toHaveLength(1);
    expect(mailsTo(mailer, FLOODED)).toHaveLength(0);
    expect((await breachView(deps, await deps.breaches.get(breach.id))).deliveries).toEqual({ sent: 1, held: 1 });

    setNow(hours(1));
    await watchBreaches(deps);
    expect(mailsTo(mailer, FLOODED)).toHaveLength(0);
    const held = (await audit.list(breach.id)).filter((e) => e.type === 'breach.person_notice_held');
    expect(held).toEqual([expect.objectContaining({ detail: { subject: await deps.personKey(FLOODED), reason: 'recipient_budget' } })]);
    expect((await deps.breaches.get(breach.id)).personNotice?.finishedAt).toBeUndefined();

    setNow(hours(24.5));
    await watchBreaches(deps);
    const [mail] = mailsTo(mailer, FLOODED);
    expect(mail?.subject).toContain(breach.id);
    expect(mail?.text).toContain('Біз құпиясөздерді ауыстырдық.');
    expect((await breachView(deps, await deps.breaches.get(breach.id))).deliveries).toEqual({ sent: 2 });
    expect((await deps.breaches.get(breach.id)).personNotice?.finishedAt).toBeDefined();
    // The mail it sent was charged: the address has one less for the rest of its window.
    const key = await deps.personKey(FLOODED);
    let left = 0;
    while (await deps.limits.spendRecipient(key, deps.profile.limits.recipientMails, hours(24.5))) left++;
    expect(left).toBe(deps.profile.limits.recipientMails.max - 1);
    expect(mailer.sent.filter((m) => m.to === 'dpo@derbes.local')).toHaveLength(0);
  });

  it('tells the operator and the responsible person once when a notice stays held longer than the window', async () => {
    const { deps, mailer, audit, breach, setNow } = await breachWithTwoPeople();
    await spendBudget(deps, FLOODED, hours(0));
    await approvePersonNotice(deps, breach.id, { texts: { ru: 'Мы заменили пароли.', kk: 'Біз құпиясөздерді ауыстырдық.' }, dataCategories: { kk: ['аты-жөні', 'телефон нөмірі'] } });
    await spendBudget(deps, FLOODED, hours(24.2));
    setNow(hours(24.5));
    await watchBreaches(deps);
    setNow(hours(25));
    await watchBreaches(deps);
    expect(mailsTo(mailer, FLOODED)).toHaveLength(0);
    for (const to of ['dpo@derbes.local', 'security@derbes.local']) {
      const alerts = mailsTo(mailer, to).filter((m) => m.subject.includes('уведомления затронутым лицам задерживаются'));
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.text).toContain(`Нарушение ${breach.id}: уведомления затронутым лицам (1) не отправлены дольше 24 ч`);
    }
    expect((await audit.list(breach.id)).filter((e) => e.type === 'operator.alerted')).toHaveLength(1);
    setNow(hours(48.5));
    await watchBreaches(deps);
    expect(mailsTo(mailer, FLOODED)).toHaveLength(1);
  });
});
