import { PutSuppressedDestinationCommand, SESv2Client } from '@aws-sdk/client-sesv2';

/**
 * SES' account-level suppression list. It stops every message SES would send to the address — derbes' own later
 * answers included — so it is used only where the profile asks for it, and only after the opt-out is confirmed.
 */
export async function suppressInSes(email: string): Promise<void> {
  await new SESv2Client({}).send(new PutSuppressedDestinationCommand({ EmailAddress: email, Reason: 'COMPLAINT' }));
}
