import { describe, expect, it } from 'vitest';
import { plannedSources, sourceSteps } from '../../../functions/use-cases/fulfilment-plan.ts';
import { systemFor } from '../../support/flow.ts';

const VNEDRAH = 'profiles/seeds/vnedrah.json';

describe('sourceSteps', () => {
  it('reads first, then changes, blocks, and destroys last', () => {
    const { deps } = systemFor(VNEDRAH);
    const accounts = deps.profile.sources.find((s) => s.id === 'accounts')!;
    expect(sourceSteps(deps.profile, accounts, { types: ['erasure', 'blocking', 'access', 'rectification'] })).toEqual(['access', 'rectification', 'blocking', 'erasure']);
  });

  it('lets a withdrawal destroy where the profile says so, once where erasure was asked too', () => {
    const { deps } = systemFor(VNEDRAH);
    const accounts = deps.profile.sources.find((s) => s.id === 'accounts')!;
    expect(sourceSteps(deps.profile, accounts, { types: ['consent_withdrawal'] })).toEqual(['consent_withdrawal']);
    expect(sourceSteps(deps.profile, accounts, { types: ['consent_withdrawal', 'erasure'] })).toEqual(['erasure']);
  });

  it('takes a person off a mailing list only, and marks consent flags on records that stay', () => {
    const { deps } = systemFor('profiles/seeds/4sell.json');
    const [users, mailing] = deps.profile.sources;
    expect(sourceSteps(deps.profile, mailing!, { types: ['marketing_opt_out'] })).toEqual(['marketing_opt_out']);
    expect(sourceSteps(deps.profile, users!, { types: ['marketing_opt_out'] })).toEqual([]);
    expect(plannedSources(deps.profile, { types: ['marketing_opt_out'] }).map((s) => s.id)).toEqual(['mailing']);
    // The demo's only source keeps its records on an opt-out: the consent flag is set to false there.
    const demo = systemFor('profiles/demo.json').deps.profile;
    expect(sourceSteps(demo, demo.sources[0]!, { types: ['marketing_opt_out'] })).toEqual(['consent_flags']);
  });
});
