import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/constructs/derbes-function.ts';
import { appTemplate } from '../support/app-template.ts';

interface Finding {
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Rule: { Id: string };
  Location: { Path: Array<string | number> };
}
const acknowledged = (JSON.parse(readFileSync(join(REPO_ROOT, 'infra', 'cfn-lint-acknowledged.json'), 'utf8')) as { acknowledged: Array<{ rule: string; reason: string }> }).acknowledged;

let findings: Finding[];

beforeAll(async () => {
  // cfn-lint is a Python tool (pip install cfn-lint); .ci/run makes sure it is there. Missing, this fails: not a skip.
  execFileSync('cfn-lint', ['--version'], { stdio: 'pipe' });
  const template = (await appTemplate('cdk.out.cfn-lint')).file;
  // Exit codes are a bit mask of the levels found (2 error, 4 warning, 8 informational); the JSON says which.
  const run = spawnSync('cfn-lint', ['--format', 'json', template], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  if (run.status !== 0 && !run.stdout.trim().startsWith('[')) throw new Error(`cfn-lint failed (exit ${run.status}): ${run.stderr}`);
  findings = JSON.parse(run.stdout || '[]') as Finding[];
});

const describeFinding = (f: Finding) => `${f.Rule.Id} at ${f.Location.Path.join('/')}: ${f.Message}`;

describe('cfn-lint on the synthesized template', () => {
  it('finds no errors', () => {
    expect(findings.filter((f) => f.Level === 'Error').map(describeFinding)).toEqual([]);
  });

  it('finds no warning that is not acknowledged with a reason in infra/cfn-lint-acknowledged.json', () => {
    const known = new Set(acknowledged.map((a) => a.rule));
    expect(findings.filter((f) => f.Level !== 'Error' && !known.has(f.Rule.Id)).map(describeFinding)).toEqual([]);
    for (const entry of acknowledged) expect(entry.reason.length, `the reason for ${entry.rule}`).toBeGreaterThan(40);
  });

  it('keeps no acknowledgement for a finding that no longer occurs', () => {
    const found = new Set(findings.map((f) => f.Rule.Id));
    expect(acknowledged.map((a) => a.rule).filter((rule) => !found.has(rule))).toEqual([]);
  });
});
