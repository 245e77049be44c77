import { describe, expect, it } from 'vitest';
import { dueCommand } from '../../../infra/cli/commands/due.ts';

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await dueCommand(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

const KZ_ACCESS = ['--jurisdiction', 'KZ', '--type', 'access', '--received', '2025-01-02T10:00:00+05:00'];
// 2 Jan 2025 (holiday) → Fri 3 Jan off by transfer, Sat 4 off, Sun 5 worked (1), Mon 6 (2), Tue 7 holiday, Wed 8 (3)
const DUE = '2025-01-08T23:59:59+05:00';

describe('derbes due', () => {
  it('prints the due date and the rule that set it', async () => {
    const { code, out, err } = await run(KZ_ACCESS);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    const text = out.join('\n');
    expect(text).toContain(`${DUE} (Asia/Almaty)`);
    expect(text).toContain('Wednesday 8 January 2025, 23:59:59');
    expect(text).toContain('Law of the Republic of Kazakhstan No. 94-V "On Personal Data and Their Protection", Art. 25');
    expect(text).toContain('adilet.zan.kz/rus/docs/Z1300000094');
    expect(text).toMatch(/Confidence: S/);
    expect(text).toContain('3 working days (statute');
  });

  it('says a term the law does not set is a default', async () => {
    const { code, out } = await run(['--jurisdiction', 'KZ', '--type', 'claim', '--received', '2026-02-10T10:00:00+05:00']);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('KZ-claim-default — 30 working days (default: the law sets no term, in force from 2013-11-25)');
    expect(out.join('\n')).toContain('Source:     A default of derbes: the law sets no term; 30 working days is the usual term');
  });

  it('prints one JSON object with --json', async () => {
    const { code, out } = await run([...KZ_ACCESS, '--json']);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const result = JSON.parse(out[0] ?? '');
    expect(result).toMatchObject({
      dueAt: DUE,
      timeZone: 'Asia/Almaty',
      receivedLocalDate: '2025-01-02',
      rule: { id: 'KZ-94V-art25-access', origin: 'statute', citation: { ru: expect.stringContaining('статья 25'), kk: expect.stringContaining('25-бап'), en: expect.stringContaining('Art. 25') }, confidence: 'S' },
    });
  });

  it.each([
    [['--jurisdiction', 'KZ', '--type', 'access'], '--received'],
    [['--jurisdiction', 'KZ', '--type', 'acces', '--received', '2025-01-02T10:00:00Z'], '--type'],
    [['--jurisdiction', 'XX', '--type', 'access', '--received', '2025-01-02T10:00:00Z'], '--jurisdiction'],
    [['--jurisdiction', 'KZ', '--type', 'access', '--received', '2025-01-02T10:00:00'], '--received'],
    [['--jurisdiction', 'KZ', '--type', 'access', '--received', 'yesterday'], '--received'],
    [['--jurisdiction', 'EU', '--type', 'access', '--received', '2017-01-02T10:00:00Z'], '--received'],
    [[...KZ_ACCESS, '--colour'], '--colour'],
  ])('exits 2 for %j naming %s', async (args, option) => {
    const { code, out, err } = await run(args);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toContain(option);
  });
});
