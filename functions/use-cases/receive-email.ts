import { decideIntake, type IntakeDecision, type SesVerdicts } from '../domain/email/index.ts';
import type { Dependencies } from './dependencies.ts';
import { submitRequest } from './submit-request.ts';

export interface EmailOutcome {
  outcome: IntakeDecision['kind'] | 'triage';
  requestId?: string;
  reason?: string;
}

const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

/**
 * One message from the support mailbox. The raw message stays where SES stored it whatever happens here;
 * requests are keyed by the message's Message-ID (or SES id), so a re-delivery makes no second request.
 */
export async function receiveEmail(deps: Dependencies, sesMessageId: string, raw: Uint8Array, verdicts: SesVerdicts): Promise<EmailOutcome> {
  const decision = await decideIntake(raw, verdicts, {
    defaultLanguage: deps.profile.defaultLanguage,
    ownMessageIdDomain: deps.profile.supportAddress.split('@')[1]!,
    supportAddresses: [deps.profile.supportAddress],
    fixedSubjects: [],
    maxMessageBytes: MAX_MESSAGE_BYTES,
    maxAttachmentBytes: MAX_ATTACHMENT_BYTES,
  });
  if (decision.kind !== 'request') return { outcome: decision.kind, reason: 'reason' in decision ? decision.reason : undefined };
  if (decision.triage || decision.types.length === 0) return { outcome: 'triage', reason: decision.triageReason };
  const { request } = await submitRequest(
    deps,
    { types: decision.types, email: decision.sender, name: decision.senderName, language: decision.language },
    'email',
    decision.messageId ? `message-id:${decision.messageId}` : `ses:${sesMessageId}`,
  );
  return { outcome: 'request', requestId: request.id };
}
