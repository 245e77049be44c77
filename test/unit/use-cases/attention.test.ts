import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../../functions/domain/errors.ts';
import { markStopped, recordFailure, resumeRequest } from '../../../functions/use-cases/attention.ts';
import { NOW, movesAfterRead, operatorMails, placeRequest, systemFor } from '../../support/flow.ts';

async function failed() {
  const s = systemFor('profiles/demo.json');
  const request = await placeRequest(s, ['erasure']);
  await recordFailure(s.deps, { requestId: request.id, step: 'ApplyToSource', error: 'States.Timeout', taskToken: 'resume-token' });
  return { s, request };
}

describe('recordFailure', () => {
  it('marks the request with the step and an error code, keeps the resume token, records it and tells the operator', async () => {
    const { s, request } = await failed();
    const marked = await s.deps.requests.get(request.id);
    expect(marked).toMatchObject({ status: 'IN_PROGRESS', attention: { step: 'ApplyToSource', code: expect.any(String), since: NOW.toISOString() } });
    const code = marked.attention!.code;
    const event = (await s.deps.audit.list(request.id)).find((e) => e.type === 'workflow.failed');
    expect(event!.detail).toEqual({ step: 'ApplyToSource', code });
    const [alert] = operatorMails(s);
    expect(alert!.subject).toContain(`[${request.id}]`);
    expect(alert!.subject).toContain(code);
    expect(alert!.text).toContain('ApplyToSource');
  });

  it('marks the request in the status it moved to between the read and the write', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['erasure']);
    movesAfterRead(s, request.id, 'COMPLETED');
    await recordFailure(s.deps, { requestId: request.id, step: 'Answer', error: 'Sandbox.Timedout', taskToken: 'resume-token' });
    expect(await s.deps.requests.get(request.id)).toMatchObject({ status: 'COMPLETED', attention: { step: 'Answer', code: 'function_crashed' } });
    expect(operatorMails(s)).toHaveLength(1);
  });

  it('surfaces a conflict that is not a status move, written once, and alerts nobody of a mark it did not make', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['erasure']);
    let writes = 0;
    s.deps.requests.amend = async () => {
      writes++;
      throw new ConflictError(`request ${request.id} was changed concurrently`);
    };
    await expect(recordFailure(s.deps, { requestId: request.id, step: 'Answer', error: 'Sandbox.Timedout', taskToken: 'resume-token' })).rejects.toThrow(
      new ConflictError(`request ${request.id} was changed concurrently`),
    );
    expect(writes).toBe(1);
    expect(operatorMails(s)).toEqual([]);
  });
});

describe('resumeRequest', () => {
  it('clears the mark and releases the waiting workflow, once', async () => {
    const { s, request } = await failed();
    expect(await resumeRequest(s.deps, request.id)).toEqual({ reference: request.id, step: 'ApplyToSource' });
    expect((await s.deps.requests.get(request.id)).attention).toBeUndefined();
    expect(s.workflow.completed).toEqual([{ taskToken: 'resume-token', output: { resumed: true } }]);
    expect((await s.deps.audit.list(request.id)).find((e) => e.type === 'workflow.resumed')!.detail).toEqual({ step: 'ApplyToSource' });
    await expect(resumeRequest(s.deps, request.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('puts the resume back when the execution no longer waits, and says to redrive it', async () => {
    const { s, request } = await failed();
    s.workflow.ended.add('resume-token');
    await expect(resumeRequest(s.deps, request.id)).rejects.toThrow(new ConflictError(`the workflow of ${request.id} no longer waits to be resumed; redrive its execution`));
    // A second try finds the resume again (not "nothing waits"), so the operator can redrive and retry.
    await expect(resumeRequest(s.deps, request.id)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('markStopped', () => {
  it('marks an open request whose execution stopped, with the execution status as the code, and tells the operator', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    const marked = await markStopped(s.deps, request, 'ABORTED');
    expect(marked.attention).toEqual({ step: 'workflow', code: 'workflow_aborted', since: NOW.toISOString() });
    // The demo operator reads Russian: what became of the execution, in words, and where to open the request.
    const mail = operatorMails(s)[0]!;
    expect(mail.subject).toBe(`[${request.id}] Обработка запроса остановлена (остановлено вручную)`);
    expect(mail.text).toContain('(выполнение остановлено вручную)');
    expect(mail.text).toContain(`Запрос в консоли: https://privacy.example/console/request?ref=${request.id}`);
    expect(mail.text).not.toContain('ABORTED');
  });
});
