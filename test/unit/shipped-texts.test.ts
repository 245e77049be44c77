import { describe, expect, it, vi } from 'vitest';
import { BROKEN_TEXTS as cases } from '../support/broken-texts.ts';

describe('shipped texts, validated on first use', () => {
  it.each(cases)('$check: a broken file loads; its first use and its check are refused', async ({ module, file, broken, check, shipped, use, problem }) => {
    vi.resetModules();
    vi.doMock(file, () => ({ default: broken }));
    try {
      const fresh = (await import(module)) as Record<string, (...args: unknown[]) => unknown>;
      const { ConfigurationError } = await import('../../functions/domain/errors.ts');
      const files = (await import('../../infra/shipped-texts.ts'))[shipped];
      const used = async () => use(fresh);
      await expect(used()).rejects.toThrow(ConfigurationError);
      await expect(used()).rejects.toThrow(problem);
      expect(() => fresh[check]!(files)).toThrow(problem);
    } finally {
      vi.doUnmock(file);
      vi.resetModules();
    }
  });

  it.each(cases)('$check: the shipped files pass', async ({ module, check, shipped }) => {
    const texts = (await import(module)) as Record<string, (files: unknown) => void>;
    const files = (await import('../../infra/shipped-texts.ts'))[shipped];
    expect(() => texts[check]!(files)).not.toThrow();
  });
});
