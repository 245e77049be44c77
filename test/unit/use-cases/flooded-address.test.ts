import { describe, expect, it } from 'vitest';
import { eventsOfType } from '../../../functions/domain/audit.ts';
import { InvalidTokenError } from '../../../functions/domain/errors.ts';
import { newSecretCode } from '../../../functions/domain/secret-code.ts';
import { confirmVerification, disownVerification } from '../../../functions/use-cases/confirm-verification.ts';
import { MAX_WAITING_PER_LINK } from '../../../functions/use-cases/ports.ts';
import { closeUnverified, requestVerification } from '../../../functions/use-cases/verification.ts';
import { requestsOfCode } from '../../../functions/use-cases/verification-page.ts';
import { watchDeadlines } from '../../../functions/use-cases/watch-deadlines.ts';
import { auditTypes, mailsTo, NOW, placeRequest, systemFor } from '../../support/flow.ts';
import type { MemorySystem } from '../../support/memory-deps.ts';

const HOUR = 3_600_000;
const PERSON = 'aigerim@example.kz';

/** A system whose links' codes the test keeps, in the order they were made. */
function flooded(recipientMails?: number) {
  const s = systemFor('profiles/demo.json', recipientMails ? { adjust: (json) => ({ ...json, limits: { recipientMails: { max: recipientMails, windowHours: 24 } } }) } : undefined);
  const codes: string[] = [];
  /** `count` requests for the person's address, each through its verification step (waits 72 hours). */
  const send = async (count: number, types: Parameters<typeof placeRequest>[1] = ['erasure']) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const request = await placeRequest(s, types, { status: 'AWAITING_VERIFICATION', email: PERSON });
      const expiresAt = new Date(s.deps.clock.now().getTime() + 72 * HOUR);
      await requestVerification(s.deps, request.id, `token-${request.id}`, expiresAt, () => {
        const made = newSecretCode();
        codes.push(made.code);
        return made;
      });
      ids.push(request.id);
    }
    return ids;
  };
  return { s, codes, send };
}

/** The code of the link a mail carries. */
const codeIn = (text: string) => decodeURIComponent(/code=([^&\s]+)/.exec(text)![1]!);

const withheld = async (s: MemorySystem, id: string) => eventsOfType(await s.deps.audit.list(id), 'mail.withheld').map((e) => e.detail);

describe('an address flooded with requests in its name', () => {
  it('gets one link more when its link is full, then no more links nor mail: later requests wait for its next link', async () => {
    const { s, codes, send } = flooded();
    await send(2 * MAX_WAITING_PER_LINK);
    // A full link opens one more: two mails, each listing a hundred of the stranger's requests.
    expect(codes).toHaveLength(2);
    expect(mailsTo(s, PERSON)).toHaveLength(2);
    const [own] = await send(1, ['access']);
    await send(50);
    // The person's own request and the stranger's next ones make no link and mail nothing; the address's budget
    // (six a day) is not spent on them.
    expect(codes).toHaveLength(2);
    expect(mailsTo(s, PERSON)).toHaveLength(2);
    expect(await withheld(s, own!)).toEqual([{ template: 'receipt', reason: 'link_full' }]);
    expect((await s.deps.requests.get(own!)).status).toBe('AWAITING_VERIFICATION');
    // A day later the window is over: a full link may open one more again.
    s.setNow(new Date(NOW.getTime() + 25 * HOUR));
    await send(1);
    expect(codes).toHaveLength(3);
  });

  it('closes, with "None of these are mine", every request its link lists, with no mail, and the person\'s own requests then get their link', async () => {
    const { s, codes, send } = flooded();
    const strangers = await send(2 * MAX_WAITING_PER_LINK);
    const [held] = await send(1, ['access']);
    expect(mailsTo(s, PERSON)).toHaveLength(2);

    // The person opens the latest mail: a hundred requests, none theirs.
    const listed = (await requestsOfCode(s.deps, codes[1]!)).map((r) => r.id);
    expect(listed).toEqual(strangers.slice(MAX_WAITING_PER_LINK));
    expect(await disownVerification(s.deps, codes[1]!)).toEqual(listed);
    for (const id of listed) {
      expect((await auditTypes(s, id)).at(-1)).toBe('verification.disowned');
      // Its wait ends now, as one left unticked does: the workflow closes it, with no mail.
      expect(await closeUnverified(s.deps, id)).toEqual({ confirmed: false });
      expect((await s.deps.requests.get(id)).status).toBe('CLOSED_UNVERIFIED');
    }
    expect(s.workflow.failed.map((f) => f.error)).toEqual(listed.map(() => 'left_unticked'));
    expect(s.workflow.completed).toEqual([]);
    expect(mailsTo(s, PERSON)).toHaveLength(2);
    // The link is used: neither button works on it again.
    await expect(disownVerification(s.deps, codes[1]!)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(confirmVerification(s.deps, codes[1]!, [listed[0]!])).rejects.toBeInstanceOf(InvalidTokenError);

    // The person's next request gets its receipt, with a link of its own.
    const [next] = await send(1, ['access']);
    const [receipt, ...more] = mailsTo(s, PERSON).slice(2);
    expect(more).toEqual([]);
    expect(receipt!.subject).toContain(next!);
    // The request held while the links were full joins it at the deadline watch's next run, with no mail of its own.
    expect((await watchDeadlines(s.deps)).receiptsMailedAgain).toBe(0);
    expect((await requestsOfCode(s.deps, codes[2]!)).map((r) => r.id)).toEqual([next!, held!]);
    expect(await confirmVerification(s.deps, codes[2]!, [next!, held!])).toEqual({ confirmed: [next!, held!], notConfirmed: [] });
    expect(mailsTo(s, PERSON)).toHaveLength(3);
  });

  it('mails a receipt the address\'s budget withheld once the person gives the budget back with "None of these are mine", trying it once an hour meanwhile', async () => {
    // A budget of one: the stranger's first link spends it, and the link opened when that one is full is withheld.
    const { s, codes, send } = flooded(1);
    const strangers = await send(MAX_WAITING_PER_LINK + 1);
    const [own] = await send(1, ['access']);
    expect(mailsTo(s, PERSON)).toHaveLength(1);
    expect(await withheld(s, own!)).toEqual([{ template: 'receipt', reason: 'recipient_budget' }]);

    // An hour on the budget is still spent: one of the two requests on the withheld link is tried, not both.
    s.setNow(new Date(NOW.getTime() + HOUR));
    const tried = async () => (await Promise.all([own!, strangers.at(-1)!].map((id) => withheld(s, id)))).flat().filter((detail) => detail.round);
    await watchDeadlines(s.deps);
    expect(await tried()).toEqual([{ template: 'receipt', reason: 'recipient_budget', round: 'again:2026-02-10T06' }]);
    expect(mailsTo(s, PERSON)).toHaveLength(1);

    // The person says the hundred on their link are not theirs: the budget is theirs again.
    await disownVerification(s.deps, codes[0]!);
    // Within the hour the receipt was last withheld in, nothing is tried; the next hour mails it, once.
    await watchDeadlines(s.deps);
    expect(await tried()).toHaveLength(1);
    expect(mailsTo(s, PERSON)).toHaveLength(1);
    s.setNow(new Date(NOW.getTime() + 2 * HOUR));
    expect((await watchDeadlines(s.deps)).receiptsMailedAgain).toBe(1);
    const receipt = mailsTo(s, PERSON)[1]!;
    // One link for both requests that waited; the person ticks their own.
    const code = codeIn(receipt.text);
    expect((await requestsOfCode(s.deps, code)).map((r) => r.id).sort()).toEqual([own!, strangers.at(-1)!].sort());
    expect((await watchDeadlines(s.deps)).receiptsMailedAgain).toBe(0);
  });
  it('mails the requests piled up on a full link whose mail was withheld once the budget frees, the person\'s own request too', async () => {
    // A budget of one: the first link spends it; the next hundred pile up on withheld links, each taking over the last.
    const { s, codes, send } = flooded(1);
    const strangers = await send(2 * MAX_WAITING_PER_LINK);
    const [own] = await send(1, ['access']);
    expect(mailsTo(s, PERSON)).toHaveLength(1);
    expect(await withheld(s, own!)).toEqual([{ template: 'receipt', reason: 'link_full' }]);
    // "None of these are mine" on the only link the person got gives the budget back.
    await disownVerification(s.deps, codes[0]!);
    // The next hour the hundred on the withheld link get their link, one mail; the person's own request, left out of
    // that full link, gets one once the address's budget frees again (a day on).
    s.setNow(new Date(NOW.getTime() + 2 * HOUR));
    expect((await watchDeadlines(s.deps)).receiptsMailedAgain).toBe(1);
    expect(mailsTo(s, PERSON)).toHaveLength(2);
    expect((await requestsOfCode(s.deps, codeIn(mailsTo(s, PERSON)[1]!.text))).map((r) => r.id).sort()).toEqual(strangers.slice(MAX_WAITING_PER_LINK).sort());
    for (let h = 3; h < 30; h++) {
      s.setNow(new Date(NOW.getTime() + h * HOUR));
      await watchDeadlines(s.deps);
    }
    expect(mailsTo(s, PERSON)).toHaveLength(3);
    expect((await requestsOfCode(s.deps, codeIn(mailsTo(s, PERSON)[2]!.text))).map((r) => r.id)).toEqual([own!]);
  });
});
