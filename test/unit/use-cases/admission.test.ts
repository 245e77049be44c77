import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../../functions/domain/errors.ts';
import { admit } from '../../../functions/use-cases/admission.ts';
import { NOW, systemFor } from '../../support/flow.ts';

const limited = (limits: Record<string, unknown>) => systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits }) });

describe('admit', () => {
  it('lets a client send its burst of requests, then says when to try again, while another client is let in', async () => {
    const s = limited({ requestsPerClient: { burst: 2, perMinute: 0.5 } });
    await admit(s.deps, 'request', '203.0.113.7');
    await admit(s.deps, 'request', '203.0.113.7');
    const refused = admit(s.deps, 'request', '203.0.113.7');
    await expect(refused).rejects.toBeInstanceOf(RateLimitedError);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 120 });
    await admit(s.deps, 'request', '198.51.100.1');
    s.setNow(new Date(NOW.getTime() + 120_000));
    await admit(s.deps, 'request', '203.0.113.7');
  });

  it('draws every new request on everyone\'s bucket too, so many clients together are held back', async () => {
    const s = limited({ requestsInAll: { burst: 2, perMinute: 1 } });
    await admit(s.deps, 'request', '203.0.113.1');
    await admit(s.deps, 'request', '203.0.113.2');
    await expect(admit(s.deps, 'request', '203.0.113.3')).rejects.toMatchObject({ retryAfterSeconds: 60 });
  });

  it('keeps the operator\'s calls and other public calls apart from a flood of requests from the same address', async () => {
    const s = limited({ requestsPerClient: { burst: 1, perMinute: 0.5 }, publicCallsPerClient: { burst: 1, perMinute: 1 } });
    await admit(s.deps, 'request', '203.0.113.7');
    await expect(admit(s.deps, 'request', '203.0.113.7')).rejects.toBeInstanceOf(RateLimitedError);
    await admit(s.deps, 'public', '203.0.113.7');
    await expect(admit(s.deps, 'public', '203.0.113.7')).rejects.toBeInstanceOf(RateLimitedError);
    await admit(s.deps, 'operator', '203.0.113.7');
  });

  it('names buckets by a keyed hash of the address, never the address itself', async () => {
    const s = limited({});
    await admit(s.deps, 'request', '203.0.113.7');
    const names = [...s.limits.buckets.keys()];
    expect(names).toEqual([`request:${(await s.deps.keyedHash('ip', '203.0.113.7')).slice(0, 32)}`, 'request:all']);
    expect(names.join()).not.toContain('203.0.113.7');
  });
});
