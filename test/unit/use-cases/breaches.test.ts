import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../../functions/domain/errors.ts';
import { addAffectedSubjects, approvePersonNotice, authorityNotice, breachView, recordBreach, recordFiling } from '../../../functions/use-cases/breaches.ts';
import { BREACH_INPUT, mailsTo, NOW, placeRequest, systemFor } from '../../support/flow.ts';

const noRender = async () => Buffer.from('');

async function recorded() {
  const s = systemFor('profiles/demo.json');
  const { breach } = await recordBreach(s.deps, BREACH_INPUT, 'idem-1');
  return { s, breach };
}

describe('recordBreach', () => {
  it('computes the authority\'s notice due time, records it once per idempotency key, and refuses a detection in the future', async () => {
    const { s, breach } = await recorded();
    expect(breach.notices.map((n) => n.deadline.rule.jurisdiction)).toEqual(['KZ']);
    expect(Date.parse(breach.notices[0]!.deadline.dueAt)).toBeGreaterThan(Date.parse(breach.detectedAt));
    expect((await recordBreach(s.deps, BREACH_INPUT, 'idem-1')).created).toBe(false);
    expect((await s.deps.audit.list(breach.id)).map((e) => e.type)).toEqual(['breach.recorded']);
    await expect(recordBreach(s.deps, { ...BREACH_INPUT, detectedAt: '2026-02-11T09:00:00+05:00' })).rejects.toMatchObject({ problems: [{ field: 'detectedAt', message: 'is in the future' }] });
  });
});

describe('addAffectedSubjects', () => {
  it('lists a person once however often they are named, and finds people in the sources without changing them', async () => {
    const { s, breach } = await recorded();
    expect(await addAffectedSubjects(s.deps, breach.id, { people: [{ email: 'A@mail.example' }, { email: 'a@mail.example' }] })).toMatchObject({ added: 1, alreadyListed: 1 });
    const before = structuredClone(s.sources.get('customers')!.records);
    expect(await addAffectedSubjects(s.deps, breach.id, { find: ['aigerim@example.kz', 'nobody@mail.example'] })).toMatchObject({ added: 1, notFound: 1, failedSources: [], subjectCount: 2 });
    expect(s.sources.get('customers')!.records).toEqual(before);
  });

  it('names a source that could not be asked, so the operator asks again', async () => {
    const { s, breach } = await recorded();
    s.sources.get('customers')!.failing = true;
    expect(await addAffectedSubjects(s.deps, breach.id, { find: ['aigerim@example.kz'] })).toMatchObject({ added: 0, failedSources: ['customers'] });
  });
});

describe('approvePersonNotice', () => {
  it('needs the text in every language the affected people read, then mails each of them once', async () => {
    const { s, breach } = await recorded();
    await addAffectedSubjects(s.deps, breach.id, { people: [{ email: 'a@mail.example', name: 'Айгерим', language: 'ru' }] });
    await expect(approvePersonNotice(s.deps, breach.id, { texts: { en: 'Your data leaked.' } })).rejects.toMatchObject({ problems: [{ field: 'texts.ru' }] });
    const { sent } = await approvePersonNotice(s.deps, breach.id, { texts: { ru: 'Ссылка на копию базы была открыта два часа.' } });
    expect(sent).toBe(1);
    const [mail] = mailsTo(s, 'a@mail.example');
    expect(mail!.text).toContain('Ссылка на копию базы была открыта два часа.');
    expect(mail!.text).toContain(', Айгерим');
    await expect(approvePersonNotice(s.deps, breach.id, { texts: { ru: 'Again' } })).rejects.toBeInstanceOf(ConflictError);
    expect(mailsTo(s, 'a@mail.example')).toHaveLength(1);
  });

  it('mails each person in the language they read — the operator\'s word, their confirmed requests\', their records\', else the default — with the time as every mail says it', async () => {
    const { s, breach } = await recorded();
    // Aigerim wrote to us in English; Daniyar's record says Kazakh, and a request in his name nobody confirmed says English.
    await placeRequest(s, ['access'], { email: 'aigerim@example.kz', language: 'en' });
    s.sources.get('customers')!.records.find((r) => r.email === 'daniyar@example.kz')!.language = 'kk';
    await placeRequest(s, ['access'], { email: 'daniyar@example.kz', language: 'en', status: 'AWAITING_VERIFICATION' });
    await addAffectedSubjects(s.deps, breach.id, { find: ['aigerim@example.kz', 'daniyar@example.kz'] });
    // The operator says Sam reads English though he wrote in Russian; nothing is known of Ainur.
    await placeRequest(s, ['access'], { email: 'sam@mail.example', language: 'ru' });
    await addAffectedSubjects(s.deps, breach.id, { people: [{ email: 'sam@mail.example', language: 'en' }, { email: 'ainur@mail.example' }] });
    // The register's categories are in the operator's (default) language: the others need the data named in theirs.
    await expect(approvePersonNotice(s.deps, breach.id, { texts: { ru: 'Смените пароль.', en: 'Change your password.' } })).rejects.toMatchObject({
      problems: [{ field: 'dataCategories.en' }, { field: 'texts.kk' }, { field: 'dataCategories.kk' }],
    });
    await approvePersonNotice(s.deps, breach.id, {
      texts: { ru: 'Смените пароль.', kk: 'Құпиясөзіңізді ауыстырыңыз.', en: 'Change your password.' },
      dataCategories: { kk: ['аты-жөні', 'телефон нөмірі'], en: ['full name', 'phone number'] },
    });
    const mail = (to: string) => mailsTo(s, to).map((m) => m.text);
    expect(mail('aigerim@example.kz')).toEqual([expect.stringContaining('tells you: on 10 February 2026, 09:00 Astana time we detected a breach')]);
    expect(mail('aigerim@example.kz')[0]).toContain('Change your password.');
    expect(mail('aigerim@example.kz')[0]).toContain('\nThe data involved: full name, phone number.\n');
    expect(mail('daniyar@example.kz')).toEqual([expect.stringContaining('хабарлайды: 2026 жылғы 10 ақпан, 09:00 (Астана уақыты) дербес деректер қауіпсіздігінің бұзылғаны анықталды')]);
    expect(mail('daniyar@example.kz')[0]).toContain('Құпиясөзіңізді ауыстырыңыз.');
    expect(mail('daniyar@example.kz')[0]).toMatch(/^Сәлеметсіз бе, Данияр Сапаров!\n/);
    expect(mail('daniyar@example.kz')[0]).toContain('\nОқиға қамтыған деректер: аты-жөні, телефон нөмірі.\n');
    expect(mail('ainur@mail.example')[0]).toContain('\nЗатронутые данные: ФИО, телефон.\n');
    // The sender's name is the company's in the mail's language, as on every other mail to a person.
    expect(Object.fromEntries(s.mailer.sent.map((m) => [m.to, m.fromName]))).toEqual({
      'aigerim@example.kz': 'Demo Derbes LLP',
      'daniyar@example.kz': '«Демо Дербес» ЖШС',
      'sam@mail.example': 'Demo Derbes LLP',
      'ainur@mail.example': 'ТОО «Демо Дербес»',
    });
    expect(mail('sam@mail.example')).toEqual([expect.stringContaining('Change your password.')]);
    expect(mail('ainur@mail.example')).toEqual([expect.stringContaining('сообщает: 10 февраля 2026, 09:00 по времени Астаны обнаружено нарушение')]);
    expect(mail('ainur@mail.example')[0]).toContain('Смените пароль.');
    for (const text of s.mailer.sent.map((m) => m.text)) expect(text).not.toContain('Asia/Almaty');
  });

  it('is refused while nobody with an address is listed', async () => {
    const { s, breach } = await recorded();
    await expect(approvePersonNotice(s.deps, breach.id, { texts: { ru: 'x' } })).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('the notice to the authority', () => {
  it('is produced with what is missing named and recorded by its hash; filing closes it, once', async () => {
    const { s, breach } = await recorded();
    const notice = await authorityNotice(s.deps, breach.id, { language: 'ru', format: 'text' }, noRender);
    expect(notice.text).toContain(BREACH_INPUT.description);
    // Every time in it as people say it, in each language of the notice.
    expect(notice.text).toContain('обнаруженном 10 февраля 2026, 09:00 по времени Астаны.');
    const kk = await authorityNotice(s.deps, breach.id, { language: 'kk', format: 'text' }, noRender);
    expect(kk.text).toContain('2026 жылғы 10 ақпан, 09:00 (Астана уақыты) анықталған дербес деректер қауіпсіздігінің бұзылғаны туралы хабарлаймыз.');
    for (const text of [notice.text, kk.text]) expect(text).not.toContain('Asia/Almaty');
    expect((await s.deps.audit.list(breach.id)).find((e) => e.type === 'breach.notice_produced')!.detail).toMatchObject({ sha256: notice.sha256, missing: notice.missing });
    const filed = await recordFiling(s.deps, breach.id, { reference: 'KZ-2026-17' });
    expect(filed.notices[0]).toMatchObject({ filedAt: NOW.toISOString(), filingReference: 'KZ-2026-17' });
    expect((await breachView(s.deps, filed)).open).toBe(false);
    await expect(recordFiling(s.deps, breach.id, {})).rejects.toBeInstanceOf(ConflictError);
    await expect(recordFiling(s.deps, breach.id, { filedAt: 'yesterday' })).rejects.toBeInstanceOf(ValidationError);
  });
});
