import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaleAppError, synthesize } from '../../infra/local/synthesis.ts';
import { DEFAULT_PROFILE, REPO_ROOT } from '../../infra/names.ts';
import { startTemplateSynthesis } from '../support/app-template.ts';

const FOLDER = join(REPO_ROOT, '.scratch', 'synthesis-service');
/**
 * A copy of the sources a synthesis digests, which this test changes: never the checkout itself, which the files
 * running beside this one fingerprint (a change there, even for a moment, makes them miss the cache or refuse).
 */
const SOURCES_COPY = join(FOLDER, `sources-${process.pid}`);
/** A file among the copied sources (infra/), present for a moment: a source changed and changed back. */
const PROBE = join(SOURCES_COPY, 'infra', '.synthesis-service-probe');

describe("the test run's template synthesis (test/support/app-template.ts, a process that lives on)", () => {
  const service = startTemplateSynthesis({ sourcesRoot: SOURCES_COPY });
  beforeAll(() => {
    for (const source of ['infra', 'functions', 'rules', 'package-lock.json']) {
      cpSync(join(REPO_ROOT, source), join(SOURCES_COPY, source), { recursive: true });
    }
  });
  afterAll(async () => {
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
      await expect(synthesize(profilePath, join(FOLDER, 'cdk.out'), { sourcesRoot: SOURCES_COPY })).rejects.toThrow(StaleAppError);
    } finally {
      rmSync(PROBE, { force: true });
    }
    // The sources are again those it loaded: their template, cached, is served.
    expect(await ask(profilePath)).toEqual({ status: 204, text: '' });
  });
});
