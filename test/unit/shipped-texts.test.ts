import { describe, expect, it, vi } from 'vitest';
import { BROKEN_TEXTS as cases } from '../support/broken-texts.ts';

describe('shipped texts, validated on first use', () => {
  it.each(cases)('$check: a broken file loads; its first use and its check are refused', async ({ module, file, broken, check, use, problem }) => {
    vi.resetModules();
    vi.doMock(file, () => ({ default: broken }));
    try {
      const fresh = (await import(module)) as Record<string, (...args: unknown[]) => unknown>;
      const { ConfigurationError } = await import('../../functions/domain/errors.ts');
      expect(() => use(fresh)).toThrow(ConfigurationError);
      expect(() => use(fresh)).toThrow(problem);
      expect(() => fresh[check]!()).toThrow(problem);
    } finally {
      vi.doUnmock(file);
      vi.resetModules();
    }
  });

  it.each(cases)('$check: the shipped files pass', async ({ module, check }) => {
    const shipped = (await import(module)) as Record<string, () => void>;
    expect(() => shipped[check]!()).not.toThrow();
  });
});
