import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../functions/config/settings.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, postJson, startTestSystem } from '../support/local-system.ts';
import { MailSink } from '../support/mail-sink.ts';
import { withoutGrant } from '../support/template-edits.ts';

/** Every socket in LISTEN state of this process and its children (the DynamoDB Local JVM), from /proc. */
function listeningSockets(): Array<{ address: string; port: number; pid: number }> {
  const pids = [process.pid];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (parent === process.pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  const owner = new Map<string, number>();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode) owner.set(inode, pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  const sockets: Array<{ address: string; port: number; pid: number }> = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1]!, fields[3]!, fields[9]!];
      const pid = owner.get(inode);
      if (state !== '0A' || pid === undefined) continue;
      const [hex, port] = local.split(':') as [string, string];
      sockets.push({ address: v6 ? ipv6(hex) : ipv4(hex), port: parseInt(port, 16), pid });
    }
  }
  return sockets;
}
const ipv4 = (hex: string) => [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
/** /proc/net/tcp6 writes each 32-bit word in host (little-endian) order. */
function ipv6(hex: string): string {
  const words = hex.toLowerCase().match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  const groups = words.join('').match(/.{4}/g)!;
  if (groups.slice(0, 5).every((g) => g === '0000') && groups[5] === 'ffff') return `::ffff:${ipv4(words[3]!.match(/../g)!.reverse().join(''))}`;
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::ffff:127\.\d+\.\d+\.\d+|0:0:0:0:0:0:0:1|::1)$/;

let sink: MailSink;
let system: RunningSystem;

beforeAll(async () => {
  sink = await new MailSink().start();
  // The receipt (with its confirmation link) is the first mail of every request; the function that sends it loses its SES grant.
  system = await startTestSystem({ mailRelayUrl: sink.url, ownDatabase: true, editTemplate: (template) => withoutGrant(template, 'RequestVerification', 'ses:SendRawEmail') });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

describe('the local runtime is as strict as AWS', () => {
  it('a grant removed from the template makes the matching flow fail with AccessDenied', async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'aigerim@example.kz', language: 'en' });
    expect(submitted.status).toBe(202);
    const reference = String(submitted.body.reference);
    let denial: ReturnType<RunningSystem['accessDenials']>[number] | undefined;
    for (let i = 0; i < 600 && !denial; i++) {
      denial = system.accessDenials().find((d) => d.action === 'ses:SendRawEmail');
      if (!denial) await new Promise((r) => setTimeout(r, 100));
    }
    expect(denial).toMatchObject({
      principal: expect.stringMatching(/^arn:aws:sts::000000000000:assumed-role\/RequestVerificationRole\w+\/RequestVerificationFunction\w+$/),
      resource: 'arn:aws:ses:local:000000000000:identity/derbes.local',
    });
    // The person is never sent a receipt (nor anything else), and the request waits where the denied step left it.
    // The failure reaches the operator instead, once the step's retries are spent (it may already have, or not yet).
    await new Promise((r) => setTimeout(r, 1000));
    expect(sink.messages.filter((m) => m.subject.includes(reference) && m.to.includes('aigerim@example.kz'))).toEqual([]);
    const { body } = await operatorCall(system, 'GET', `/operator/requests/${reference}`);
    expect(body.status).toBe('AWAITING_VERIFICATION');
    expect((body.audit as Array<{ type: string }>).map((e) => e.type)).not.toContain('mail.sent');
  });

  it('every function sees only its own template environment plus the local endpoints and its own credentials', () => {
    const environmentOf = (prefix: string) => system.functions.environment(system.functions.ids().find((id) => id.startsWith(prefix))!);
    const acknowledge = environmentOf('Acknowledge');
    const api = environmentOf('OperatorApi');
    // The operator API holds the operator key's name; the receipt function does not, not even locally.
    expect(api[Settings.operatorKeySecret]).toMatch(/^arn:aws:secretsmanager:local:000000000000:secret:OperatorKey/);
    expect(acknowledge[Settings.operatorKeySecret]).toBeUndefined();
    expect(acknowledge.AWS_ACCESS_KEY_ID).not.toBe(api.AWS_ACCESS_KEY_ID);
    // What Lambda sets for the template's LoggingConfig (JSON at INFO; a developer's LOG_LEVEL stands for the level).
    expect(acknowledge).toMatchObject({ AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: process.env.LOG_LEVEL ?? 'INFO' });
    // Nothing of the developer's own environment leaks in.
    expect(acknowledge.PATH).toBeUndefined();
    expect(acknowledge.HOME).toBeUndefined();
  });

  it('every port the local runtime opens listens on loopback only', () => {
    const sockets = listeningSockets();
    const ports = new Set(sockets.map((s) => s.port));
    // The runtime's own: the HTTP API, the SMTP front door, DynamoDB Local (a child JVM), and each AWS endpoint.
    const expected = [new URL(system.url).port, system.smtpPort, new URL(system.dynamoDbEndpoint).port, ...Object.values(system.awsEndpoints).map((u) => new URL(u).port)].map(Number);
    expect([...ports]).toEqual(expect.arrayContaining(expected));
    expect(sockets.filter((s) => !LOOPBACK.test(s.address))).toEqual([]);
  });
});
