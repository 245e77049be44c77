import { describe, expect, it } from 'vitest';
import { ANONYMISED } from '../../../functions/adapters/sources/source-rules.ts';
import { documentAsText } from '../../../functions/domain/document.ts';
import { ValidationError } from '../../../functions/domain/errors.ts';
import { processorNotice, processorNoticeSchema } from '../../../functions/domain/processor-notice.ts';
import { evidencePack } from '../../../functions/use-cases/evidence.ts';
import { decide, parseDecision } from '../../../functions/use-cases/operator.ts';
import { planFulfilment, requestDecision } from '../../../functions/use-cases/workflow-steps.ts';
import { mailsTo, OPERATOR, placeRequest, runToAnswer, systemFor } from '../../support/flow.ts';

// A person asks to delete particular data («Удалите мой номер телефона», "delete my photo"): the operator erases
// those fields and nothing else.
const VNEDRAH = 'profiles/seeds/vnedrah.json';
const NURLAN = 'nurlan.abenov@mail.example';

async function unclearMail() {
  const s = systemFor(VNEDRAH);
  const request = await placeRequest(s, [], { email: NURLAN, language: 'ru', channel: 'email', message: 'Удалите мой номер телефона и текст моего отзыва.' });
  return { s, request };
}

const recordsOf = (s: ReturnType<typeof systemFor>, sourceId: string) => s.sources.get(sourceId)!.records.filter((r) => r.email === NURLAN);

describe('an erasure limited to particular fields', () => {
  it('erases only the named fields where a source declares them personal, keeps every other field and record, and says so', async () => {
    const { s, request } = await unclearMail();
    const before = Object.fromEntries(['accounts', 'payments', 'messages', 'devices'].map((id) => [id, structuredClone(recordsOf(s, id))]));
    const answer = await runToAnswer(s, request.id, parseDecision({ decision: 'approve', types: ['erasure'], fields: ['phone', 'text'] }));

    // The phone in the account, the text of the review: overwritten; everything else as it was.
    expect(recordsOf(s, 'accounts')).toEqual([{ ...before.accounts![0], phone: ANONYMISED }]);
    expect(recordsOf(s, 'messages')).toEqual(before.messages!.map((record) => ({ ...record, text: ANONYMISED })));
    expect(recordsOf(s, 'payments')).toEqual(before.payments);
    expect(recordsOf(s, 'devices')).toEqual(before.devices);

    expect(answer).toContain(
      'Уничтожено по вашему запросу:\n    «Учётная запись и профиль на Портале»: Телефон\n    «Сообщения, отзывы и обращения»: Текст\nБольше ничего не уничтожено: остальные ваши данные у нас остаются без изменений.',
    );
    expect(answer).not.toContain('Ваши данные уничтожены');
    expect(answer).not.toContain('обезличены');
    expect(await s.deps.requests.get(request.id)).toMatchObject({ status: 'COMPLETED', types: ['erasure'], erasureFields: ['phone', 'text'] });
  });

  it('tells processors of the fields only, and the trail names the fields, never their values', async () => {
    const { s, request } = await unclearMail();
    await runToAnswer(s, request.id, parseDecision({ decision: 'approve', types: ['erasure'], fields: ['phone'] }));

    const notice = mailsTo(s, 'privacy@delivery.example')[0]!;
    expect(notice.text).toContain('Просим уничтожить только следующие персональные данные этого субъекта, которые вы обрабатываете по нашему поручению или получили от нас: Телефон (phone). Остальные его данные сохраните как есть');
    expect(notice.text).not.toContain('Просим уничтожить персональные данные этого субъекта');

    const trail = await s.deps.audit.list(request.id);
    expect(trail.find((e) => e.type === 'decision.made')!.detail).toMatchObject({ approved: true, erasedFields: ['phone'] });
    const applied = trail.filter((e) => e.type === 'source.applied').map((e) => e.detail);
    expect(applied.find((d) => d.sourceId === 'accounts')).toMatchObject({ outcomes: { field_erasure: 'done: 1' }, erasedFields: ['phone'] });
    // A source that declares none of the fields takes no step: the payments, under their legal hold, are not touched.
    expect(applied.filter((d) => Object.keys(d.outcomes).length).map((d) => d.sourceId)).toEqual(['accounts']);
    expect(JSON.stringify(trail)).not.toContain('+7 700 555 61 62');

    // The evidence pack says the same: the decision's limit, and what each source erased.
    const pack = documentAsText((await evidencePack(s.deps, request.id, 'en')).document);
    expect(pack).toContain('Erasure limited to the fields: phone');
    expect(pack).toMatch(/Outcome: erasure of particular fields: done, 1 records\n\s*Fields erased: phone\n/);
    expect(pack).not.toContain('+7 700 555 61 62');
  });

  it('says there was nothing to erase where no record holds the fields', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, [], { email: 'gulnara.tokhtarova@mail.example', language: 'en', channel: 'email' });
    const answer = await runToAnswer(s, request.id, parseDecision({ decision: 'approve', types: ['erasure'], fields: ['passport'] }));
    expect(answer).toContain('There was nothing to erase: the systems searched hold none of the data you asked us to erase.');
    expect(answer).not.toContain('Your data is destroyed');
  });

  it('refuses fields no source declares personal, naming them and listing those allowed, and leaves the decision waiting', async () => {
    const { s, request } = await unclearMail();
    await planFulfilment(s.deps, request.id);
    await requestDecision(s.deps, request.id, 'task-token');
    const refused = decide(s.deps, request.id, { decision: 'approve', types: ['erasure'], fields: ['phone', 'photoUrl', 'loyaltyPoints'] }, OPERATOR);
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({
      problems: [{ field: 'fields', message: expect.stringMatching(/^not a personal field of any source: photoUrl, loyaltyPoints; fields that can be erased: lastName, firstName, .*phone.*, text, ipAddress/) }],
    });
    // Fields name what an approved erasure erases: not a refusal, nor another type.
    await expect(decide(s.deps, request.id, { decision: 'approve', types: ['blocking'], fields: ['phone'] }, OPERATOR)).rejects.toMatchObject({
      problems: [{ field: 'fields', message: expect.stringContaining('approve the request as an erasure') }],
    });
    await expect(decide(s.deps, request.id, { decision: 'deny', reason: 'Нет.', basis: 'Основание', fields: ['phone'] }, OPERATOR)).rejects.toMatchObject({
      problems: [{ field: 'fields', message: expect.stringContaining('a refusal erases nothing') }],
    });
    expect(await s.decisions.list()).toHaveLength(1);
    expect(s.workflow.completed).toEqual([]);
  });

  it('gives a webhook processor the fields in its notice', () => {
    const notice = processorNotice({ requestId: 'DRB-00000-00001', type: 'erasure', submittedAt: '2026-02-10T05:15:00Z', email: NURLAN, controllerName: 'Vnedrah', erasureFields: ['phone'] });
    expect(processorNoticeSchema().parse(notice)).toMatchObject({ subject_request_type: 'erasure', erasure_fields: ['phone'] });
    // Only an erasure carries them: a blocking told with the same request is a blocking of everything.
    expect(processorNotice({ requestId: 'DRB-00000-00001', type: 'blocking', submittedAt: '2026-02-10T05:15:00Z', email: NURLAN, controllerName: 'Vnedrah', erasureFields: ['phone'] })).not.toHaveProperty('erasure_fields');
  });
});
