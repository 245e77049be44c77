import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { OperatorActor } from '../../functions/domain/operator-identity.ts';
import { operatorCall } from '../../functions/handlers/http/operator-routes.ts';
import { OPERATOR_ROUTE_ROLES } from '../../functions/handlers/http/operator-roles.ts';
import type { OperatorRouteKey } from '../../functions/handlers/http/routes.ts';
import { recordFailure } from '../../functions/use-cases/attention.ts';
import { recordBreach } from '../../functions/use-cases/breaches.ts';
import { receiveEmail } from '../../functions/use-cases/receive-email.ts';
import { planFulfilment, requestDecision } from '../../functions/use-cases/workflow-steps.ts';
import { BREACH_INPUT, placeRequest, systemFor } from '../support/flow.ts';
import type { MemorySystem } from '../support/memory-deps.ts';

// The user pool is AWS's; these routes' own work (the trail naming who added or removed) is what is checked here.
vi.mock('../../functions/adapters/aws/operator-directory.ts', () => ({
  OperatorDirectory: class {
    add = async (email: unknown, role: unknown) => ({ email, role, temporaryPassword: 'not-checked-here' });
    remove = async (email: string) => ({ email });
  },
}));
process.env.USER_POOL_ID ??= 'eu-central-1_memory';

type WriteRouteKey = Exclude<OperatorRouteKey, `GET ${string}`>;

/** What a call of the route carries, made ready in a fresh system; `writes: 'nothing'` for a dry run (a plan, a preview). */
interface Scenario {
  profile?: string;
  adjust?: (json: Record<string, unknown>) => Record<string, unknown>;
  prepare?: (s: MemorySystem) => Promise<{ path?: Record<string, string>; query?: Record<string, string> }>;
  body?: unknown;
  writes?: 'nothing';
}

const VNEDRAH = 'profiles/seeds/vnedrah.json';
const onRequest = (types: Parameters<typeof placeRequest>[1] = ['access']) => async (s: MemorySystem) => ({ path: { reference: (await placeRequest(s, types)).id } });
const awaitingDecision = (types: Parameters<typeof placeRequest>[1]) => async (s: MemorySystem) => {
  const request = await placeRequest(s, types);
  await planFulfilment(s.deps, request.id);
  await requestDecision(s.deps, request.id, 'decision-token');
  return { path: { reference: request.id } };
};
const onBreach = (withSubjects = false) => async (s: MemorySystem) => {
  const { breach } = await recordBreach(s.deps, BREACH_INPUT);
  if (withSubjects) await s.deps.breaches.addSubject(breach.id, { key: await s.deps.personKey('a@mail.example'), email: 'a@mail.example', language: 'ru', delivery: { status: 'pending' } } as never);
  return { path: { reference: breach.id } };
};

/** Mail no check vouched for, held by intake: its id is the SES message id. */
const onHeldMail = async (s: MemorySystem) => {
  const raw = new TextEncoder().encode('From: Дана <dana@mail.example>\r\nTo: privacy@derbes.local\r\nSubject: Удаление\r\nMessage-ID: <held-1@mail.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПрошу удалить мои данные.\r\n');
  s.rawMail.set('ses-held-1', raw);
  await receiveEmail(s.deps, 'ses-held-1', raw, { spam: 'PASS', virus: 'PASS', spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' });
  return { path: { id: 'ses-held-1' } };
};

/** Every write route of the role table: a route added there without a scenario here does not compile. */
const SCENARIOS: Record<WriteRouteKey, Scenario> = {
  'POST /operator/decisions/{reference}': { prepare: awaitingDecision(['claim']), body: { decision: 'deny', reason: 'Нет оснований.', basis: 'Статья 25 Закона.' } },
  'POST /operator/requests': {
    body: { channel: 'phone', receivedAt: '2026-02-09', identity: 'attested', attestation: 'Удостоверение личности проверено.', types: ['access'], email: 'caller@example.kz', language: 'ru' },
  },
  'POST /operator/requests/{reference}/notes': { prepare: onRequest(), body: { text: 'Перезвонил.' } },
  'POST /operator/requests/{reference}/classification': { prepare: awaitingDecision([]), body: { types: ['access'] } },
  'POST /operator/requests/{reference}/not-a-request': { prepare: awaitingDecision([]), body: { text: 'Это рекламная рассылка, не запрос.' } },
  'POST /operator/requests/{reference}/extension': {
    adjust: (json) => ({ ...json, jurisdiction: 'EU' }),
    prepare: async (s) => ({ path: { reference: (await placeRequest(s, ['access'])).id } }),
    body: { reason: 'Three archives to search.' },
  },
  'POST /operator/requests/{reference}/messages': { prepare: onRequest(), body: { text: 'Мы работаем над вашим запросом.' } },
  'POST /operator/requests/{reference}/resume': {
    prepare: async (s) => {
      const request = await placeRequest(s, ['erasure']);
      await recordFailure(s.deps, { requestId: request.id, step: 'ApplyToSource', error: 'States.Timeout', taskToken: 'resume-token' });
      return { path: { reference: request.id } };
    },
  },
  'POST /operator/requests/{reference}/open-work': {
    prepare: async (s) => {
      const request = await placeRequest(s, ['erasure']);
      await s.deps.openWork.put({ requestId: request.id, id: 'processor:sellers:erasure', kind: 'processor_notice', processorId: 'sellers', type: 'erasure', since: s.deps.clock.now().toISOString() });
      return { path: { reference: request.id } };
    },
    body: { done: 'processor:sellers:erasure' },
  },
  'POST /operator/held-mail/{id}/admission': { prepare: onHeldMail },
  'POST /operator/held-mail/{id}/dismissal': { prepare: onHeldMail },
  'POST /operator/consents': { body: { email: 'person@example.kz', purposeId: 'marketing', action: 'grant' } },
  'POST /operator/retention/{source}/plan': { profile: VNEDRAH, prepare: async () => ({ path: { source: 'accounts' } }), writes: 'nothing' },
  'POST /operator/retention/{source}/approval': { profile: VNEDRAH, prepare: async () => ({ path: { source: 'accounts' } }), body: { expired: 0, held: {} } },
  'POST /operator/requests/{reference}/legal-hold': { prepare: onRequest(), body: { basis: 'Дело № 2-123/2025' } },
  'POST /operator/breaches': { body: BREACH_INPUT },
  'POST /operator/breaches/{reference}/subjects': { prepare: onBreach(), body: { people: [{ email: 'a@mail.example', language: 'ru' }] } },
  'POST /operator/breaches/{reference}/filing': { prepare: onBreach(), body: {} },
  'POST /operator/breaches/{reference}/person-notice/preview': { prepare: onBreach(true), body: {}, writes: 'nothing' },
  'POST /operator/breaches/{reference}/person-notice': { prepare: onBreach(true), body: { texts: { ru: 'Ссылка на копию базы была открыта два часа.' } } },
  'POST /operator/operators': { body: { email: 'new.operator@demo.kz', role: 'viewer' } },
  'DELETE /operator/operators/{email}': { prepare: async () => ({ path: { email: 'gone.operator@demo.kz' } }) },
};

const PERSON: OperatorActor = { kind: 'person', sub: '5b1e2c3d-0000-4000-8000-00000000a11c', email: 'aliya.operator@demo.kz' };
const KEY: OperatorActor = { kind: 'key', keyId: 'crm' };

/** Everything a call wrote: trail events of every trail, and consent changes. */
async function written(s: MemorySystem) {
  const consent = await s.deps.consent.history(await s.deps.personKey('person@example.kz'));
  return [...s.audit.events.map((e) => ({ what: e.type, operator: e.detail.operator })), ...consent.map((e) => ({ what: `consent.${e.type}`, operator: e.evidence.operator }))];
}

describe('every operator action names the operator', () => {
  const writeRoutes = (Object.keys(OPERATOR_ROUTE_ROLES) as OperatorRouteKey[]).filter((key): key is WriteRouteKey => !key.startsWith('GET '));

  it('has a scenario for each write route of the role table', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual([...writeRoutes].sort());
  });

  describe.each([
    ['a person signed in to the console', PERSON],
    ['a machine key', KEY],
  ] as const)('called by %s', (_who, actor) => {
    it.each(writeRoutes)('%s', async (key) => {
      const scenario = SCENARIOS[key];
      const s = systemFor(scenario.profile ?? 'profiles/demo.json', scenario.adjust ? { adjust: scenario.adjust } : {});
      const { path, query } = (await scenario.prepare?.(s)) ?? {};
      const before = (await written(s)).length;
      const event = {
        routeKey: key,
        pathParameters: path,
        queryStringParameters: query,
        headers: { 'idempotency-key': `k-${key.replace(/\W+/g, '-')}` },
        body: scenario.body === undefined ? undefined : JSON.stringify(scenario.body),
        requestContext: { http: { sourceIp: '127.0.0.1' } },
      } as unknown as APIGatewayProxyEventV2;
      const result = await operatorCall(s.deps, key, event, actor);
      expect(result.statusCode, String(result.body)).toBeLessThan(300);
      const made = (await written(s)).slice(before);
      if (scenario.writes === 'nothing') {
        expect(made).toEqual([]);
        return;
      }
      expect(made.length, 'the action wrote nothing to a trail').toBeGreaterThan(0);
      for (const entry of made) expect(entry, entry.what).toEqual({ what: entry.what, operator: actor });
    });
  });
});
