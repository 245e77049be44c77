import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/names.ts';
import { visible } from '../../infra/cli/terminal.ts';

describe("what the operator's terminal is given", () => {
  it('shows every character a terminal would obey as its escape, and keeps text, line breaks and tabs', () => {
    // Erase the line and return (to overwrite "address NOT confirmed"), and OSC 52 (write the clipboard).
    expect(visible('Aigerim\u001b[2K\r  address confirmed')).toBe('Aigerim\\u001b[2K\\u000d  address confirmed');
    expect(visible('\u001b]52;c;Y3VybCBldmlsIHwgc2g=\u0007')).toBe('\\u001b]52;c;Y3VybCBldmlsIHwgc2g=\\u0007');
    // C1 controls (CSI as one character) and bidirectional overrides.
    expect(visible('A\u009b31mB \u202eedcba')).toBe('A\\u009b31mB \\u202eedcba');
    expect(visible('Әлия Құрманғали\n\tҚазақстан, ғ қ ң ө ұ ү һ і')).toBe('Әлия Құрманғали\n\tҚазақстан, ғ қ ң ө ұ ү һ і');
  });

  it('leaves JSON output parseable, with the same values', () => {
    const json = JSON.stringify({ name: 'A\u009bB\u202e', message: 'line\nnext' }, null, 2);
    expect(JSON.parse(visible(json))).toEqual({ name: 'A\u009bB\u202e', message: 'line\nnext' });
  });
});

describe('the command line in a pipe', () => {
  it('ends quietly when the reader stops reading (`derbes due … | head -2`)', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'derbes.js'), 'due', '--jurisdiction', 'KZ', '--type', 'access', '--received', '2025-01-02T10:00:00+05:00'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader is gone before the first line is written: every write meets a closed pipe.
    child.stdout.destroy();
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(errors).toBe('');
    expect(code).toBe(0);
  });
});
