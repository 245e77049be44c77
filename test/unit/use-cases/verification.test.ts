import { describe, expect, it } from 'vitest';
import { InvalidTokenError } from '../../../functions/domain/errors.ts';
import { newVerificationCode } from '../../../functions/domain/verification-code.ts';
import { confirmVerification } from '../../../functions/use-cases/confirm-verification.ts';
import { requestOfCode } from '../../../functions/use-cases/verification-page.ts';
import { requestVerification } from '../../../functions/use-cases/workflow-steps.ts';
import { NOW, placeRequest, systemFor } from '../../support/flow.ts';

async function linkSent(expiresInHours = 72) {
  const s = systemFor('profiles/demo.json');
  const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION' });
  const code = newVerificationCode();
  await requestVerification(s.deps, request.id, 'verify-token', new Date(NOW.getTime() + expiresInHours * 3_600_000), code);
  return { s, request, code: code.code };
}

describe('requestOfCode (the page behind the link)', () => {
  it('names the request without using the code', async () => {
    const { s, request, code } = await linkSent();
    expect((await requestOfCode(s.deps, code)).id).toBe(request.id);
    expect((await requestOfCode(s.deps, code)).id).toBe(request.id);
    expect(s.workflow.completed).toEqual([]);
  });

  it('refuses a malformed code before it reaches the store', async () => {
    const { s } = await linkSent();
    await expect(requestOfCode(s.deps, 'short')).rejects.toThrow(new InvalidTokenError('verification code is malformed'));
  });
});

describe('confirmVerification', () => {
  it('uses the code, moves the request on with the time, and releases the waiting workflow', async () => {
    const { s, request, code } = await linkSent();
    const confirmed = await confirmVerification(s.deps, code);
    expect(confirmed).toMatchObject({ id: request.id, status: 'IN_PROGRESS', verifiedAt: NOW.toISOString() });
    expect(s.workflow.completed).toEqual([{ taskToken: 'verify-token', output: { verifiedAt: NOW.toISOString() } }]);
    expect((await s.deps.audit.list(request.id)).map((e) => e.type)).toContain('verification.confirmed');
  });

  it('works once: a second press, or an expired link, is refused and changes nothing', async () => {
    const { s, code } = await linkSent();
    await confirmVerification(s.deps, code);
    await expect(confirmVerification(s.deps, code)).rejects.toBeInstanceOf(InvalidTokenError);
    const late = await linkSent(1);
    late.s.setNow(new Date(NOW.getTime() + 2 * 3_600_000));
    await expect(confirmVerification(late.s.deps, late.code)).rejects.toBeInstanceOf(InvalidTokenError);
    expect((await late.s.deps.requests.get(late.request.id)).status).toBe('AWAITING_VERIFICATION');
    expect(late.s.workflow.completed).toEqual([]);
  });
});
