// The request's trail in the operator's words: each event as a sentence, and what each source and processor did.
// Codes the trail keeps (outcomes, reasons, request types) are said in the console's language, never shown raw.

/**
 * Who acted: an operator by address, or the operator key by its id, in words (a request keeps who decided, wrote or
 * entered it as text: `key <id>` for the key).
 */
export function actor(texts, value) {
  if (value && typeof value === 'object') return value.email ?? texts.t('common.operatorKey', { id: value.keyId });
  const key = /^key (key-\S+)$/.exec(value ?? '');
  return key ? texts.t('common.operatorKey', { id: key[1] }) : (value ?? '—');
}

/** What the profile calls a source, a processor or a purpose the trail names by id; the id where it no longer has it. */
const named = (texts, r, kind, id) => r.names?.[kind]?.[id]?.[texts.language] ?? id;

/** A step a source ran: a request type's, or its own (the consent flags an access reads). */
const sourceStepText = (texts, step) => texts.maybe(`types.${step}`, {}, undefined) ?? texts.maybe(`codes.sourceStep.${step}`, {}, step);

/** A request type in words (a notice names the type it told of). */
const typeText = (texts, type) => texts.maybe(`types.${type}`, {}, type);

/** A source's step and its outcome as the trail records them (`done: 3`, `kept`), in the console's language. */
function outcomeText(texts, step, outcome) {
  const name = sourceStepText(texts, step);
  const done = /^done: (\d+)$/.exec(outcome);
  return `${name}: ${done ? texts.t('request.outcomeDone', { count: done[1] }) : texts.maybe(`codes.sourceOutcome.${outcome}`, {}, outcome)}`;
}

/** A code of the trail (`kind`: outcome, withheld, alert, deadline) in the operator's words; the code itself if it has none. */
export const codeText = (texts, kind, code) => texts.maybe(`codes.${kind}.${code}`, {}, code);
/** A workflow step in words; one this console has no words for is shown by its state name. */
export const stepText = (texts, step) => texts.maybe(`steps.${step}`, {}, step);

/** What a source or a processor did, as the request's fulfilment lists it; nothing for an event that is not one. */
export function fulfilmentLine(texts, r, e) {
  if (e.type === 'source.applied') {
    // A source the request asked nothing of (a trail written before such sources were left alone): nothing was done.
    if (!Object.keys(e.detail.outcomes).length) return undefined;
    const outcomes = Object.entries(e.detail.outcomes).map(([step, outcome]) => outcomeText(texts, step, outcome)).join(', ');
    return texts.t('request.sourceApplied', { source: named(texts, r, 'sources', e.detail.sourceId), outcomes, attempt: e.detail.attempt });
  }
  if (e.type === 'source.failed') {
    const steps = e.detail.steps.map((step) => sourceStepText(texts, step)).join(', ');
    return texts.t('request.sourceFailed', { source: named(texts, r, 'sources', e.detail.sourceId), error: codeText(texts, 'sourceError', e.detail.error), steps });
  }
  if (e.type === 'processor.notified') {
    const delivered = texts.t(e.detail.delivered ? 'request.delivered' : 'request.notDelivered');
    return texts.t('request.processorNotified', { processor: named(texts, r, 'processors', e.detail.processorId), delivered, notice: typeText(texts, e.detail.noticeType), attempts: e.detail.attempts });
  }
  return undefined;
}

/** The trail as sentences: each event in the operator's language, with what it names. */
export function eventText(texts, r, e) {
  const d = e.detail ?? {};
  const by = actor(texts, d.operator ?? (d.operatorKeyId && { keyId: d.operatorKeyId }));
  switch (e.type) {
    case 'request.received':
      if (d.enteredBy) return texts.t('events.request.entered', { channel: texts.t(`channels.${d.channel}`), by: actor(texts, d.operator ?? d.enteredBy) });
      if (d.admittedBy) return texts.t('events.request.admitted', { channel: texts.t(`channels.${d.channel}`), by: actor(texts, d.operator ?? d.admittedBy) });
      return texts.t('events.request.received', { channel: texts.t(`channels.${d.channel}`) });
    case 'form.attachments':
      return texts.t('events.form.attachments', { count: d.attachments?.length ?? 0 });
    case 'status.changed':
      return texts.t('events.status.changed', { from: texts.t(`statuses.${d.from}`), to: texts.t(`statuses.${d.to}`) });
    case 'mail.sent':
      return texts.t('events.mail.sent', { template: texts.maybe(`templates.${d.template}`, {}, d.template) });
    case 'mail.withheld':
      return texts.t('events.mail.withheld', { template: texts.maybe(`templates.${d.template}`, {}, d.template), reason: codeText(texts, 'withheld', d.reason) });
    case 'mail.received':
      return texts.t('events.mail.received', { outcome: codeText(texts, 'outcome', d.outcome) });
    case 'operator.alerted':
      return texts.t('events.operator.alerted', { alert: codeText(texts, 'alert', d.alert) });
    case 'deadline.step':
      return texts.t('events.deadline.step', { kind: codeText(texts, 'deadline', d.kind) });
    case 'verification.requested':
      return texts.t(d.joined ? 'events.verification.joined' : 'events.verification.requested', { expiresAt: texts.dateTime(d.expiresAt, r.timeZone) });
    case 'source.applied': {
      // What the source did, as the fulfilment lists it: a source that kept the records under a legal hold is not "done".
      const outcomes = Object.entries(d.outcomes).map(([step, outcome]) => outcomeText(texts, step, outcome)).join(', ');
      return texts.t(outcomes ? 'events.source.applied' : 'events.source.nothingAsked', { source: named(texts, r, 'sources', d.sourceId), ...(outcomes && { outcomes }) });
    }
    case 'source.failed':
      return texts.t('events.source.failed', { source: named(texts, r, 'sources', d.sourceId), error: codeText(texts, 'sourceError', d.error) });
    case 'decision.requested':
      return texts.t('events.decision.requested', { reasons: e.described?.[texts.language] ?? r.review?.[texts.language] ?? d.reasons.join('; ') });
    case 'decision.made':
      if (d.approved && d.erasedFields) return texts.t('events.decision.approvedFields', { by, fields: d.erasedFields.join(', ') });
      return texts.t(d.approved ? 'events.decision.approved' : 'events.decision.refused', { by });
    case 'request.classified':
      return texts.t('events.request.classified', { by, types: d.types.map((type) => texts.t(`types.${type}`)).join(', ') });
    case 'processor.notified':
      return texts.t('events.processor.notified', { processor: named(texts, r, 'processors', d.processorId), delivered: texts.t(d.delivered ? 'request.delivered' : 'request.notDelivered'), notice: typeText(texts, d.noticeType) });
    case 'deadline.extended':
      return texts.t('events.deadline.extended', { to: texts.dateTime(d.to, r.timeZone), by });
    case 'consent.withdrawn':
      return texts.t('events.consent.withdrawn', { purposes: d.purposes.map((purpose) => named(texts, r, 'purposes', purpose)).join(', ') });
    case 'retention.hold':
      return texts.t('events.retention.hold', { by });
    case 'workflow.failed':
      return texts.t('events.workflow.failed', { step: stepText(texts, d.step), code: d.code });
    default:
      return texts.maybe(`events.${e.type}`, { ...d, by }, texts.t('events.other', { type: e.type }));
  }
}
