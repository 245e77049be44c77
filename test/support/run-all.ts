import { spawn } from 'node:child_process';

/**
 * `npm test`: the typecheck and the dependency check run beside the tests, not before them. Vitest leaves part of the
 * two cores idle while its files wait on browsers, mail and timers, and the typecheck (~25 s of CPU) fills it; run
 * first, it added its whole wall time. The checks' output is printed after the tests', and the run fails if either
 * check or any test fails. Arguments go to `vitest run` (`npm test -- test/e2e/x.test.ts`).
 */

interface Outcome {
  name: string;
  code: number;
  output: string;
}

function run(name: string, command: string, args: string[], capture: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolve({ name, code: 1, output: `${output}${error.message}\n` }));
    child.on('close', (code, signal) => resolve({ name, code: code ?? (signal ? 1 : 0), output }));
  });
}

const checks = [
  run('typecheck (tsc --noEmit)', 'tsc', ['--noEmit', '-p', 'tsconfig.json'], true),
  run('dependency check (depcruise)', 'depcruise', ['--config', '.dependency-cruiser.cjs', 'functions'], true),
];
const tests = await run('vitest run', 'vitest', ['run', ...process.argv.slice(2)], false);
const outcomes = [...(await Promise.all(checks)), tests];

for (const { name, code, output } of outcomes.slice(0, -1)) {
  process.stdout.write(`\n${code === 0 ? '✔' : '✘'} ${name}${code === 0 ? '' : ` failed (exit ${code})`}\n${code === 0 ? '' : output}`);
}
const failed = outcomes.filter((o) => o.code !== 0);
if (failed.length > 0) {
  process.stderr.write(`\nnpm test failed: ${failed.map((o) => o.name).join(', ')}\n`);
  process.exit(1);
}
