import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { DynamoOpenWorkStore } from '../../functions/adapters/dynamodb/open-work-store.ts';
import { DynamoRequestStore } from '../../functions/adapters/dynamodb/request-store.ts';
import { DynamoSentMailLedger } from '../../functions/adapters/dynamodb/sent-mail-ledger.ts';
import type { SesVerdicts } from '../../functions/domain/email/index.ts';
import type { OutgoingMail } from '../../functions/use-cases/ports.ts';
import { receiveEmail } from '../../functions/use-cases/receive-email.ts';
import { placeRequest, systemFor } from '../support/flow.ts';
import type { MemorySystem } from '../support/memory-deps.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';

let ddb: TestDynamoDb;
beforeAll(async () => {
  ddb = await startTestDynamoDb();
}, 180_000);
afterAll(async () => ddb?.stop());

const PASS: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };

/**
 * The memory system with its requests, audit trail, open work and sent-mail ledger in DynamoDB Local, and a relay
 * that takes a moment to accept each mail (as SES does): deliveries that run at once race on the tables.
 */
function systemOnDynamoDb(): { s: MemorySystem; sent: OutgoingMail[] } {
  const s = systemFor('profiles/demo.json');
  const sent: OutgoingMail[] = [];
  const deps = {
    ...s.deps,
    requests: new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit, s.deps.clock.now),
    audit: new DynamoAuditLog(ddb.db, ddb.tables.audit, s.deps.clock.now),
    openWork: new DynamoOpenWorkStore(ddb.db, ddb.tables.requests),
    sentMail: new DynamoSentMailLedger(ddb.db, ddb.tables.requests, ddb.tables.audit),
    mailer: { send: async (mail: OutgoingMail) => (await new Promise((resolve) => setTimeout(resolve, 150)), sent.push(mail), 'sent' as const) },
  };
  return { s: { ...s, deps }, sent };
}

function reply(reference: string, n: number, text: string): Uint8Array {
  return new TextEncoder().encode(
    [
      'From: Aigerim <aigerim@example.kz>',
      'To: privacy@derbes.local',
      `Subject: Re: [${reference}] Документы`,
      `Message-ID: <reply.${n}.${reference}@mail.example.kz>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '',
    ].join('\r\n'),
  );
}

describe("the acknowledgement of a person's reply", () => {
  it('goes out once when several replies, and a re-delivery of one, arrive at the same moment', async () => {
    const { s, sent } = systemOnDynamoDb();
    const request = await placeRequest(s, ['rectification'], { language: 'ru', name: 'Айгерим' });
    const deliveries = [
      receiveEmail(s.deps, 'ses-1', reply(request.id, 1, 'Прикладываю копию удостоверения.'), PASS),
      receiveEmail(s.deps, 'ses-1', reply(request.id, 1, 'Прикладываю копию удостоверения.'), PASS),
      receiveEmail(s.deps, 'ses-2', reply(request.id, 2, 'И ещё: город — Астана.'), PASS),
      receiveEmail(s.deps, 'ses-3', reply(request.id, 3, 'И телефон: +7 701 000 11 22.'), PASS),
    ];
    expect((await Promise.all(deliveries)).map((outcome) => outcome.outcome)).toEqual(['reply', 'reply', 'reply', 'reply']);

    const acks = sent.filter((mail) => mail.to === 'aigerim@example.kz');
    expect(acks.map((mail) => mail.subject)).toEqual([`Re: [${request.id}] Ваше сообщение добавлено к запросу`]);
    const recorded = (await s.deps.audit.list(request.id)).filter((event) => event.type === 'mail.sent');
    expect(recorded.map((event) => event.detail.messageId)).toEqual([acks[0]!.messageId]);
    // Every reply is kept, each once.
    expect(((await s.deps.requests.get(request.id)).replies ?? []).map((r) => r.sesMessageId).sort()).toEqual(['ses-1', 'ses-2', 'ses-3']);
  });
});
