import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Debian's Chromium headless shell: the same Blink and V8 as the full browser, without its browser process's UI
 * layers. On the 2-core machine the browser files took 112 → 75 s of CPU (console), 51 → 31 s (public pages) and
 * 37 → 23 s (sign-in), and the whole `npm test` 679 → 578 s of CPU, 342 → 295 s of vitest (2026-12-02, one run each
 * on the same tree, nothing else running).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell';

/** Headless Chromium, as every browser test drives it (`.ci/run` installs it). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`headless Chromium not found at ${CHROMIUM}: install Debian's chromium-headless-shell (.ci/run does) or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * axe-core on the page as it stands: no serious or critical violation. axe runs in the page itself (axe.run, its
 * "legacy" mode) rather than per frame with the results merged in a blank page opened for it: the same rules on the
 * same page in half the time (1.8 s vs 3.5 s measured), which a page without frames loses nothing by — and derbes's
 * pages have none, which is checked first, so a page that gains one fails here instead of going half-checked.
 */
export async function expectAccessible(page: Page): Promise<void> {
  expect(page.frames().map((frame) => frame.url()), 'a page with frames needs axe per frame').toEqual([page.url()]);
  const { violations } = await new AxeBuilder({ page }).setLegacyMode().analyze();
  const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ rule: v.id, impact: v.impact, where: v.nodes.map((n) => n.target.join(' ')) }));
  expect(grave, page.url()).toEqual([]);
}
