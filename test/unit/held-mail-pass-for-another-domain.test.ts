import { afterEach, describe, expect, it, vi } from 'vitest';
import { documentAsText } from '../../functions/domain/document.ts';
import { evidencePack } from '../../functions/use-cases/evidence.ts';
import { admitHeldMail, listHeldMail } from '../../functions/use-cases/held-mail.ts';
import { onBehalfOf } from '../../functions/use-cases/on-behalf-of.ts';
import { receiveEmail } from '../../functions/use-cases/receive-email.ts';
import { mailCommand } from '../../infra/cli/commands/mail.ts';
import en from '../../rules/console/en.json' with { type: 'json' };
import { OPERATOR, systemFor } from '../support/flow.ts';

/**
 * A newsletter relay's bounce address passes SPF for the relay's domain; the From is a person's at another domain.
 * The mail is held (no check vouched for the sender), and what the operator reads beside "held because no check
 * vouched for the sender" names the domain SPF passed for and says it is not the sender's.
 */
const RAW = new TextEncoder().encode(
  'From: erlan@mail.example\r\nTo: privacy@derbes.local\r\nSubject: Удалите мои данные\r\nMessage-ID: <relay-1@newsletter-relay.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nУдалите все мои данные.\r\n',
);
const VERDICTS = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY' } as const;

async function held() {
  const s = systemFor('profiles/demo.json');
  s.rawMail.set('ses-relay-1', RAW);
  expect(await receiveEmail(s.deps, 'ses-relay-1', RAW, VERDICTS, 'bounces@newsletter-relay.example')).toMatchObject({ outcome: 'held', reason: 'unauthenticated' });
  return s;
}

describe('held mail whose SPF passed for another domain than the sender\'s', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
  });

  it('the list keeps the domain SPF passed for, and the command line says it is not the sender\'s', async () => {
    const s = await held();
    const list = await listHeldMail(s.deps, {});
    expect(list.mails[0]).toMatchObject({ sender: 'erlan@mail.example', verdicts: VERDICTS, passedFor: { spf: ['newsletter-relay.example'], dkim: [] } });
    vi.stubEnv('DERBES_API_URL', 'http://127.0.0.1:9');
    vi.stubEnv('DERBES_OPERATOR_KEY', 'k');
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(list), { status: 200 }));
    const out: string[] = [];
    expect(await mailCommand(['held'], { out: (line) => out.push(line), err: () => {} })).toBe(0);
    expect(out.join('\n')).toContain("SPF PASS for newsletter-relay.example (not the sender's domain mail.example) DKIM GRAY DMARC GRAY");
    // The console's words for it, in each language, name both domains.
    expect(en.heldMail.checkPassedForOther).toBe("{check}: passed for {domains}, not for the sender's domain {domain}: it does not vouch for the sender");
  });

  it('made a request, its evidence pack gives the reason and the checks without contradicting each other', async () => {
    const s = await held();
    const { reference } = await admitHeldMail(onBehalfOf(s.deps, OPERATOR), 'ses-relay-1', OPERATOR);
    const expected = {
      en: ["Held by mail intake, because: no check (SPF, DKIM, DMARC) vouched for the sender's domain", "SPF — passed, but for another domain than the sender's: it does not vouch for the sender"],
      ru: ['Задержано при приёме почты, потому что: ни одна проверка (SPF, DKIM, DMARC) не подтвердила домен отправителя', 'SPF — пройдена, но для другого домена, не отправителя: отправителя она не подтверждает'],
      kk: ['Пошта қабылдау кезінде кідіртілді, себебі: бірде-бір тексеріс (SPF, DKIM, DMARC) жіберушінің доменін растамады', 'SPF тексеруі — өтті, бірақ жіберушінің емес, басқа домен үшін: ол жіберушіні растамайды'],
    } as const;
    for (const [language, lines] of Object.entries(expected) as Array<[keyof typeof expected, readonly string[]]>) {
      const text = documentAsText((await evidencePack(s.deps, reference, language)).document);
      for (const line of lines) expect(text, language).toContain(line);
      expect(text, language).not.toMatch(/SPF( тексеруі)? — (passed|пройдена|өтті);/);
    }
  });
});
