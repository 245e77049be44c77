import type { Processor } from '../../config/profile-schema.ts';
import { DependencyError, ValidationError, toFieldProblems } from '../../domain/errors.ts';
import { processorNoticeSchema, type ProcessorNotice } from '../../domain/processor-notice.ts';
import { requestMessageId } from '../../domain/request.ts';
import type { Mailer, NoticeDelivery, ProcessorNotices } from '../../use-cases/ports.ts';
import { DEFAULT_RETRY_POLICY, postSigned, type RetryPolicy } from '../http/signed-post.ts';

/**
 * The retry policy cut to what fits in `ms`: as many of its attempts as fit whole, each back-off counted at its
 * longest; where not even one fits whole, one attempt that waits no longer than `ms`.
 */
export function policyWithin(policy: RetryPolicy, ms: number): RetryPolicy {
  for (let attempts = policy.attempts; attempts > 1; attempts--) {
    const backoffs = policy.baseDelayMs * (2 ** (attempts - 1) - 1);
    if (attempts * policy.timeoutMs + backoffs <= ms) return { ...policy, attempts };
  }
  return { ...policy, attempts: 1, timeoutMs: Math.max(1, Math.min(policy.timeoutMs, ms)) };
}

/**
 * Tells processors and recipients of a rectification, blocking, unblocking, erasure, consent withdrawal or opt-out,
 * by signed webhook (the OpenDSR-style body) or by e-mail (the mail the caller wrote in the processor's language),
 * as the profile declares for each. A processor that cannot be reached is a result (delivered: false) for the
 * workflow to record; a notice that is malformed or not meant for this processor is a programming error and throws.
 */
export class ProcessorNotifier implements ProcessorNotices {
  constructor(
    private readonly mailer: Mailer,
    /** Reads a webhook's signing key by the processor's secretName. */
    private readonly secret: (name: string) => Promise<string>,
    /** The domain of our Message-IDs (the support address's), so a reply can be joined to the request. */
    private readonly messageDomain: string,
    private readonly retry: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly post: typeof postSigned = postSigned,
  ) {}

  async notify(processor: Processor, notice: ProcessorNotice, mail: { subject: string; text: string }, withinMs: number): Promise<NoticeDelivery> {
    const checked = processorNoticeSchema().safeParse(notice);
    if (!checked.success) throw new ValidationError(toFieldProblems(checked.error.issues), 'processor notice');
    if (!processor.notifyOn.includes(notice.subject_request_type)) {
      throw new ValidationError([{ field: 'subject_request_type', message: `processor ${processor.id} is not told of ${notice.subject_request_type}` }], 'processor notice');
    }
    const { notify } = processor;
    if (notify.kind === 'webhook') {
      const result = await this.post(notify.url, notice, await this.secret(notify.secretName), policyWithin(this.retry, withinMs));
      const signed = result.signature ? { signature: result.signature } : {};
      return result.ok
        ? { processorId: processor.id, channel: 'webhook', delivered: true, status: result.status, attempts: result.attempts, ...signed }
        : { processorId: processor.id, channel: 'webhook', delivered: false, status: result.status, attempts: result.attempts, error: result.error, ...signed };
    }
    const { subject, text } = mail;
    const messageId = requestMessageId(notice.subject_request_id, `processor-${processor.id}`, this.messageDomain);
    try {
      await this.mailer.send({ to: notify.address, subject, text, messageId });
      return { processorId: processor.id, channel: 'email', delivered: true, attempts: 1 };
    } catch (error) {
      // The mailer reports a refused or failed delivery as DependencyError; anything else is a bug.
      if (!(error instanceof DependencyError)) throw error;
      return { processorId: processor.id, channel: 'email', delivered: false, attempts: 1, error: error.message };
    }
  }
}
