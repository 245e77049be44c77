import { afterEach, describe, expect, it, vi } from 'vitest';
import { mailCommand } from '../../infra/cli/commands/mail.ts';
import { retentionCommand } from '../../infra/cli/commands/retention.ts';

/** What an operator typed after a single-valued option must not be dropped: the command refuses it, sending nothing. */
describe('the operator tool refuses a stray value instead of acting on part of what was typed', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
  });

  it('retention hold with an unquoted basis', async () => {
    vi.stubEnv('DERBES_API_URL', 'http://127.0.0.1:9');
    vi.stubEnv('DERBES_OPERATOR_KEY', 'k');
    const sent: unknown[] = [];
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      sent.push(init.body);
      return new Response('{}', { status: 200 });
    });
    const err: string[] = [];
    const code = await retentionCommand(['hold', 'DRB-AAAAA-BBBBB', '--basis', 'Court', 'case', '2-123/2026'], { out: () => {}, err: (line) => err.push(line) });
    expect(code).toBe(2);
    expect(err[0]).toBe('unexpected case 2-123/2026 (an option takes one value each time: --change a=b --change c=d)');
    expect(sent).toEqual([]);
  });

  it('mail redrive with a stray word', async () => {
    const err: string[] = [];
    expect(await mailCommand(['redrive', 'now', '--queue', 'q', '--function', 'f'], { out: () => {}, err: (line) => err.push(line) })).toBe(2);
    expect(err[0]).toMatch(/^usage: derbes mail redrive/);
  });
});
