import type { AuditEvent } from '../domain/audit.ts';
import type { ConsentActionInput, ConsentLedger } from '../domain/consent/index.ts';
import type { OperatorActor } from '../domain/operator-identity.ts';
import type { Dependencies } from './dependencies.ts';
import type { AuditLog, BreachRegister, RequestStore, SentMailLedger } from './ports.ts';

/**
 * The dependencies of one operator's call: every audit event written through them — by whichever use case, into
 * whichever trail, through whichever store writes events (the trail, requests, sent mail, breaches) — names the
 * operator in `detail.operator`, and every consent change records them in its evidence. One place, so an operator
 * route cannot forget: the operator API hands each route these, never the process's own.
 */
export function onBehalfOf(deps: Dependencies, actor: OperatorActor): Dependencies {
  const named = (event: AuditEvent): AuditEvent => ({ ...event, detail: { ...event.detail, operator: event.detail.operator ?? actor } }) as AuditEvent;
  const consentBy = (action: ConsentActionInput): ConsentActionInput => ({ ...action, evidence: { ...action.evidence, operator: action.evidence?.operator ?? actor } });
  return overriding(deps, {
    audit: overriding<AuditLog>(deps.audit, {
      append: (trail, event) => deps.audit.append(trail, named(event)),
      appendInboundMail: (id, event) => deps.audit.appendInboundMail(id, named(event) as typeof event),
      appendOnce: (trail, once, event) => deps.audit.appendOnce(trail, once, named(event)),
    }),
    requests: overriding<RequestStore>(deps.requests, {
      create: (request, event, idempotency) => deps.requests.create(request, named(event), idempotency),
      transition: (which, from, to, changes, also) => deps.requests.transition(which, from, to, changes, also?.map(named)),
      amend: (which, status, changes, events, check) => deps.requests.amend(which, status, changes, events.map(named), check),
    }),
    sentMail: overriding<SentMailLedger>(deps.sentMail, {
      confirm: (key, messageId, event) => deps.sentMail.confirm(key, messageId, named(event)),
    }),
    breaches: overriding<BreachRegister>(deps.breaches, {
      create: (breach, event, idempotencyKey) => deps.breaches.create(breach, named(event), idempotencyKey),
      update: (next, events) => deps.breaches.update(next, events.map(named)),
    }),
    consent: overriding<ConsentLedger>(deps.consent, {
      grant: (action) => deps.consent.grant(consentBy(action)),
      withdraw: (action) => deps.consent.withdraw(consentBy(action)),
    }),
  });
}

/** `target` with some members replaced; every other member is the target's own (methods bound to it). */
function overriding<T extends object>(target: T, replaced: Partial<T>): T {
  return new Proxy(target, {
    get(object, member) {
      if (Object.hasOwn(replaced, member)) return replaced[member as keyof T];
      const value: unknown = Reflect.get(object, member);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
