import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StaleAppError, synthesize } from '../../infra/local/synthesis.ts';
import { DEFAULT_PROFILE, REPO_ROOT } from '../../infra/names.ts';
import { startTemplateSynthesis } from '../support/app-template.ts';

const FOLDER = join(REPO_ROOT, '.scratch', 'synthesis-service');
/** A file among the sources a synthesis reads (infra/), present for a moment: a source changed and changed back. */
const PROBE = join(REPO_ROOT, 'infra', `.synthesis-service-probe-${process.pid}`);

describe("the test run's template synthesis (test/support/app-template.ts, a process that lives on)", () => {
  const service = startTemplateSynthesis();
  afterAll(async () => {
    rmSync(PROBE, { force: true });
    rmSync(FOLDER, { recursive: true, force: true });
    await (await service).close();
  });

  async function ask(profilePath: string): Promise<{ status: number; text: string }> {
    const response = await fetch((await service).url, { method: 'POST', body: profilePath });
    return { status: response.status, text: await response.text() };
  }

  it('refuses, and stores nothing, once the sources changed after it loaded the CDK app', async () => {
    // A profile no earlier run synthesized, so that the service loads the CDK app here.
    const profile = JSON.parse(readFileSync(join(REPO_ROOT, DEFAULT_PROFILE), 'utf8')) as Record<string, unknown>;
    profile.policyVersion = `synthesis-service-${randomBytes(4).toString('hex')}`;
    mkdirSync(FOLDER, { recursive: true });
    const profilePath = join(FOLDER, `profile-${process.pid}.json`);
    writeFileSync(profilePath, JSON.stringify(profile));
    expect(await ask(profilePath)).toEqual({ status: 204, text: '' });

    writeFileSync(PROBE, '');
    try {
      // The app it loaded is the one before the change: it must not synthesize it under the changed sources' key.
      const refused = await ask(profilePath);
      expect(refused.status).toBe(409);
      expect(refused.text).toMatch(/^StaleAppError: /);
      // Nor is a template cached under their key (this process is the one that loaded the app: it finds none either).
      await expect(synthesize(profilePath, join(FOLDER, 'cdk.out'))).rejects.toThrow(StaleAppError);
    } finally {
      rmSync(PROBE, { force: true });
    }
    // The sources are again those it loaded: their template, cached, is served.
    expect(await ask(profilePath)).toEqual({ status: 204, text: '' });
  });
});
