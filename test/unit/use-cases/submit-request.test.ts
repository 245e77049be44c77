import { describe, expect, it } from 'vitest';
import { IdempotencyKeyReusedError, ValidationError } from '../../../functions/domain/errors.ts';
import { createHash } from 'node:crypto';
import { keyedHash } from '../../../functions/domain/person-key.ts';
import { bodyHash, deadlineFor, parseSubmission, submissionInput, submitRequest } from '../../../functions/use-cases/submit-request.ts';
import { NOW, systemFor } from '../../support/flow.ts';

describe('parseSubmission', () => {
  it('lower-cases the address and names each bad field, as the caller named it', () => {
    expect(parseSubmission({ types: ['access'], email: 'Aigerim@Example.KZ', language: 'kk' })).toMatchObject({ email: 'aigerim@example.kz' });
    const refused = () => parseSubmission({ types: ['nonsense'], email: 'nope', language: 'fr' }, 'type');
    expect(refused).toThrow(ValidationError);
    expect(refused).toThrow(expect.objectContaining({ problems: expect.arrayContaining([expect.objectContaining({ field: 'type' }), expect.objectContaining({ field: 'email' }), expect.objectContaining({ field: 'language' })]) }));
    expect(() => parseSubmission({ types: [], email: 'a@b.kz', language: 'ru' })).toThrow(expect.objectContaining({ problems: [{ field: 'types', message: 'choose at least one request type', kind: 'required' }] }));
  });

  it('checks the address as mail intake checks a sender: one a mail can reach, an IDN domain kept in its punycode form', () => {
    expect(parseSubmission({ types: ['access'], email: 'Aigerim@Пример.KZ', language: 'kk' })).toMatchObject({ email: 'aigerim@xn--e1afmkfd.kz' });
    expect(() => parseSubmission({ types: ['access'], email: 'почта0@example.kz', language: 'ru' })).toThrow(
      expect.objectContaining({ problems: [{ field: 'email', message: 'must be an e-mail address', kind: 'format' }] }),
    );
  });

  it('says a field left out is required, and names the choices of a value not among them', () => {
    expect(() => parseSubmission({ types: ['acces'], language: 'de' })).toThrow(
      expect.objectContaining({
        problems: [
          { field: 'types.0', message: 'must be one of: access, rectification, blocking, unblocking, erasure, consent_withdrawal, marketing_opt_out, claim', kind: 'choice' },
          { field: 'email', message: 'is required', kind: 'required' },
          { field: 'language', message: 'must be one of: ru, kk, en', kind: 'choice' },
        ],
      }),
    );
    expect(() => parseSubmission({ types: ['access'], email: 'not-an-address', language: 'ru' })).toThrow(
      expect.objectContaining({ problems: [{ field: 'email', message: 'must be an e-mail address', kind: 'format' }] }),
    );
  });

  it("takes the person's own words for every type, up to 5,000 characters, and requires them for a claim", () => {
    expect(parseSubmission({ types: ['access'], email: 'a@b.kz', language: 'ru', message: '  Что вы храните обо мне?  ' })).toMatchObject({ message: 'Что вы храните обо мне?' });
    expect(parseSubmission({ types: ['claim'], email: 'a@b.kz', language: 'ru', message: 'ә'.repeat(5000) }).message).toHaveLength(5000);
    // A form's line breaks arrive as CRLF; the browser counted each as one character, and so does the limit.
    expect(parseSubmission({ types: ['claim'], email: 'a@b.kz', language: 'ru', message: `${'ә'.repeat(2500)}\r\n${'ә'.repeat(2499)}` }).message).toBe(`${'ә'.repeat(2500)}\n${'ә'.repeat(2499)}`);
    const tooLong = () => parseSubmission({ types: ['access'], email: 'a@b.kz', language: 'ru', message: 'x'.repeat(5001) });
    expect(tooLong).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ field: 'message', kind: 'tooLong', limit: 5000 })] }));
    for (const message of [undefined, '', '   ']) {
      const empty = () => parseSubmission({ types: ['access', 'claim'], email: 'a@b.kz', language: 'kk', ...(message === undefined ? {} : { message }) });
      expect(empty).toThrow(expect.objectContaining({ problems: [{ field: 'message', message: 'a claim needs a message: what it is about', kind: 'required' }] }));
    }
  });

  it('requires a correction to say what is wrong: a new value, or the person\'s words', () => {
    const profile = systemFor('profiles/demo.json').deps.profile;
    const correction = (more: Record<string, unknown>) => () => parseSubmission({ types: ['rectification'], email: 'a@b.kz', language: 'ru', ...more }, 'types', profile);
    for (const nothing of [{}, { message: '  ' }, { changes: {} }]) {
      expect(correction(nothing)).toThrow(expect.objectContaining({ problems: [{ field: 'message', message: 'a correction needs the new values, or a message saying what is wrong', kind: 'required' }] }));
    }
    expect(correction({ message: 'Фамилия написана с ошибкой: Ахметова.' })()).toMatchObject({ types: ['rectification'] });
    expect(correction({ changes: { phone: '+7 701 000 11 22' } })()).toMatchObject({ changes: { phone: '+7 701 000 11 22' } });
  });
});

describe('submissionInput', () => {
  it('takes one type or a list of types, and refuses both rather than read one of them', () => {
    expect(submissionInput({ type: 'access', email: 'a@mail.example' })).toEqual({ input: { types: ['access'], email: 'a@mail.example' }, typesField: 'type' });
    expect(submissionInput({ types: ['access', 'erasure'] })).toEqual({ input: { types: ['access', 'erasure'] }, typesField: 'types' });
    expect(() => submissionInput({ type: 'access', types: ['erasure'] })).toThrow(
      new ValidationError([{ field: 'types', message: 'send either type or types, not both', kind: 'invalid' }], 'request'),
    );
  });
});

describe('the name on the form', () => {
  it('is one line of text: a control character a terminal or mail client would obey is refused, naming the field', () => {
    expect(parseSubmission({ types: ['access'], email: 'a@b.kz', language: 'kk', name: 'Әлия Құрманғали' })).toMatchObject({ name: 'Әлия Құрманғали' });
    for (const name of ['Aigerim\u001b[2K\raddress confirmed', 'Aigerim\nfrom: someone else', 'A\u009b31m']) {
      expect(() => parseSubmission({ types: ['access'], email: 'a@b.kz', language: 'ru', name })).toThrow(expect.objectContaining({ problems: [{ field: 'name', message: 'must be one line of text, without control characters', kind: 'format' }] }));
    }
  });
});

describe('the name on the form, drawn as it is', () => {
  it('refuses characters that turn the text around (U+202E and the like), naming the field', () => {
    for (const name of ['Aigerim\u202Efdp.exe', 'A\u2066B', 'A\u200FB']) {
      expect(() => parseSubmission({ types: ['access'], email: 'a@b.kz', language: 'ru', name })).toThrow(
        expect.objectContaining({ problems: [expect.objectContaining({ field: 'name', message: 'must not hold characters that change the direction of text (U+202E and the like)' })] }),
      );
    }
  });
});

describe('bodyHash', () => {
  it('is keyed: whoever reads the idempotency record without the key cannot test a guessed address or name against it', async () => {
    const submission = { types: ['access' as const], email: 'aigerim.s@mail.kz', name: 'Айгерим', language: 'kk' as const };
    const withKey = (secret: string) => ({ keyedHash: async (kind: string, value: string) => keyedHash(kind, value, secret) });
    const hash = await bodyHash(withKey('one-secret-of-at-least-32-bytes-long'), submission);
    expect(hash).toBe(await bodyHash(withKey('one-secret-of-at-least-32-bytes-long'), { ...submission, types: ['access', 'access'] }));
    expect(hash).not.toBe(await bodyHash(withKey('another-secret-of-at-least-32-bytes'), submission));
    const canonical = JSON.stringify({ types: ['access'], email: submission.email, name: submission.name, language: 'kk', changes: [] });
    expect(hash).not.toBe(createHash('sha256').update(canonical).digest('hex'));
  });
});

describe('submitRequest', () => {
  it('persists the request with its first audit event, then starts its workflow', async () => {
    const s = systemFor('profiles/demo.json');
    const { request, created } = await submitRequest(s.deps, { types: ['erasure', 'access', 'erasure'], email: 'aigerim@example.kz', language: 'ru' }, 'web');
    expect(created).toBe(true);
    expect(await s.deps.requests.get(request.id)).toMatchObject({ types: ['erasure', 'access'], status: 'RECEIVED', channel: 'web', receivedAt: NOW.toISOString() });
    expect(s.workflow.started).toEqual([request.id]);
    const [received] = await s.deps.audit.list(request.id);
    expect(received).toMatchObject({ type: 'request.received', detail: { channel: 'web', types: ['erasure', 'access'], dueAt: request.deadline.dueAt } });
    expect(JSON.stringify(received)).not.toContain('aigerim');
  });

  it("keeps the person's words with the request, and a different message is a different body for the same key", async () => {
    const s = systemFor('profiles/demo.json');
    const key = { key: 'key-m', field: 'Idempotency-Key' };
    const submission = { types: ['claim' as const], email: 'aigerim@example.kz', language: 'ru' as const, message: 'Мне звонят с рекламой, хотя я не давала согласия.' };
    const { request } = await submitRequest(s.deps, submission, 'web', key);
    expect((await s.deps.requests.get(request.id)).message).toBe(submission.message);
    await expect(submitRequest(s.deps, { ...submission, message: 'Другой текст' }, 'web', key)).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('runs on the earliest due date of its types, and an unclear request on the strictest of all', async () => {
    const { deps } = systemFor('profiles/demo.json');
    const access = deadlineFor(deps, ['access'], NOW);
    const erasure = deadlineFor(deps, ['erasure'], NOW);
    const both = deadlineFor(deps, ['erasure', 'access'], NOW);
    expect(both.dueAt).toBe([access.dueAt, erasure.dueAt].sort()[0]);
    const unclear = await submitRequest(deps, { types: [], email: 'a@mail.example', language: 'en' }, 'email');
    expect(Date.parse(unclear.request.deadline.dueAt)).toBeLessThanOrEqual(Date.parse(both.dueAt));
  });

  it('makes one request of a repeated submission with the same key, and starts its workflow again in case the first start was lost', async () => {
    const s = systemFor('profiles/demo.json');
    const submission = { types: ['access' as const], email: 'aigerim@example.kz', language: 'ru' as const };
    const key = { key: 'key-1', field: 'Idempotency-Key' };
    const first = await submitRequest(s.deps, submission, 'web', key);
    const again = await submitRequest(s.deps, submission, 'web', key);
    expect(again).toMatchObject({ created: false, request: { id: first.request.id } });
    expect(s.requests.requests.size).toBe(1);
    expect(s.workflow.started).toEqual([first.request.id, first.request.id]);
  });

  it('refuses the same key with another body, naming where the key came from, and makes no request of it', async () => {
    const s = systemFor('profiles/demo.json');
    const key = { key: 'key-1', field: 'Idempotency-Key' };
    await submitRequest(s.deps, { types: ['access'], email: 'aigerim@example.kz', language: 'ru' }, 'web', key);
    const reused = submitRequest(s.deps, { types: ['erasure'], email: 'someone.else@example.kz', language: 'ru' }, 'web', key);
    await expect(reused).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await expect(reused).rejects.toThrow(/Idempotency-Key/);
    expect(s.requests.requests.size).toBe(1);
  });
});
