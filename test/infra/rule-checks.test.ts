import { describe, expect, it, vi } from 'vitest';
import { BROKEN_TEXTS as cases } from '../support/broken-texts.ts';

/** The functions validate these texts on first use; the app checks them all before it builds a stack (cdk synth, npm start). */
describe('the app and the shipped texts', () => {
  it.each(cases)('$check: the app refuses a broken file before it builds a stack (cdk synth, npm start)', async ({ file, broken, problem }) => {
    vi.resetModules();
    vi.doMock(file, () => ({ default: broken }));
    try {
      const { createApp } = await import('../../infra/app.ts');
      expect(() => createApp({ skipBundling: true })).toThrow(problem);
    } finally {
      vi.doUnmock(file);
      vi.resetModules();
    }
  });
});
