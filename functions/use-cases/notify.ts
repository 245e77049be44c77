import { localize, mailDomain } from '../config/profile-schema.ts';
import { messagesFor, type MailTemplate } from '../domain/messages.ts';
import { requestMessageId, type DataSubjectRequest } from '../domain/request.ts';
import type { Dependencies } from './dependencies.ts';

/** The values every notice shares: who we are, how to reach us, the dates in the person's language. */
export function commonValues(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest): Record<string, string> {
  const messages = messagesFor(request.language);
  return {
    reference: request.id,
    greetingName: request.name ? `, ${request.name}` : '',
    operator: localize(deps.profile.operator.name, request.language),
    contact: deps.profile.operator.contactEmail,
    receivedAt: messages.date(request.receivedAt, request.deadline.timeZone),
    dueAt: messages.date(request.deadline.dueAt, request.deadline.timeZone),
    rule: request.deadline.rule.citation,
    types: messages.typeNames(request.types),
  };
}

/** Sends one notice to the person and records it. */
export async function notifyPerson(
  deps: Pick<Dependencies, 'profile' | 'mailer' | 'audit'>,
  request: DataSubjectRequest,
  template: MailTemplate,
  values: Record<string, string>,
): Promise<void> {
  const { subject, text } = messagesFor(request.language).mail(template, { ...commonValues(deps, request), ...values });
  const messageId = requestMessageId(request.id, template, mailDomain(deps.profile));
  await deps.mailer.send({ to: request.email, subject, text, messageId });
  await deps.audit.append(request.id, { type: 'mail.sent', detail: { template, messageId } });
}

/** Tells the operator's responsible person (the profile's contact address) that a request needs them. */
export async function alertOperator(
  deps: Pick<Dependencies, 'profile' | 'mailer' | 'audit'>,
  request: DataSubjectRequest,
  alert: string,
  detail: string,
): Promise<void> {
  await mailOperator(deps, request, 'operatorAlert', { alert, detail }, alert);
}

/** Sends the operator one of their templates about a request, in the profile's default language, and records it. */
export async function mailOperator(
  deps: Pick<Dependencies, 'profile' | 'mailer' | 'audit'>,
  request: DataSubjectRequest,
  template: MailTemplate,
  values: Record<string, string>,
  alert: string,
): Promise<void> {
  const messages = messagesFor(deps.profile.defaultLanguage);
  const { subject, text } = messages.mail(template, {
    reference: request.id,
    types: messages.typeNames(request.types),
    receivedAt: messages.date(request.receivedAt, request.deadline.timeZone),
    dueAt: messages.date(request.deadline.dueAt, request.deadline.timeZone),
    ...values,
  });
  await deps.mailer.send({ to: deps.profile.operator.contactEmail, subject, text, messageId: requestMessageId(request.id, template, mailDomain(deps.profile)) });
  await deps.audit.append(request.id, { type: 'operator.alerted', detail: { alert } });
}
