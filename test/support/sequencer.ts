import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order files start in, longest first, so that a long file does not start last and run on while the other worker
 * idles (on 2 workers the run ends when its last long file does). Vitest orders by last run's durations when its cache
 * has them for every file (`node_modules/.vite/vitest`); a clean clone (CI) has none, and Vitest's fallback, larger
 * files first, started console-sign-in (41 s) at 144 s and local-asl (43 s) at about 160 s of a 260 s run. Without
 * durations a file is weighed by what it does, read from its source:
 *   3 — drives Chromium (console, browser, sign-in: 20–50 s each), or runs `cdk synth` with bundling (local-asl:
 *       ~20 s of it before its tests);
 *   2 — starts the local runtime, or runs cfn-lint (5–30 s);
 *   1 — any other file of the system project (DynamoDB Local, synthesized template: 0–8 s);
 *   0 — unit files (in memory, sharing workers: run last, they fill the gaps at the end).
 * Larger files first within a weight, as Vitest does.
 */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    if (files.every((spec) => this.ctx.cache.getTestSpecificationResult(spec))) return super.sort(files);
    const weighed = new Map(files.map((spec) => [spec, weigh(spec)]));
    return [...files].sort((a, b) => {
      const [wa, sa] = weighed.get(a)!;
      const [wb, sb] = weighed.get(b)!;
      return wb - wa || sb - sa;
    });
  }
}

function weigh(spec: TestSpecification): [weight: number, size: number] {
  const source = readFileSync(spec.moduleId, 'utf8');
  if (spec.project.name === 'unit') return [0, source.length];
  if (/\blaunchChromium\(|'cdk', 'synth'/.test(source)) return [3, source.length];
  if (/\bstartTestSystem\(|\bstartLocalSystem\(|'cfn-lint'/.test(source)) return [2, source.length];
  return [1, source.length];
}
