import { describe, expect, it } from 'vitest';
import { NotPermittedError } from '../../../functions/domain/errors.ts';
import { assertMayChangeData } from '../../../functions/use-cases/guards.ts';
import { applyToSource } from '../../../functions/use-cases/fulfilment.ts';
import { placeRequest, systemFor } from '../../support/flow.ts';

describe('assertMayChangeData', () => {
  it('lets a confirmed request in progress change data where the rules want no decision', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    expect(() => assertMayChangeData(s.deps, request)).not.toThrow();
  });

  it('refuses a request released without a confirmation, one not in progress, and one the rules want decided but nobody approved', async () => {
    const s = systemFor('profiles/seeds/4sell-cashier.json');
    const waiting = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION' });
    expect(() => assertMayChangeData(s.deps, waiting)).toThrow(new NotPermittedError(`request ${waiting.id} is not verified; nothing is changed`));
    expect(() => assertMayChangeData(s.deps, { ...waiting, verifiedAt: waiting.receivedAt })).toThrow(/is AWAITING_VERIFICATION; nothing is changed/);
    const erasure = await placeRequest(s, ['erasure']);
    expect(() => assertMayChangeData(s.deps, erasure)).toThrow(/needs an operator's approval/);
    expect(() => assertMayChangeData(s.deps, { ...erasure, decision: { approved: true, decidedAt: erasure.receivedAt } })).not.toThrow();
  });

  it('stops a source step before it touches the records', async () => {
    const s = systemFor('profiles/seeds/4sell-cashier.json');
    const erasure = await placeRequest(s, ['erasure'], { email: 'arman.zhaksybekov@mail.example' });
    const source = s.deps.profile.sources[0]!;
    const before = structuredClone(s.sources.get(source.id)!.records);
    await expect(applyToSource(s.deps, erasure.id, source.id)).rejects.toBeInstanceOf(NotPermittedError);
    expect(s.sources.get(source.id)!.records).toEqual(before);
  });
});
