import * as z from './schema.ts';
import { onFirstUse } from './on-first-use.ts';
import { NOTICE_TYPES, type NoticeType } from './request-policy.ts';

/** An OpenDSR-style request body (opengdpr/OpenDSR `POST /requests`), with our request types added. */
export const processorNoticeSchema = onFirstUse(() =>
  z.strictObject({
    subject_request_id: z.string().check(z.minLength(1)),
    subject_request_type: z.enum(NOTICE_TYPES),
    submitted_time: z.iso.datetime({ offset: true }),
    subject_identities: z
      .array(
        z.strictObject({
          identity_type: z.literal('email'),
          // Normalised addresses may have a non-ASCII local part, which z.email() refuses.
          identity_value: z.string().check(z.includes('@')),
          identity_format: z.literal('raw'),
        }),
      )
      .check(z.minLength(1)),
    api_version: z.literal('0.1'),
    controller: z.strictObject({ name: z.string().check(z.minLength(1)) }),
    /**
     * Our addition for an erasure limited to particular data: the only fields to erase (names, as our profile calls
     * them); everything else stays. Absent, an erasure is of everything.
     */
    erasure_fields: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  }),
);
export type ProcessorNotice = z.infer<ReturnType<typeof processorNoticeSchema>>;

/** The notice for one request type, in the shape processors receive. */
export function processorNotice(input: { requestId: string; type: NoticeType; submittedAt: string; email: string; controllerName: string; erasureFields?: string[] }): ProcessorNotice {
  return {
    ...(input.type === 'erasure' && input.erasureFields && { erasure_fields: input.erasureFields }),
    subject_request_id: input.requestId,
    subject_request_type: input.type,
    submitted_time: input.submittedAt,
    subject_identities: [{ identity_type: 'email', identity_value: input.email, identity_format: 'raw' }],
    api_version: '0.1',
    controller: { name: input.controllerName },
  };
}
