import { z } from 'zod';
import type { Processor } from '../../config/profile-schema.ts';
import { DependencyError, ValidationError, toFieldProblems } from '../../domain/errors.ts';
import { requestMessageId } from '../../domain/request.ts';
import type { Mailer } from '../../use-cases/ports.ts';
import { DEFAULT_RETRY_POLICY, postSigned, type RetryPolicy } from '../http/signed-post.ts';

/**
 * The request types a processor or recipient hears of (GDPR Art. 19 style; Law 94-V has no narrower list), and an
 * opt-out for those who use the data for advertising.
 */
export const NOTICE_TYPES = ['erasure', 'rectification', 'blocking', 'unblocking', 'consent_withdrawal', 'marketing_opt_out'] as const;
export type NoticeType = (typeof NOTICE_TYPES)[number];

/** An OpenDSR-style request body (opengdpr/OpenDSR `POST /requests`), with our request types added. */
export const ProcessorNoticeSchema = z.strictObject({
  subject_request_id: z.string().min(1),
  subject_request_type: z.enum(NOTICE_TYPES),
  submitted_time: z.iso.datetime({ offset: true }),
  subject_identities: z
    .array(
      z.strictObject({
        identity_type: z.literal('email'),
        // Normalised addresses may have a non-ASCII local part, which z.email() refuses.
        identity_value: z.string().includes('@'),
        identity_format: z.literal('raw'),
      }),
    )
    .min(1),
  api_version: z.literal('0.1'),
  controller: z.strictObject({ name: z.string().min(1) }),
});
export type ProcessorNotice = z.infer<typeof ProcessorNoticeSchema>;

export interface NoticeDelivery {
  processorId: string;
  channel: 'webhook' | 'email';
  delivered: boolean;
  /** The HTTP status of the last webhook attempt, when there was an answer. */
  status?: number;
  attempts: number;
  error?: string;
}

/** The notice for one request type, in the shape processors receive. */
export function processorNotice(input: { requestId: string; type: NoticeType; submittedAt: string; email: string; controllerName: string }): ProcessorNotice {
  return {
    subject_request_id: input.requestId,
    subject_request_type: input.type,
    submitted_time: input.submittedAt,
    subject_identities: [{ identity_type: 'email', identity_value: input.email, identity_format: 'raw' }],
    api_version: '0.1',
    controller: { name: input.controllerName },
  };
}

/**
 * Tells processors and recipients of a rectification, blocking, unblocking, erasure, consent withdrawal or opt-out,
 * by signed webhook (the OpenDSR-style body) or by e-mail (the mail the caller wrote in the processor's language),
 * as the profile declares for each. A processor that cannot be reached is a result (delivered: false) for the
 * workflow to record; a notice that is malformed or not meant for this processor is a programming error and throws.
 */
export class ProcessorNotifier {
  constructor(
    private readonly mailer: Mailer,
    /** Reads a webhook's signing key by the processor's secretName. */
    private readonly secret: (name: string) => Promise<string>,
    /** The domain of our Message-IDs (the support address's), so a reply can be joined to the request. */
    private readonly messageDomain: string,
    private readonly retry: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly post: typeof postSigned = postSigned,
  ) {}

  async notify(processor: Processor, notice: ProcessorNotice, mail: { subject: string; text: string }): Promise<NoticeDelivery> {
    const checked = ProcessorNoticeSchema.safeParse(notice);
    if (!checked.success) throw new ValidationError(toFieldProblems(checked.error.issues), 'processor notice');
    if (!processor.notifyOn.includes(notice.subject_request_type)) {
      throw new ValidationError([{ field: 'subject_request_type', message: `processor ${processor.id} is not told of ${notice.subject_request_type}` }], 'processor notice');
    }
    const { notify } = processor;
    if (notify.kind === 'webhook') {
      const result = await this.post(notify.url, notice, await this.secret(notify.secretName), this.retry);
      return result.ok
        ? { processorId: processor.id, channel: 'webhook', delivered: true, status: result.status, attempts: result.attempts }
        : { processorId: processor.id, channel: 'webhook', delivered: false, status: result.status, attempts: result.attempts, error: result.error };
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
