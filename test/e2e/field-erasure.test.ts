import { GetCommand } from '@aws-sdk/lib-dynamodb';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { decisionsCommand } from '../../infra/cli/commands/operator.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, operatorKeyOf, postJson, startTestSystem } from '../support/local-system.ts';
import { MailSink, verificationLink } from '../support/mail-sink.ts';

/**
 * A person asks by mail to delete their phone number, and nothing else: the operator erases that field with the
 * command line, and the person's records keep everything but it.
 */
const ASEL = 'asel.nurpeisova@mail.example';
const REFERENCE = /DRB-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}/;

let sink: MailSink;
let system: RunningSystem;

beforeAll(async () => {
  sink = await new MailSink().start();
  system = await startTestSystem({ profile: 'profiles/seeds/i-license.json', mailRelayUrl: sink.url });
  process.env.DERBES_API_URL = system.url;
  process.env.DERBES_OPERATOR_KEY = operatorKeyOf(system);
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

const record = async (table: string, recordId: string) => (await documentClient().send(new GetCommand({ TableName: table, Key: { email: ASEL, recordId } }))).Item;

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await decisionsCommand(args, { out: (line) => lines.push(line), err: (line) => lines.push(`ERR ${line}`) });
  return { code, out: lines.join('\n') };
}

describe('an erasure of particular data, end to end', () => {
  it('erases the phone number the mail asked to delete, and only it, and tells the person what was erased and kept', async () => {
    const user = await record('derbes-seed-ilicense-users', 'user');
    const subscription = await record('derbes-seed-ilicense-mailing', 'subscription');
    expect(user?.phone).toBe('+7 701 555 27 28');

    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: system.smtpPort, secure: false, ignoreTLS: true });
    await smtp.sendMail({ from: ASEL, to: 'info@license.kz', subject: 'My phone number', text: 'Hello,\n\nPlease delete my phone number.\n\nAsel' });
    smtp.close();
    await system.mailIntakeIdle();
    const receipt = await sink.waitFor((m) => m.to.includes(ASEL) && m.text.includes('/verify?code='));
    const reference = REFERENCE.exec(receipt.subject)![0];
    expect((await postJson(`${system.url}/api/verifications`, { code: verificationLink(receipt).searchParams.get('code') })).status).toBe(200);

    // It waits for the operator, who is told why: particular data, not everything.
    await expect.poll(async () => ((await operatorCall(system, 'GET', '/operator/decisions')).body.decisions as Array<{ requestId: string; reasons: string[] }>).find((d) => d.requestId === reference)?.reasons, { timeout: 40_000 }).toEqual([
      expect.stringContaining('the person asks to delete particular data'),
    ]);

    // A field no source declares personal is refused, naming the ones that can be erased.
    const unknown = await cli(['approve', reference, '--type', 'erasure', '--fields', 'phone,photoUrl']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.out).toContain('not a personal field of any source: photoUrl; fields that can be erased: lastName, firstName, patronymic, iin, gender, phone, activity, documentType, holderName, payerName');

    expect(await cli(['approve', reference, '--type', 'erasure', '--fields', 'phone'])).toEqual({ code: 0, out: `${reference}: approve recorded; the workflow moves the request on` });
    // The answer threads under the person's mail, in its subject.
    const answer = await sink.waitFor((m) => m.to.includes(ASEL) && m.subject === `Re: My phone number [${reference}]`, 40_000);
    expect(answer.text).toContain(
      'Erased as you asked:\n    "Registration data of site users": Phone\n    "Subscription to notifications about new products, services and special offers": Phone\nNothing else was erased: everything else we hold about you stays as it was.',
    );
    expect(answer.text).not.toContain('Your data is destroyed');

    // The records are there, every field as it was but the phone.
    expect(await record('derbes-seed-ilicense-users', 'user')).toEqual({ ...user, phone: '[erased]' });
    expect(await record('derbes-seed-ilicense-mailing', 'subscription')).toEqual({ ...subscription, phone: '[erased]' });
  });
});
