import { describe, expect, it } from 'vitest';
import { eventsOfType } from '../../../functions/domain/audit.ts';
import { ConflictError, InvalidTokenError, MailDeferred, ValidationError } from '../../../functions/domain/errors.ts';
import { hashSecretCode, newSecretCode } from '../../../functions/domain/secret-code.ts';
import { confirmVerification } from '../../../functions/use-cases/confirm-verification.ts';
import { enterRequest } from '../../../functions/use-cases/operator-actions.ts';
import { MAX_WAITING_PER_LINK } from '../../../functions/use-cases/ports.ts';
import { acknowledge, closeUnverified, requestVerification, retryWithheldReceipt } from '../../../functions/use-cases/verification.ts';
import { watchDeadlines } from '../../../functions/use-cases/watch-deadlines.ts';
import { requestsOfCode } from '../../../functions/use-cases/verification-page.ts';
import { afterRead, auditTypes, mailsTo, NOW, OPERATOR, operatorMails, placeRequest, runToAnswer, systemFor } from '../../support/flow.ts';
import type { MemorySystem } from '../../support/memory-deps.ts';

const HOUR = 3_600_000;
const EMAIL = 'aigerim@example.kz';

/** The verification step of a request for `email`, with a code the test knows. */
async function stepRuns(s: MemorySystem, id: string, code: string, expiresInHours = 72) {
  await requestVerification(s.deps, id, `token-${id}`, new Date(NOW.getTime() + expiresInHours * HOUR), () => ({ code, codeHash: hashSecretCode(code) }));
}

const codeOf = (letter: string) => letter.repeat(43);

async function linkSent(expiresInHours = 72) {
  const s = systemFor('profiles/demo.json');
  const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
  await stepRuns(s, request.id, codeOf('c'), expiresInHours);
  return { s, request, code: codeOf('c') };
}

describe('requestVerification', () => {
  it('mails one receipt with the link in the request\'s language and keeps only the hash of the code', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', language: 'kk' });
    await stepRuns(s, request.id, codeOf('c'));
    const [mail, ...more] = mailsTo(s, request.email);
    expect(more).toEqual([]);
    expect(mail!.text).toContain(`https://privacy.example/verify?code=${codeOf('c')}&lang=kk`);
    expect(mail!.text).toContain('2026 жылғы 13 ақпан, 10:15 (Астана уақыты)');
    const link = await s.deps.verifications.peek(hashSecretCode(codeOf('c')), NOW);
    expect(link).toMatchObject({ owner: request.id, waiting: [request.id], mailedAt: NOW.toISOString() });
    expect(JSON.stringify(link)).not.toContain(codeOf('c'));
    expect(await s.deps.verifications.task(request.id)).toBe(`token-${request.id}`);
    expect(await auditTypes(s, request.id)).toContain('verification.requested');
  });

  it('ends at once the wait of a request confirmed before its step ran again (a restart), mailing nothing more', async () => {
    const { s, request, code } = await linkSent();
    await confirmVerification(s.deps, code);
    const verifiedAt = (await s.deps.requests.get(request.id)).verifiedAt!;
    // An access request begins as it is confirmed: its release takes its sources, found again by a restarted step.
    expect(s.workflow.completed).toEqual([{ taskToken: `token-${request.id}`, output: { verifiedAt, begun: true } }]);
    await requestVerification(s.deps, request.id, 'token-after-restart', new Date(NOW.getTime() + 72 * HOUR), () => ({ code: codeOf('e'), codeHash: hashSecretCode(codeOf('e')) }));
    expect(s.workflow.completed.at(-1)).toEqual({ taskToken: 'token-after-restart', output: { verifiedAt, begun: true } });
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
    await expect(s.deps.verifications.peek(hashSecretCode(codeOf('e')), NOW)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('ends its own wait when the link is confirmed while the step runs again, right after it read the request: the step kept its token first', async () => {
    const { s, request, code } = await linkSent();
    afterRead(s, request.id, () => confirmVerification(s.deps, code));
    await requestVerification(s.deps, request.id, 'token-after-restart', new Date(NOW.getTime() + 72 * HOUR), () => ({ code: codeOf('e'), codeHash: hashSecretCode(codeOf('e')) }));
    const verifiedAt = (await s.deps.requests.get(request.id)).verifiedAt!;
    // The confirmation found the token of this run, not the one of the run before.
    expect(s.workflow.completed).toEqual([{ taskToken: 'token-after-restart', output: { verifiedAt, begun: true } }]);
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
  });

  it('moves a new request to wait for verification as the execution\'s first step, once however often the step runs', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'RECEIVED', email: EMAIL });
    await stepRuns(s, request.id, codeOf('c'));
    expect((await s.deps.requests.get(request.id)).status).toBe('AWAITING_VERIFICATION');
    // A restart runs the step again: the request is found moved, and it joins its own link, mailed already.
    await requestVerification(s.deps, request.id, 'token-after-restart', new Date(NOW.getTime() + 72 * HOUR), () => ({ code: codeOf('e'), codeHash: hashSecretCode(codeOf('e')) }));
    expect((await auditTypes(s, request.id)).filter((type) => type === 'status.changed')).toHaveLength(1);
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
    expect(await s.deps.verifications.task(request.id)).toBe('token-after-restart');
  });

  it('moves a request that makes a new link in the same write as the link\'s event, and only after the link is made: nobody has its code before the mail', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'RECEIVED', email: EMAIL });
    const moves: unknown[] = [];
    const transition = s.deps.requests.transition.bind(s.deps.requests);
    s.deps.requests.transition = async (...args) => (moves.push(args.slice(1)), transition(...args));
    const open = s.deps.verifications.open.bind(s.deps.verifications);
    s.deps.verifications.open = async (...args) => {
      expect((await s.deps.requests.get(request.id)).status).toBe('RECEIVED');
      return open(...args);
    };
    await stepRuns(s, request.id, codeOf('c'));
    expect(await auditTypes(s, request.id)).toEqual(['request.received', 'verification.requested', 'status.changed', 'mail.sent']);
    expect(moves).toEqual([['RECEIVED', 'AWAITING_VERIFICATION', {}, [{ type: 'verification.requested', detail: { expiresAt: new Date(NOW.getTime() + 72 * HOUR).toISOString(), joined: false } }]]]);
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
  });

  it('mails the link once when the step dies between making it and moving the request', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'RECEIVED', email: EMAIL });
    const transition = s.deps.requests.transition.bind(s.deps.requests);
    s.deps.requests.transition = async () => {
      s.deps.requests.transition = transition;
      throw new Error('the function timed out');
    };
    await expect(stepRuns(s, request.id, codeOf('c'))).rejects.toThrow('timed out');
    expect(mailsTo(s, EMAIL)).toEqual([]);
    // Retried: the unmailed link's code died with the run, so a new link is made, mailed, and confirms the request.
    await stepRuns(s, request.id, codeOf('d'));
    expect(mailsTo(s, EMAIL).map((m) => m.text.includes(codeOf('d')))).toEqual([true]);
    expect(await confirmVerification(s.deps, codeOf('d'))).toEqual({ confirmed: [request.id], notConfirmed: [] });
    expect((await s.deps.requests.get(request.id)).verifiedAt).toBeDefined();
  });

  it('marks every request ticked before it releases any: an erasure listed first finds the access confirmed with it', async () => {
    const s = systemFor('profiles/demo.json');
    const erasure = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    const access = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, erasure.id, codeOf('e'));
    await stepRuns(s, access.id, codeOf('f'));
    const statusesAtRelease: string[][] = [];
    const completeTask = s.workflow.completeTask.bind(s.workflow);
    s.workflow.completeTask = async (taskToken, output) => {
      statusesAtRelease.push(await Promise.all([erasure.id, access.id].map(async (id) => (await s.deps.requests.get(id)).status)));
      return completeTask(taskToken, output);
    };
    expect(await confirmVerification(s.deps, codeOf('e'), [erasure.id, access.id])).toEqual({ confirmed: [erasure.id, access.id], notConfirmed: [] });
    expect(statusesAtRelease).toEqual([
      ['IN_PROGRESS', 'IN_PROGRESS'],
      ['IN_PROGRESS', 'IN_PROGRESS'],
    ]);
  });

  it('fails, mailing nothing, when its move loses a race while the request stays RECEIVED; its retry mails the link once', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'RECEIVED', email: EMAIL });
    // The store gives up on a request whose revision or trail kept moving (an operator's note, the watch's event).
    const transition = s.deps.requests.transition.bind(s.deps.requests);
    s.deps.requests.transition = async () => {
      s.deps.requests.transition = transition;
      throw new ConflictError(`request ${request.id} kept changing`);
    };
    await expect(stepRuns(s, request.id, codeOf('c'))).rejects.toBeInstanceOf(ConflictError);
    expect(mailsTo(s, EMAIL)).toEqual([]);
    expect((await s.deps.requests.get(request.id)).status).toBe('RECEIVED');
    expect(await auditTypes(s, request.id)).toEqual(['request.received']);
    // The step's retry moves it and mails a link that confirms it.
    await stepRuns(s, request.id, codeOf('d'));
    expect(mailsTo(s, EMAIL).map((m) => m.text.includes(codeOf('d')))).toEqual([true]);
    expect(await confirmVerification(s.deps, codeOf('d'))).toEqual({ confirmed: [request.id], notConfirmed: [] });
    expect(s.workflow.completed).toEqual([{ taskToken: `token-${request.id}`, output: { verifiedAt: (await s.deps.requests.get(request.id)).verifiedAt, begun: true } }]);
  });

  it('mails no link for a request whose wait ended while the step made the link (started past its margin): closed, or being closed', async () => {
    for (const closing of ['closed', 'moved'] as const) {
      const s = systemFor('profiles/demo.json');
      const request = await placeRequest(s, ['access'], { status: 'RECEIVED', email: EMAIL });
      const open = s.deps.verifications.open.bind(s.deps.verifications);
      s.deps.verifications.open = async (...args) => {
        const opened = await open(...args);
        // CloseUnverified runs now: all of it, or only its move so far.
        if (closing === 'closed') await closeUnverified(s.deps, request.id);
        else await s.deps.requests.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
        return opened;
      };
      await stepRuns(s, request.id, codeOf('c'));
      if (closing === 'moved') await closeUnverified(s.deps, request.id);
      expect(mailsTo(s, EMAIL)).toEqual([]);
      expect((await s.deps.requests.get(request.id)).status).toBe('CLOSED_UNVERIFIED');
      await expect(confirmVerification(s.deps, codeOf('c'))).rejects.toBeInstanceOf(InvalidTokenError);
      const withheld = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'mail.withheld').map((e) => e.detail);
      expect(withheld).toEqual(
        expect.arrayContaining([
          { template: 'receipt', reason: 'wait_over' },
          { template: 'closedUnverified', reason: 'not_mailed_before' },
        ]),
      );
      expect(withheld).toHaveLength(2);
    }
  });

  it('mails no link when the step runs again (its first run died before mailing) and the wait ends while it makes the link', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    const open = s.deps.verifications.open.bind(s.deps.verifications);
    s.deps.verifications.open = async (...args) => {
      const opened = await open(...args);
      await closeUnverified(s.deps, request.id);
      return opened;
    };
    await stepRuns(s, request.id, codeOf('c'));
    expect(mailsTo(s, EMAIL)).toEqual([]);
    expect((await s.deps.requests.get(request.id)).status).toBe('CLOSED_UNVERIFIED');
    await expect(confirmVerification(s.deps, codeOf('c'))).rejects.toBeInstanceOf(InvalidTokenError);
    const withheld = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'mail.withheld').map((e) => e.detail);
    expect(withheld).toEqual([
      { template: 'closedUnverified', reason: 'not_mailed_before' },
      { template: 'receipt', reason: 'wait_over' },
    ]);
  });

  it('sends the link and the closing answer both, or neither, when the step runs again while the wait ends', async () => {
    // The wait ends while the re-run (its first run died before mailing) is under way: CloseUnverified reads the
    // trail, and the whole re-run happens just then — the link it mails is not in what CloseUnverified read.
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    const list = s.deps.audit.list.bind(s.deps.audit);
    let rerun = false;
    s.deps.audit.list = async (id) => {
      const trail = await list(id);
      if (!rerun) {
        rerun = true;
        await stepRuns(s, request.id, codeOf('c'));
      }
      return trail;
    };
    await closeUnverified(s.deps, request.id);
    expect((await s.deps.requests.get(request.id)).status).toBe('CLOSED_UNVERIFIED');
    const [link, closing, ...more] = mailsTo(s, EMAIL);
    expect(more).toEqual([]);
    expect(link!.text).toContain(codeOf('c'));
    expect(closing!.messageId).toContain(`${request.id}.closedUnverified.`);
    await expect(confirmVerification(s.deps, codeOf('c'))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('a closing step run again (it failed after its mail) neither spends the budget again nor mails twice', async () => {
    const { s, request } = await linkSent(0.5);
    const transition = s.deps.requests.transition.bind(s.deps.requests);
    let failures = 1;
    s.deps.requests.transition = async (...args) => {
      if (args[2] === 'CLOSED_UNVERIFIED' && failures-- > 0) throw new Error('the function timed out');
      return transition(...args);
    };
    const spendRecipient = s.deps.limits.spendRecipient.bind(s.deps.limits);
    let spent = 0;
    s.deps.limits.spendRecipient = async (...args) => (spent++, spendRecipient(...args));
    await expect(closeUnverified(s.deps, request.id)).rejects.toThrow('timed out');
    expect((await s.deps.requests.get(request.id)).status).toBe('AWAITING_VERIFICATION'); // open, where the watch sees it
    await closeUnverified(s.deps, request.id);
    await closeUnverified(s.deps, request.id);
    expect((await s.deps.requests.get(request.id)).status).toBe('CLOSED_UNVERIFIED');
    expect(mailsTo(s, EMAIL).filter((m) => !m.text.includes(codeOf('c')))).toHaveLength(1);
    expect(spent).toBe(1);
  });

  it('a receipt and a closing answer the relay defers go out on the step\'s retries, charged to the address once each', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'RECEIVED', email: EMAIL });
    const send = s.deps.mailer.send.bind(s.deps.mailer);
    let deferrals = 5;
    s.deps.mailer.send = async (mail) => {
      if (deferrals-- > 0) throw new MailDeferred('451 4.7.1 greylisted, try again later');
      return send(mail);
    };
    const spendRecipient = s.deps.limits.spendRecipient.bind(s.deps.limits);
    let spent = 0;
    s.deps.limits.spendRecipient = async (...args) => (spent++, spendRecipient(...args));
    // The step runs again after each deferral, as the workflow retries it: each run makes a link of its own.
    const codes = ['c', 'd', 'e', 'f', 'g', 'h'].map(codeOf);
    for (const code of codes) {
      try {
        await stepRuns(s, request.id, code);
        break;
      } catch (error) {
        expect(error).toBeInstanceOf(MailDeferred);
      }
    }
    const [receipt, ...more] = mailsTo(s, EMAIL);
    expect(more).toEqual([]);
    expect(receipt!.text).toContain(codes.at(-1));
    expect(spent).toBe(1);

    deferrals = 5;
    for (let run = 0; run < 6; run++) {
      try {
        await closeUnverified(s.deps, request.id);
        break;
      } catch (error) {
        expect(error).toBeInstanceOf(MailDeferred);
      }
    }
    expect((await s.deps.requests.get(request.id)).status).toBe('CLOSED_UNVERIFIED');
    const [, closing, ...after] = mailsTo(s, EMAIL);
    expect(after).toEqual([]);
    expect(closing!.messageId).toContain(`${request.id}.closedUnverified.`);
    expect(spent).toBe(2);
  });

  it('fulfils, never closes as unverified, a request confirmed as its wait ends, even when the confirmation lands just before the close', async () => {
    const { s, request, code } = await linkSent(0.5);
    const transition = s.deps.requests.transition.bind(s.deps.requests);
    s.deps.requests.transition = async (...args) => {
      if (args[2] === 'CLOSED_UNVERIFIED') await confirmVerification(s.deps, code);
      return transition(...args);
    };
    expect(await closeUnverified(s.deps, request.id)).toEqual({ confirmed: true });
    const stands = await s.deps.requests.get(request.id);
    // An access request begins as it is confirmed.
    expect(stands).toMatchObject({ status: 'IN_PROGRESS', verifiedAt: expect.any(String) });
  });

  it('moves a request that joins a link already mailed before it joins: confirmed right after, it is released', async () => {
    const { s, code } = await linkSent();
    const second = await placeRequest(s, ['erasure'], { status: 'RECEIVED', email: EMAIL });
    const join = s.deps.verifications.join.bind(s.deps.verifications);
    s.deps.verifications.join = async (...args) => {
      const joined = await join(...args);
      // The person ticks it on the link's page, having made it.
      await confirmVerification(s.deps, code, [second.id]);
      return joined;
    };
    await stepRuns(s, second.id, codeOf('d'));
    const verifiedAt = (await s.deps.requests.get(second.id)).verifiedAt;
    expect(verifiedAt).toBeDefined();
    expect(s.workflow.completed).toContainEqual({ taskToken: `token-${second.id}`, output: { verifiedAt, begun: true } });
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
  });

  it('sends the receipt of a request whose identity the operator attested once, whether the step died before the move or after it', async () => {
    const s = systemFor('profiles/demo.json');
    const { request } = await enterRequest(
      s.deps,
      { types: ['access'], email: EMAIL, language: 'ru', channel: 'phone', receivedAt: '2026-02-09', identity: 'attested', attestation: 'called back' },
      OPERATOR,
      { key: 'operator:k', field: 'Idempotency-Key' },
    );
    // The first run dies between the receipt and the move.
    const transition = s.deps.requests.transition.bind(s.deps.requests);
    s.deps.requests.transition = async () => {
      s.deps.requests.transition = transition;
      throw new Error('the function timed out');
    };
    await expect(stepRuns(s, request.id, codeOf('c'))).rejects.toThrow('timed out');
    expect((await s.deps.requests.get(request.id)).status).toBe('RECEIVED');
    // Retried: the request moves and, nobody deciding on it, begins; the wait ends at once. A run after that (a
    // restart) changes nothing.
    await stepRuns(s, request.id, codeOf('c'));
    await stepRuns(s, request.id, codeOf('c'));
    expect((await s.deps.requests.get(request.id)).status).toBe('IN_PROGRESS');
    expect(mailsTo(s, EMAIL).map((m) => m.text.includes('/verify?code='))).toEqual([false]);
    expect(s.workflow.completed).toEqual([1, 2].map(() => ({ taskToken: `token-${request.id}`, output: { verifiedAt: expect.any(String), begun: true } })));
    expect(await auditTypes(s, request.id)).toEqual(['request.received', 'mail.sent', 'status.changed', 'status.changed']);
  });

  it('begins the thread of a request made on the form or entered by an operator with its receipt, which the answer answers', async () => {
    const s = systemFor('profiles/demo.json');
    const web = await placeRequest(s, ['access'], { status: 'RECEIVED', email: EMAIL });
    await stepRuns(s, web.id, codeOf('c'));
    const { request: entered } = await enterRequest(
      s.deps,
      { types: ['access'], email: 'other@example.kz', language: 'ru', channel: 'post', receivedAt: '2026-02-09', identity: 'attested', attestation: 'паспорт' },
      OPERATOR,
      { key: 'operator:thread', field: 'Idempotency-Key' },
    );
    await stepRuns(s, entered.id, codeOf('d'));
    await s.deps.requests.transition(web.id, 'AWAITING_VERIFICATION', 'IN_PROGRESS', { verifiedAt: NOW.toISOString() });
    for (const [id, to] of [[web.id, EMAIL], [entered.id, 'other@example.kz']] as const) {
      await runToAnswer(s, id);
      const [receipt, answer, ...more] = mailsTo(s, to);
      expect(more).toEqual([]);
      expect(receipt).toMatchObject({ messageId: `<${id}.receipt@derbes.local>` });
      expect(receipt!.inReplyTo).toBeUndefined();
      expect(answer).toMatchObject({ inReplyTo: `<${id}.receipt@derbes.local>`, references: [`<${id}.receipt@derbes.local>`] });
    }
  });

  it('names, in the receipt of an entered request, the channel the person made it by — not every channel there is', async () => {
    const cases = [
      { channel: 'phone', language: 'kk', says: 'Сіз телефон арқылы берген сұрауыңызды тіркедік: ' },
      { channel: 'post', language: 'ru', says: 'Мы зарегистрировали ваш запрос, сделанный по почте и полученный ' },
      { channel: 'in_person', language: 'en', says: 'We have registered the request you made in person, received on ' },
    ] as const;
    for (const { channel, language, says } of cases) {
      const s = systemFor('profiles/demo.json');
      const { request } = await enterRequest(
        s.deps,
        { types: ['access'], email: EMAIL, language, channel, receivedAt: '2026-02-09', identity: 'attested', attestation: 'called back' },
        OPERATOR,
        { key: `operator:${channel}`, field: 'Idempotency-Key' },
      );
      await stepRuns(s, request.id, codeOf('c'));
      const [receipt] = mailsTo(s, EMAIL);
      expect(receipt!.text).toContain(says);
      expect(receipt!.text).not.toMatch(/Телефон, пошта|по телефону, почтой|by telephone, by post/);
    }
  });

  it('tells the person of a request entered with a link how and when they made it, not that it was sent in the name of their address', async () => {
    const s = systemFor('profiles/demo.json');
    const { request } = await enterRequest(
      s.deps,
      { types: ['access'], email: EMAIL, language: 'ru', channel: 'post', receivedAt: '2026-02-09', identity: 'mail' },
      OPERATOR,
      { key: 'operator:post-link', field: 'Idempotency-Key' },
    );
    await stepRuns(s, request.id, codeOf('c'));
    const [receipt, ...more] = mailsTo(s, EMAIL);
    expect(more).toEqual([]);
    expect(receipt!.subject).toBe(`[${request.id}] Ваш запрос зарегистрирован — подтвердите его`);
    expect(receipt!.text).toContain('Мы зарегистрировали запрос, сделанный по почте и полученный 9 февраля 2026: сведения о ваших персональных данных.');
    // Received on the 9th, entered on the 10th: the law's date is still ahead, and the receipt keeps to it.
    expect(receipt!.text).toContain('Ответ будет направлен не позднее 12 февраля 2026, 23:59 по времени Астаны (');
    expect(receipt!.text).toContain('/verify?code=');
    expect(receipt!.text).not.toContain('от имени этого адреса электронной почты');
    expect(request.entry?.promisedBy).toBeUndefined();
  });

  it('says, in the receipt of a request entered after its due date, that the date was missed and when the answer will come instead', async () => {
    const cases = [
      // Received by post on Monday 2 February, entered on the 10th: erasure was due on the 3rd.
      {
        identity: 'attested', language: 'kk', channel: 'post',
        says: ['Сіз пошта арқылы берген сұрауыңызды тіркедік: ', 'Алынған уақыты: 2026 жылғы 2 ақпан\n', 'Заң бойынша жауап берудің соңғы мерзімі — 2026 жылғы 3 ақпан, 23:59 (Астана уақыты)', 'Жауапты 2026 жылғы 11 ақпан, 23:59 (Астана уақыты) дейін жібереміз'],
      },
      {
        identity: 'mail', language: 'ru', channel: 'post',
        says: ['Мы зарегистрировали запрос, сделанный по почте и полученный 2 февраля 2026: ', 'По закону ответ нужно дать не позднее 3 февраля 2026, 23:59 по времени Астаны', 'Ответ будет направлен не позднее 11 февраля 2026, 23:59 по времени Астаны — в тот же срок, отсчитанный от дня регистрации запроса.'],
      },
      {
        identity: 'attested', language: 'en', channel: 'phone',
        says: ['We have registered the request you made by telephone, received on 2 February 2026: ', 'The law gives until 3 February 2026, 23:59 Astana time to answer', 'The answer will be sent no later than 11 February 2026, 23:59 Astana time: the same term'],
      },
    ] as const;
    for (const { identity, language, channel, says } of cases) {
      const s = systemFor('profiles/demo.json');
      const { request } = await enterRequest(
        s.deps,
        { types: ['erasure'], email: EMAIL, language, channel, receivedAt: '2026-02-02', identity, ...(identity === 'attested' ? { attestation: 'паспорт' } : {}) },
        OPERATOR,
        { key: `operator:late-${language}`, field: 'Idempotency-Key' },
      );
      expect(request.entry?.promisedBy).toBe('2026-02-11T23:59:59+05:00');
      await stepRuns(s, request.id, codeOf('c'));
      const [receipt] = mailsTo(s, EMAIL);
      for (const line of says) expect(receipt!.text).toContain(line);
      expect(receipt!.text).not.toMatch(/направлен не позднее 3 февраля|соңғы мерзімі: 2026 жылғы 3 ақпан|due no later than 3 February/);
    }
  });

  it('counts a request entered within the safety margin of its due date as late: the receipt does not promise a date it cannot keep', async () => {
    const s = systemFor('profiles/demo.json');
    // Erasure received on Monday the 9th is due on Tuesday the 10th, 23:59; it is entered at 20:30, inside the 4-hour margin.
    s.setNow(new Date('2026-02-10T15:30:00Z'));
    const { request } = await enterRequest(
      s.deps,
      { types: ['erasure'], email: EMAIL, language: 'ru', channel: 'phone', receivedAt: '2026-02-09', identity: 'attested', attestation: 'перезвонили' },
      OPERATOR,
      { key: 'operator:close', field: 'Idempotency-Key' },
    );
    await stepRuns(s, request.id, codeOf('c'));
    const [receipt] = mailsTo(s, EMAIL);
    expect(receipt!.text).toContain('По закону ответ нужно дать не позднее 10 февраля 2026, 23:59 по времени Астаны');
    expect(receipt!.text).toContain('Ответ будет направлен не позднее 11 февраля 2026, 23:59 по времени Астаны');
  });

  it('keeps the watch true to what a late entry was promised: no alert of a date long past, the promise kept and then alerted on', async () => {
    const s = systemFor('profiles/demo.json');
    const { request } = await enterRequest(
      s.deps,
      { types: ['access'], email: EMAIL, language: 'ru', channel: 'post', receivedAt: '2026-02-02', identity: 'attested', attestation: 'паспорт' },
      OPERATOR,
      { key: 'operator:watch', field: 'Idempotency-Key' },
    );
    await stepRuns(s, request.id, codeOf('c'));
    s.setNow(new Date(NOW.getTime() + 10 * 60_000));
    await watchDeadlines(s.deps);
    // The operator who entered it knows the law's date is past (the inbox shows it overdue): no reminders at once.
    expect(operatorMails(s)).toEqual([]);
    // Only the receipt: no notice at the law's margin, long past, saying "we write before the term".
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
    // The promise (access: 3 working days from the 10th) is the one the person hears of again, at its margin.
    expect(request.entry?.promisedBy).toBe('2026-02-13T23:59:59+05:00');
    s.setNow(new Date('2026-02-13T16:00:00Z'));
    await watchDeadlines(s.deps);
    const [, notice] = mailsTo(s, EMAIL);
    expect(notice!.text).toContain('Мы пишем до истечения срока (13 февраля 2026, 23:59 по времени Астаны)');
    // Past the promise, the operator hears it, with both dates; the day received reads as a day.
    s.setNow(new Date('2026-02-14T01:00:00Z'));
    await watchDeadlines(s.deps);
    const overdue = operatorMails(s).find((m) => m.subject.includes('Обещанный срок ответа истёк'))!;
    expect(overdue.text).toContain('получен 2 февраля 2026, срок ответа');
    expect(overdue.text).toContain('Срок ответа по закону — 5 февраля 2026, 23:59 по времени Астаны; запрос внесён, когда он уже прошёл или вот-вот проходил. В подтверждении получения человеку обещан ответ не позднее 13 февраля 2026, 23:59 по времени Астаны.');
  });

  it('does for an execution started before, at its Acknowledge step, what the start and the step now do, and the step then adds nothing twice', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access', 'erasure'], { status: 'RECEIVED', email: EMAIL });
    expect(await acknowledge(s.deps, request.id)).toEqual({
      requestId: request.id,
      verificationExpiresAt: '2026-02-11T14:59:59.000Z',
      verificationTimeoutSeconds: (Date.parse('2026-02-11T14:59:59.000Z') - NOW.getTime()) / 1000,
      sourceIds: ['customers'],
      recordsConsent: false,
    });
    expect(s.mailer.sent).toEqual([]);
    await stepRuns(s, request.id, codeOf('c'));
    expect((await auditTypes(s, request.id)).filter((type) => type === 'status.changed')).toHaveLength(1);
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
  });

  it('tells a person whose mail could not be classified that a person will read it, instead of listing no types', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, [], { status: 'AWAITING_VERIFICATION' });
    await stepRuns(s, request.id, codeOf('c'));
    expect(mailsTo(s, request.email)[0]!.subject).toBe(`[${request.id}] We have received your message`);
  });

  it('lets a second request for the same address join the link already mailed, without a second mail', async () => {
    const { s, request } = await linkSent();
    const second = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, second.id, codeOf('d'));
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
    expect((await s.deps.verifications.peek(hashSecretCode(codeOf('c')), NOW)).waiting).toEqual([request.id, second.id]);
    expect((await s.deps.audit.list(second.id)).find((e) => e.type === 'verification.requested')!.detail).toMatchObject({ joined: true });
  });

  it('gives a request for an address whose link is full a link of its own, and mails it', async () => {
    const { s } = await linkSent();
    const others = Array.from({ length: MAX_WAITING_PER_LINK - 1 }, (_, i) => `DRB-FULL${String(i).padStart(2, '0')}-AAAAA`);
    expect(await s.deps.verifications.join(hashSecretCode(codeOf('c')), others, NOW)).toBe(true);
    expect((await s.deps.verifications.peek(hashSecretCode(codeOf('c')), NOW)).waiting).toHaveLength(MAX_WAITING_PER_LINK);
    const next = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, next.id, codeOf('d'));
    expect(mailsTo(s, EMAIL)).toHaveLength(2);
  });

  it('makes a new link for a request whose own would outlive the one mailed, rather than join a link about to expire', async () => {
    const { s } = await linkSent(0.5);
    const second = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, second.id, codeOf('d'));
    expect(mailsTo(s, EMAIL)).toHaveLength(2);
  });

  it('counts other spellings of a mailbox (name+tag@, Gmail\'s dots, Yandex\'s domains) against one budget they share, apart from the mailbox\'s own address', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { recipientMails: { max: 2, windowHours: 24 } } }) });
    const mailed = async (emails: string[], letters: string) => {
      for (const [i, email] of emails.entries()) {
        const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email });
        await stepRuns(s, request.id, codeOf(letters[i]!));
      }
      return emails.map((email) => mailsTo(s, email).length);
    };
    // Tags of one mailbox share a budget; the mailbox's own address keeps its own, which no stranger's tags can spend.
    expect(await mailed(['flood+1@victim.example', 'flood+2@victim.example', 'flood+3@victim.example', 'flood@victim.example'], 'cdef')).toEqual([1, 1, 0, 1]);
    // Gmail delivers every placement of dots, and googlemail.com, to one mailbox.
    expect(await mailed(['f.loodme@gmail.com', 'fl.oodme@gmail.com', 'floodme@googlemail.com', 'f.l.o.o.d.m.e+x@gmail.com', 'floodme@gmail.com'], 'ghijk')).toEqual([1, 1, 0, 0, 1]);
    // Yandex reads a dot and a hyphen alike, and delivers all its domains to one mailbox.
    expect(await mailed(['d.anna@yandex.kz', 'd-anna@ya.ru', 'd.anna@yandex.com', 'd-anna@yandex.ru'], 'mnop')).toEqual([1, 1, 0, 1]);
    // Another mailbox at the same domain has its own budget.
    expect(await mailed(['other+1@victim.example'], 'l')).toEqual([1]);
  });

  it('withholds the mail once the address\'s budget is spent, and a later request makes a link for all that waited', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { recipientMails: { max: 1, windowHours: 24 } } }) });
    const first = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, first.id, codeOf('c'), 0.5);
    // The first link has expired: the next request needs a link of its own, but the address's budget is spent.
    s.setNow(new Date(NOW.getTime() + HOUR));
    const second = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, second.id, codeOf('d'));
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
    expect((await s.deps.audit.list(second.id)).find((e) => e.type === 'mail.withheld')!.detail).toEqual({ template: 'receipt', reason: 'recipient_budget' });
    // The budget's window passes: the next request takes over the withheld link's request, and one mail confirms both.
    s.setNow(new Date(NOW.getTime() + 25 * HOUR));
    const third = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, third.id, codeOf('e'));
    expect(mailsTo(s, EMAIL)).toHaveLength(2);
    await expect(requestsOfCode(s.deps, codeOf('d'))).rejects.toBeInstanceOf(InvalidTokenError);
    // The request taken over was never named in a mail: the page lists it for the person to tick.
    expect((await requestsOfCode(s.deps, codeOf('e'))).map((r) => r.id)).toEqual([third.id, second.id]);
  });

  it('alerts the operator once when the hour\'s budget for all unconfirmed addresses runs out', async () => {
    // Half of the hour's two for the web's requests, half for mail's.
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { unverifiedMailsPerHour: 2 } }) });
    for (const email of ['one@mail.example', 'two@mail.example', 'three@mail.example']) {
      const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email });
      await stepRuns(s, request.id, newSecretCode().code);
    }
    expect(mailsTo(s, 'one@mail.example')).toHaveLength(1);
    expect([...mailsTo(s, 'two@mail.example'), ...mailsTo(s, 'three@mail.example')]).toEqual([]);
    expect(operatorMails(s)).toHaveLength(1);
  });

  it('keeps a mail the hour\'s budget refused withheld when the step runs again because the operator\'s alert was deferred', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { unverifiedMailsPerHour: 2 } }) });
    const first = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: 'one@mail.example' });
    await stepRuns(s, first.id, newSecretCode().code);
    const send = s.deps.mailer.send.bind(s.deps.mailer);
    let deferrals = 1;
    s.deps.mailer.send = async (mail) => {
      if (mail.to === s.deps.profile.operator.contactEmail && deferrals-- > 0) throw new MailDeferred('451 4.7.1 try again later');
      return send(mail);
    };
    const second = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: 'two@mail.example' });
    await expect(stepRuns(s, second.id, codeOf('c'))).rejects.toBeInstanceOf(MailDeferred);
    await stepRuns(s, second.id, codeOf('d'));
    expect(mailsTo(s, 'two@mail.example')).toEqual([]);
    const withheld = (await s.deps.audit.list(second.id)).filter((e) => e.type === 'mail.withheld').map((e) => e.detail);
    expect(withheld).toEqual([{ template: 'receipt', reason: 'hourly_budget' }]);
  });

  it('keeps a share of the hour for each channel: requests made by mail using theirs up leave the web\'s whole', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { unverifiedMailsPerHour: 4, mailShareOfHour: 0.5 } }) });
    const byMail = [];
    for (let i = 0; i < 3; i++) {
      const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: `forged${i}@mail.example`, channel: 'email' });
      await stepRuns(s, request.id, newSecretCode().code);
      byMail.push(request);
    }
    expect(byMail.map((r) => mailsTo(s, r.email).length)).toEqual([1, 1, 0]);
    const web = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: 'real.person@mail.example' });
    await stepRuns(s, web.id, newSecretCode().code);
    expect(mailsTo(s, 'real.person@mail.example')).toHaveLength(1);
    // The alert names the share that ran out, and its size.
    const [alert, ...more] = operatorMails(s);
    expect(more).toEqual([]);
    expect(alert!.text).toContain('2 писем на запросы, пришедшие по почте');
  });

  it('mails a receipt the hour\'s budget withheld once a later hour allows it, with a link that confirms the request, once', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { unverifiedMailsPerHour: 2 } }) });
    const first = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: 'one@mail.example' });
    await stepRuns(s, first.id, codeOf('c'));
    const held = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: 'two@mail.example' });
    await stepRuns(s, held.id, codeOf('d'));
    expect(mailsTo(s, 'two@mail.example')).toEqual([]);
    // Within the same hour the budget would refuse it again: nothing is tried.
    expect(await retryWithheldReceipt(s.deps, await s.deps.requests.get(held.id), () => ({ code: codeOf('e'), codeHash: hashSecretCode(codeOf('e')) }))).toBe(false);
    s.setNow(new Date(NOW.getTime() + HOUR));
    const report = await watchDeadlines(s.deps);
    expect(report.receiptsMailedAgain).toBe(1);
    const [receipt, ...more] = mailsTo(s, 'two@mail.example');
    expect(more).toEqual([]);
    const code = decodeURIComponent(/code=([^&\s]+)/.exec(receipt!.text)![1]!);
    expect(await confirmVerification(s.deps, code)).toEqual({ confirmed: [held.id], notConfirmed: [] });
    // A later run finds it mailed: nothing more.
    s.setNow(new Date(NOW.getTime() + 2 * HOUR));
    expect((await watchDeadlines(s.deps)).receiptsMailedAgain).toBe(0);
    expect(mailsTo(s, 'two@mail.example')).toHaveLength(1);
  });

  it('does nothing for a request confirmed or closed meanwhile', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    await stepRuns(s, request.id, codeOf('c'));
    expect(s.mailer.sent).toEqual([]);
  });
});

describe('requestsOfCode (the page behind the link)', () => {
  it('names the requests without using the code', async () => {
    const { s, request, code } = await linkSent();
    for (let read = 0; read < 2; read++) {
      expect((await requestsOfCode(s.deps, code)).map((r) => r.id)).toEqual([request.id]);
    }
    expect(s.workflow.completed).toEqual([]);
  });

  it('refuses a malformed code before it reaches the store', async () => {
    const { s } = await linkSent();
    await expect(requestsOfCode(s.deps, 'short')).rejects.toThrow(new InvalidTokenError('verification code is malformed'));
  });
});

describe('confirmVerification', () => {
  it('uses the code, marks the link\'s own request and the others ticked confirmed with the time, and releases their workflows', async () => {
    const { s, request, code } = await linkSent();
    const second = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, second.id, codeOf('d'));
    expect(await confirmVerification(s.deps, code, [request.id, second.id])).toEqual({ confirmed: [request.id, second.id], notConfirmed: [] });
    expect(await s.deps.requests.get(request.id)).toMatchObject({ status: 'IN_PROGRESS', verifiedAt: NOW.toISOString() });
    expect(s.workflow.completed).toEqual([
      { taskToken: `token-${request.id}`, output: { verifiedAt: NOW.toISOString(), begun: true } },
      { taskToken: `token-${second.id}`, output: { verifiedAt: NOW.toISOString(), begun: true } },
    ]);
    expect(await auditTypes(s, request.id)).toContain('verification.confirmed');
  });

  it('begins a request nobody decides on as it is confirmed, in the same write, and says so as it releases it; one that needs a decision is planned by the workflow', async () => {
    const { s, request, code } = await linkSent();
    const place = (types: string[]) => placeRequest(s, types as never, { status: 'AWAITING_VERIFICATION', email: EMAIL });
    // One sent with a Global Privacy Control signal, a withdrawal of every consent; then a claim and an unclear mail.
    const [signalled, withdrawal, claim, unclear] = [await place(['access']), await place(['consent_withdrawal']), await place(['claim']), await place([])];
    await s.deps.requests.amend(signalled!.id, 'AWAITING_VERIFICATION', { gpc: {} }, []);
    for (const other of [signalled!, withdrawal!, claim!, unclear!]) await stepRuns(s, other.id, codeOf('d'));
    const writes: string[] = [];
    const markVerified = s.deps.requests.markVerified.bind(s.deps.requests);
    s.deps.requests.markVerified = async (...args) => {
      const marked = await markVerified(...args);
      writes.push(marked.request.id);
      return marked;
    };
    const all = [request, signalled!, withdrawal!, claim!, unclear!].map((r) => r.id);
    expect(await confirmVerification(s.deps, code, all)).toEqual({ confirmed: all, notConfirmed: [] });
    expect(writes).toEqual(all);
    for (const begun of [request, signalled!, withdrawal!]) {
      expect(await s.deps.requests.get(begun.id)).toMatchObject({ status: 'IN_PROGRESS', verifiedAt: NOW.toISOString() });
      // Verified and begun in one write: its two events in order.
      const trail = await auditTypes(s, begun.id);
      expect(trail.slice(trail.indexOf('verification.confirmed'), trail.indexOf('verification.confirmed') + 2)).toEqual(['verification.confirmed', 'status.changed']);
      expect(s.workflow.completed).toContainEqual({ taskToken: `token-${begun.id}`, output: { verifiedAt: NOW.toISOString(), begun: true } });
    }
    // The ledger is the workflow's (RecordConsent, from the execution's input): the public page writes none of it.
    expect(await s.deps.consent.history(await s.deps.personKey(EMAIL))).toEqual([]);
    for (const planned of [claim!, unclear!]) {
      expect(await s.deps.requests.get(planned.id)).toMatchObject({ status: 'AWAITING_VERIFICATION', verifiedAt: NOW.toISOString() });
      expect(s.workflow.completed).toContainEqual({ taskToken: `token-${planned.id}`, output: { verifiedAt: NOW.toISOString() } });
    }
  });

  it('confirms a request whose wait has just ended: the mark stays for the step that closes it to see', async () => {
    const { s, request, code } = await linkSent();
    s.workflow.ended.add(`token-${request.id}`);
    expect(await confirmVerification(s.deps, code)).toEqual({ confirmed: [request.id], notConfirmed: [] });
    expect((await s.deps.requests.get(request.id)).verifiedAt).toBe(NOW.toISOString());
    expect(await closeUnverified(s.deps, request.id)).toEqual({ confirmed: true });
    // Not closed, and no closing answer: begun as it was confirmed, the workflow fulfils it.
    expect(await s.deps.requests.get(request.id)).toMatchObject({ status: 'IN_PROGRESS', verifiedAt: NOW.toISOString() });
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
  });

  it('closes at once, unconfirmed and with no mail, a request someone else made for the address that joined the link and was left unticked', async () => {
    const { s, request, code } = await linkSent();
    // A stranger asks, in the person's name, to erase their data: no mail of its own, it waits on the person's link.
    const stranger = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, stranger.id, codeOf('d'));
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
    expect((await requestsOfCode(s.deps, code)).map((r) => r.id)).toEqual([request.id, stranger.id]);
    // The person presses "Confirm" for their own request, ticking nothing else.
    expect(await confirmVerification(s.deps, code)).toEqual({ confirmed: [request.id], notConfirmed: [stranger.id] });
    expect(s.workflow.completed.map((c) => c.taskToken)).toEqual([`token-${request.id}`]);
    // Its wait ends now, with the failure AwaitVerification catches as a timeout: CloseUnverified closes it.
    expect(s.workflow.failed).toEqual([{ taskToken: `token-${stranger.id}`, error: 'left_unticked' }]);
    expect(await closeUnverified(s.deps, stranger.id)).toEqual({ confirmed: false });
    expect(await s.deps.requests.get(stranger.id)).toMatchObject({ status: 'CLOSED_UNVERIFIED', closedAt: NOW.toISOString() });
    expect((await s.deps.requests.get(stranger.id)).verifiedAt).toBeUndefined();
    expect(await auditTypes(s, stranger.id)).toEqual(['request.received', 'status.changed', 'verification.requested', 'verification.left_unticked', 'status.changed']);
    // The receipt with the link, and nothing about the stranger's request.
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
    // The link is used: the request left out cannot be confirmed by pressing again.
    await expect(confirmVerification(s.deps, code, [stranger.id])).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('loses no request left unticked to a crash after the press: the wait\'s timeout closes it as the press would have, with no mail', async () => {
    const s = systemFor('profiles/demo.json');
    // The stranger's request came first, so the link was mailed for it: a closing answer would normally follow it.
    const stranger = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, stranger.id, codeOf('c'));
    const own = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, own.id, codeOf('d'));
    s.workflow.failTask = () => Promise.reject(new Error('the function stopped here'));
    await expect(confirmVerification(s.deps, codeOf('c'), [own.id])).rejects.toThrow('the function stopped here');
    expect((await s.deps.requests.get(stranger.id)).status).toBe('AWAITING_VERIFICATION');
    // Days later its wait times out.
    s.setNow(new Date(NOW.getTime() + 72 * HOUR));
    expect(await closeUnverified(s.deps, stranger.id)).toEqual({ confirmed: false });
    expect((await s.deps.requests.get(stranger.id)).status).toBe('CLOSED_UNVERIFIED');
    expect(mailsTo(s, EMAIL).map((mail) => mail.text.includes(stranger.id))).toEqual([true]);
    expect(eventsOfType(await s.deps.audit.list(stranger.id), 'mail.withheld')).toEqual([]);
  });

  it('closes without a mail or a new link a request left unticked whose wait went to the operator (an execution on a definition that does not catch it), once resumed', async () => {
    const { s, request, code } = await linkSent();
    const stranger = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, stranger.id, codeOf('d'));
    await confirmVerification(s.deps, code, [request.id]);
    // The previous definition took the failure to NeedsAttention; the operator resumes AwaitVerification.
    await requestVerification(s.deps, stranger.id, 'token-resumed', new Date(NOW.getTime() + 72 * HOUR), () => ({ code: codeOf('e'), codeHash: hashSecretCode(codeOf('e')) }));
    expect((await s.deps.requests.get(stranger.id)).status).toBe('CLOSED_UNVERIFIED');
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
    await expect(s.deps.verifications.peek(hashSecretCode(codeOf('e')), NOW)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('lists on the link\'s page the request it was mailed for, then the others in the order they were received', async () => {
    const { s, request, code } = await linkSent();
    const earlier = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    s.setNow(new Date(NOW.getTime() + 60_000));
    const later = await placeRequest(s, ['blocking'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    // The later one's step runs first, so it joins the link first.
    await stepRuns(s, later.id, codeOf('d'));
    await stepRuns(s, earlier.id, codeOf('e'));
    expect((await s.deps.verifications.peek(hashSecretCode(code), NOW)).waiting).toEqual([request.id, later.id, earlier.id]);
    expect((await requestsOfCode(s.deps, code)).map((r) => r.id)).toEqual([request.id, earlier.id, later.id]);
  });

  it('refuses a ticked reference that does not wait on the link, confirming nothing', async () => {
    const { s, request, code } = await linkSent();
    const elsewhere = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: 'someone.else@mail.example' });
    await expect(confirmVerification(s.deps, code, [elsewhere.id])).rejects.toThrow(
      new ValidationError([{ field: 'references', message: `not waiting on this link: ${elsewhere.id}` }], 'confirmation'),
    );
    for (const id of [request.id, elsewhere.id]) expect((await s.deps.requests.get(id)).verifiedAt).toBeUndefined();
    expect(s.workflow.completed).toEqual([]);
  });

  it('confirms the first request of a link only if the person ticks it: a stranger who writes first does not get their request confirmed by the person\'s press', async () => {
    const s = systemFor('profiles/demo.json');
    // A stranger asks first, in the person's name, to erase their data and greets them with words of their own: the link is mailed for it.
    const stranger = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: EMAIL, name: 'Служба безопасности: позвоните +7 777 000 00 00' });
    await stepRuns(s, stranger.id, codeOf('c'));
    const own = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, own.id, codeOf('d'));
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
    // The page lists both, none ticked; the person ticks the request they made.
    expect((await requestsOfCode(s.deps, codeOf('c'))).map((r) => r.id)).toEqual([stranger.id, own.id]);
    expect(await confirmVerification(s.deps, codeOf('c'), [own.id])).toEqual({ confirmed: [own.id], notConfirmed: [stranger.id] });
    expect(s.workflow.completed.map((c) => c.taskToken)).toEqual([`token-${own.id}`]);
    expect(s.workflow.failed).toEqual([{ taskToken: `token-${stranger.id}`, error: 'left_unticked' }]);
    // The link was mailed for the stranger's request, yet its closing sends nothing: the person just saw it close.
    expect(await closeUnverified(s.deps, stranger.id)).toEqual({ confirmed: false });
    const left = await s.deps.requests.get(stranger.id);
    expect([left.status, left.verifiedAt]).toEqual(['CLOSED_UNVERIFIED', undefined]);
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
  });

  it('confirms what the person ticked though the request the link was mailed for is closed; a choice of none is refused before the link is used', async () => {
    const { s, request, code } = await linkSent();
    const other = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, other.id, codeOf('d'));
    await expect(confirmVerification(s.deps, code, [])).rejects.toThrow(new ValidationError([{ field: 'references', message: 'tick at least one request', kind: 'required' }], 'confirmation'));
    await s.deps.requests.transition(request.id, 'AWAITING_VERIFICATION', 'CLOSED_UNVERIFIED', { closedAt: NOW.toISOString() });
    expect((await requestsOfCode(s.deps, code)).map((r) => r.id)).toEqual([other.id]);
    expect(await confirmVerification(s.deps, code, [other.id])).toEqual({ confirmed: [other.id], notConfirmed: [] });
  });

  it('names at most five references that do not wait on the link, and how many more', async () => {
    const { s, code } = await linkSent();
    const strangers = Array.from({ length: 8 }, (_, i) => `DRB-00000-0000${i}`);
    await expect(confirmVerification(s.deps, code, strangers)).rejects.toThrow(
      new ValidationError([{ field: 'references', message: `not waiting on this link: ${strangers.slice(0, 5).join(', ')} and 3 more` }], 'confirmation'),
    );
  });

  it('works once: a second press, or an expired link, is refused and changes nothing', async () => {
    const { s, code } = await linkSent();
    await confirmVerification(s.deps, code);
    await expect(confirmVerification(s.deps, code)).rejects.toBeInstanceOf(InvalidTokenError);
    const late = await linkSent(1);
    late.s.setNow(new Date(NOW.getTime() + 2 * HOUR));
    await expect(confirmVerification(late.s.deps, late.code)).rejects.toBeInstanceOf(InvalidTokenError);
    expect((await late.s.deps.requests.get(late.request.id)).verifiedAt).toBeUndefined();
    expect(late.s.workflow.completed).toEqual([]);
  });
});

describe('closeUnverified', () => {
  it('answers a person we wrote to with the reason, and closes the request', async () => {
    const { s, request } = await linkSent();
    await closeUnverified(s.deps, request.id);
    expect(mailsTo(s, request.email).map((m) => m.subject)).toEqual([
      `[${request.id}] We have received your request — please confirm it`,
      `[${request.id}] Your request is closed: the mailbox was not confirmed`,
    ]);
    expect(await s.deps.requests.get(request.id)).toMatchObject({ status: 'CLOSED_UNVERIFIED', closedAt: NOW.toISOString() });
  });

  it('closes without a mail a request that only joined another\'s link, so a flood of requests brings one mail', async () => {
    const { s } = await linkSent();
    const joined = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: EMAIL });
    await stepRuns(s, joined.id, codeOf('d'));
    await closeUnverified(s.deps, joined.id);
    expect(mailsTo(s, EMAIL)).toHaveLength(1);
    expect((await s.deps.audit.list(joined.id)).find((e) => e.type === 'mail.withheld')!.detail).toEqual({ template: 'closedUnverified', reason: 'not_mailed_before' });
    expect((await s.deps.requests.get(joined.id)).status).toBe('CLOSED_UNVERIFIED');
  });

  it('closes a request whose wait timed out before its step moved it (started past its margin, a one-second wait)', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'RECEIVED', email: EMAIL });
    await closeUnverified(s.deps, request.id);
    expect(mailsTo(s, EMAIL)).toEqual([]);
    expect((await s.deps.requests.get(request.id)).status).toBe('CLOSED_UNVERIFIED');
    // The step, still running, finds it closed: no link, no mail.
    await stepRuns(s, request.id, codeOf('c'));
    expect(mailsTo(s, EMAIL)).toEqual([]);
  });

  it('answers with the closing mail when the wait ends while the step is mailing the link', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'RECEIVED', email: EMAIL });
    const transition = s.deps.requests.transition.bind(s.deps.requests);
    s.deps.requests.transition = async (...args) => {
      s.deps.requests.transition = transition;
      const moved = await transition(...args);
      await closeUnverified(s.deps, request.id);
      return moved;
    };
    await stepRuns(s, request.id, codeOf('c'));
    expect(mailsTo(s, EMAIL).map((m) => m.subject).sort()).toEqual([
      `[${request.id}] We have received your request — please confirm it`,
      `[${request.id}] Your request is closed: the mailbox was not confirmed`,
    ]);
    expect((await s.deps.requests.get(request.id)).status).toBe('CLOSED_UNVERIFIED');
  });

  it('leaves a request that was confirmed and moved on alone', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    await closeUnverified(s.deps, request.id);
    expect(s.mailer.sent).toEqual([]);
    expect((await s.deps.requests.get(request.id)).status).toBe('IN_PROGRESS');
  });
});
