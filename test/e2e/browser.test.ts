import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { startTestSystem } from '../support/local-system.ts';
import { MailSink, verificationLink } from '../support/mail-sink.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let sink: MailSink;
let system: RunningSystem;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`headless Chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
  sink = await new MailSink().start();
  system = await startTestSystem({ mailRelayUrl: sink.url });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
  await sink?.stop();
});

describe('the privacy page in a real browser', () => {
  it('a person submits the form (double-clicking), confirms with the button, and gets one request answered', async () => {
    const page = await browser.newPage();
    await page.goto(`${system.url}/?lang=en`);
    await page.fill('input[name=email]', 'aigerim@example.kz');
    await page.fill('input[name=name]', 'Aigerim');
    await page.selectOption('select[name=language]', 'en');
    await page.dblclick('button[type=submit]');
    await page.waitForSelector('text=has been received');
    const reference = /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(await page.textContent('body') ?? '')![0];

    const verification = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('/verify?code='));
    await page.goto(verificationLink(verification).href);
    await page.click('button[type=submit]');
    await page.waitForSelector(`text=Your request ${reference} is confirmed`);
    // The page says what happens next: the answer comes by mail, and by when.
    expect(await page.textContent('body')).toMatch(/Our answer will reach your mailbox no later than \d{1,2} \w+ \d{4}, \d{2}:\d{2} Astana time/);
    const answer = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('Personal data we hold about you'));
    expect(answer.text).toContain('crm-1001');

    // The double click made one request: one receipt for this person.
    expect(sink.messages.filter((m) => m.to.includes('aigerim@example.kz') && m.text.includes('Reference number'))).toHaveLength(1);
  });

  it('an already used link shows a readable page that gives the support address, not an error dump', async () => {
    const page = await browser.newPage();
    await page.goto(`${system.url}/verify?code=${'A'.repeat(43)}&lang=en`);
    const text = await page.textContent('p.error');
    expect(text).toContain('This link has already been used or has expired');
    expect(text).toContain('privacy@derbes.local');
    expect(await page.$('button[type=submit]')).toBeNull();
  });
});
