import { describe, expect, it } from 'vitest';
import { onFirstLoad } from '../../functions/domain/on-first-use.ts';

describe('onFirstLoad (texts per language, rules per jurisdiction, imported on demand)', () => {
  it('loads a key once, shares the load among calls made while it runs, and keeps each key apart', async () => {
    const calls: string[] = [];
    const files = onFirstLoad(async (key: string) => {
      calls.push(key);
      return { key };
    });
    expect(files.loaded('kk')).toBeUndefined();
    const [first, second] = await Promise.all([files.load('kk'), files.load('kk')]);
    expect(first).toBe(second);
    expect(await files.load('kk')).toBe(first);
    expect(files.loaded('kk')).toBe(first);
    expect(files.loaded('ru')).toBeUndefined();
    await files.load('ru');
    expect(calls).toEqual(['kk', 'ru']);
  });

  it('tries a failed load again on the next call, and reads nothing loaded meanwhile', async () => {
    let attempts = 0;
    const files = onFirstLoad(async (key: string) => {
      attempts += 1;
      if (attempts === 1) throw new Error(`chunk of ${key} not found`);
      return key.toUpperCase();
    });
    await expect(files.load('en')).rejects.toThrow('chunk of en not found');
    expect(files.loaded('en')).toBeUndefined();
    expect(await files.load('en')).toBe('EN');
    expect(files.loaded('en')).toBe('EN');
    expect(attempts).toBe(2);
  });
});
