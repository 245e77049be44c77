import { PutSuppressedDestinationCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { awsClient } from '../dependency-errors.ts';

/**
 * SES' account-level suppression list. It stops every message SES would send to the address — derbes' own later
 * answers included — so it is used only where the profile asks for it, and only after the opt-out is confirmed.
 */
export async function suppressInSes(email: string, ses: SESv2Client = sesV2Client()): Promise<void> {
  await ses.send(new PutSuppressedDestinationCommand({ EmailAddress: email, Reason: 'COMPLAINT' }));
}

let shared: SESv2Client | undefined;
/** One client per process, not one per call. */
function sesV2Client(): SESv2Client {
  shared ??= awsClient(new SESv2Client({}), 'SES');
  return shared;
}
