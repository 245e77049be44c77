import { describe, expect, it } from 'vitest';
import { lazy } from '../../functions/adapters/lazy.ts';

interface Store {
  get(key: string): Promise<string>;
  put(key: string, value: string): Promise<void>;
}

describe('lazy (an adapter whose module loads on its first call)', () => {
  it('loads once, on the first call, and passes the calls and their results through', async () => {
    const values = new Map<string, string>();
    let loads = 0;
    const store = lazy<Store>(async () => {
      loads += 1;
      return { get: async (key) => values.get(key) ?? 'none', put: async (key, value) => void values.set(key, value) };
    });
    expect(loads).toBe(0);
    await Promise.all([store.put('a', '1'), store.put('b', '2')]);
    expect(await store.get('a')).toBe('1');
    expect(loads).toBe(1);
  });

  it('loads again on the next call after a load failed', async () => {
    let attempts = 0;
    const store = lazy<Store>(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('the chunk could not be read');
      return { get: async () => 'loaded', put: async () => undefined };
    });
    await expect(store.get('a')).rejects.toThrow('the chunk could not be read');
    expect(await store.get('a')).toBe('loaded');
  });

  it('is not a thenable: awaiting the adapter does not call into it', async () => {
    let loads = 0;
    const store = lazy<Store>(async () => {
      loads += 1;
      return { get: async () => 'x', put: async () => undefined };
    });
    expect(await store).toBe(store);
    expect(loads).toBe(0);
  });

  it('refuses, at compile time, a port with a member that does not return a promise', () => {
    // A synchronous method behind the proxy would return a promise its caller does not await (the raw-mail key did).
    // @ts-expect-error rawKey returns a string
    const objects = lazy<{ rawKey(id: string): string; remove(keys: string[]): Promise<void> }>(async () => ({ rawKey: (id) => id, remove: async () => undefined }));
    // @ts-expect-error a property is no method
    const named = lazy<{ name: string }>(async () => ({ name: 'x' }));
    expect([typeof objects, typeof named]).toEqual(['object', 'object']);
  });
});
