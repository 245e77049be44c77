import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import ru from '../../rules/messages/ru.json' with { type: 'json' };
import { fill, parseCatalog } from '../../functions/domain/messages.ts';
import { loadRefusalGrounds, refusalGrounds } from '../../functions/domain/refusal-grounds.ts';
import { WORKFLOW_STEPS } from '../../functions/domain/workflow-steps.ts';
import { GOLDEN_PROFILES, goldenFile, profileValues, renderGoldenMails, type GoldenMail } from '../golden/render.ts';
import { impureWords, kazakhProblems } from '../support/purity.ts';

/**
 * Every mail derbes sends, rendered for each shipped profile in each language, against the reviewed files in
 * test/golden/. A change to a text shows as a diff of these files; after reading it, regenerate them with
 *   GOLDEN_UPDATE=1 npx vitest run test/unit/golden.test.ts
 */
const GOLDEN_DIR = 'test/golden/mails';
const UPDATE = process.env.GOLDEN_UPDATE === '1';

let mails: GoldenMail[] = [];

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [relative(GOLDEN_DIR, join(dir, entry.name))],
  );
}

beforeAll(async () => {
  mails = await renderGoldenMails();
  // The grounds an operator's mail may name, as the checks below read them.
  await Promise.all([loadRefusalGrounds('KZ'), loadRefusalGrounds('EU')]);
  if (UPDATE) {
    rmSync(GOLDEN_DIR, { recursive: true, force: true });
    for (const mail of mails) {
      mkdirSync(dirname(join(GOLDEN_DIR, mail.path)), { recursive: true });
      writeFileSync(join(GOLDEN_DIR, mail.path), goldenFile(mail));
    }
  }
}, 120_000);

/**
 * What a mail may carry in another script: the profile's and the person's values; in an operator's alert, the derbes
 * commands (code, the same in every language) and the ids of the refusal grounds they take; a reply's "Re: ".
 */
function exemptions(mail: GoldenMail): string[] {
  const commands = mail.kind === 'operator' ? (mail.text.match(/npx derbes [^\n]*|aws stepfunctions [\w-]+/g) ?? []) : [];
  // The command line's options named in the words around a command, and the request types it takes, one a line.
  const options = mail.kind === 'operator' ? [...(mail.text.match(/--[a-z]+/g) ?? []), ...[...mail.text.matchAll(/^ +([a-z_]+) — /gm)].map((m) => m[1]!)] : [];
  // What the operator quotes to find a failure in the logs and the execution history: the step's state name, the
  // error code, and the AWS service's own name.
  const steps: readonly string[] = WORKFLOW_STEPS;
  const identifiers =
    mail.kind === 'operator'
      ? [
          // The step's state name in parentheses after its name in words (a Kazakh sentence may put its verb between).
          ...[...mail.text.matchAll(/[»”](?: [^\s(]+){0,2} \((\w+)[,)]/g)].map((m) => m[1]!).filter((id) => steps.includes(id)),
          ...[...mail.text.matchAll(/(?:error code|код ошибки|қате коды) ([a-z]+(?:_[a-z]+)+)/g)].map((m) => m[1]!),
          'Step Functions',
          // The profile's settings a limit is set by, and the mail checks as every mail server names them.
          ...(mail.text.match(/\blimits\.\w+/g) ?? []),
          'SPF',
          'DKIM',
          'DMARC',
        ]
      : [];
  const grounds = mail.kind === 'operator' ? refusalGrounds(mail.profile.slug === 'demo-eu' ? 'EU' : 'KZ').map((g) => g.id) : [];
  // A reply's subject starts "Re: " in every language: the prefix mail clients read (RFC 5322 §3.6.5), not a word.
  const replyPrefix = mail.inReplyTo ? ['Re: '] : [];
  return [...profileValues(mail.profile, mail.language), ...commands, ...options, ...identifiers, ...grounds, ...replyPrefix];
}

describe('golden mails', () => {
  it('match the reviewed files, one for each mail, and no file is left over', () => {
    const expected = new Set(mails.map((m) => m.path));
    const onDisk = new Set(filesUnder(GOLDEN_DIR));
    expect([...expected].filter((p) => !onDisk.has(p)), 'mails without a golden file (GOLDEN_UPDATE=1 writes them)').toEqual([]);
    expect([...onDisk].filter((p) => !expected.has(p)), 'golden files no mail produces').toEqual([]);
    for (const mail of mails) expect(goldenFile(mail), mail.path).toBe(readFileSync(join(GOLDEN_DIR, mail.path), 'utf8'));
  });

  it('cover every profile in every language it offers, every kind of mail a person gets, and the operator and processor mails', () => {
    const people = ['receipt', 'receipt-unclear', 'closed-unverified', 'answer-access', 'answer-rectification', 'answer-blocking', 'answer-unblocking', 'answer-erasure', 'answer-consent-withdrawal', 'answer-marketing-opt-out', 'answer-claim', 'answer-erasure-nothing-found', 'answer-source-failed', 'refusal', 'refusal-claim', 'interim-answer', 'progress-notice', 'not-a-request'];
    for (const golden of GOLDEN_PROFILES.filter((g) => !g.only)) {
      for (const language of ['ru', 'kk', 'en']) {
        for (const name of people) expect(mails.some((m) => m.path === `${golden.slug}/${language}/${name}.txt`), `${golden.slug}/${language}/${name}`).toBe(true);
      }
      expect(mails.some((m) => m.profile.slug === golden.slug && m.kind === 'operator'), `${golden.slug} operator alerts`).toBe(true);
    }
    for (const language of ['ru', 'kk', 'en']) expect(mails.some((m) => m.path === `demo-eu/${language}/extension.txt`)).toBe(true);
    const alerts = new Set(mails.filter((m) => m.kind === 'operator').map((m) => m.path.split('/').pop()!.split('-after-')[0]));
    expect([...alerts].sort()).toEqual([
      'attentionAtMargin',
      'decisionNeeded',
      'decisionOverdue',
      'lastDay',
      'operatorAttention',
      'operatorMailHeld',
      'operatorWorkflowStopped',
      'overdue',
      'partialAnswer',
      'processorsNotTold',
      'promisedDateOverdue',
      'reminder',
      'safetyMargin',
    ]);
    // A request stuck on a failure at the safety margin: the person is told the answer is delayed.
    for (const language of ['ru', 'kk', 'en']) expect(mails.some((m) => m.path === `demo/${language}/step-failed.txt`)).toBe(true);
    expect(mails.filter((m) => m.kind === 'processor').length).toBeGreaterThan(0);
  });

  it('are in one language each: no Latin words in Russian and Kazakh mails, no Cyrillic in English ones', () => {
    const problems = mails
      .map((mail) => ({ path: mail.path, words: impureWords(`${mail.subject}\n${mail.text}`, mail.language, exemptions(mail)) }))
      .filter((p) => p.words.length);
    expect(problems).toEqual([]);
  });

  it('write Kazakh with Kazakh letters', () => {
    const problems = mails.filter((m) => m.language === 'kk').map((m) => ({ path: m.path, problems: kazakhProblems(m.text) })).filter((p) => p.problems.length);
    expect(problems).toEqual([]);
  });

  it('carry no placeholder left unfilled and no internal name of a field or a time zone', () => {
    for (const mail of mails) {
      const text = `${mail.subject}\n${mail.text}`;
      expect(text, mail.path).not.toMatch(/\{\w+\}/);
      expect(text, mail.path).not.toMatch(/Asia\/Almaty|recordId|marketingConsent|processingBlocked|\bZZ\b|undefined|\[object Object\]/);
    }
  });
});

describe('the purity check', () => {
  it('fails on an English word put into a Russian template', () => {
    const catalog = parseCatalog(structuredClone(ru), 'rules/messages/ru.json');
    const values = { reference: 'DRB-00001-00001', greetingName: ', Айгерим', operator: 'ТОО «Демо Дербес»', receivedAt: '10 февраля 2026', types: 'уничтожение персональных данных', dueAt: '11 февраля 2026', rule: 'Закон № 94-V, статья 25', contact: 'dpo@derbes.local' };
    expect(impureWords(fill(catalog.mail.receipt.body, values), 'ru')).toEqual([]);
    const broken = catalog.mail.receipt.body.replace('Ответ будет направлен', 'Ответ будет направлен please');
    expect(impureWords(fill(broken, values), 'ru')).toEqual(['please']);
  });

  it('lets references, addresses, links and the profile\'s values through, and catches Cyrillic in English', () => {
    expect(impureWords('Запрос DRB-7K3F9-Q2M4X от aigerim@example.kz: https://privacy.example/verify?code=x «I-License»', 'ru', ['I-License'])).toEqual([]);
    expect(impureWords('Your request is answered. Ответ.', 'en')).toEqual(['Ответ']);
  });

  it('finds Kazakh typed with Russian letters', () => {
    expect(kazakhProblems('Сурау алынды жане орындалады')).toEqual(expect.arrayContaining(['«жане…» should be «және…»', '«сурау…» should be «сұрау…»']));
    expect(kazakhProblems('Сұрау алынды және орындалады')).toEqual([]);
  });
});
