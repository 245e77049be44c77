import { PutSuppressedDestinationCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { withTransientErrors } from '../dependency-errors.ts';

/**
 * SES' account-level suppression list. It stops every message SES would send to the address — derbes' own later
 * answers included — so it is used only where the profile asks for it, and only after the opt-out is confirmed.
 */
export async function suppressInSes(email: string): Promise<void> {
  await withTransientErrors(new SESv2Client({}), 'SES').send(new PutSuppressedDestinationCommand({ EmailAddress: email, Reason: 'COMPLAINT' }));
}
