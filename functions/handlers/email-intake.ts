import type { SESEvent } from 'aws-lambda';
import { dependencies } from '../composition.ts';
import type { SesVerdicts } from '../domain/email/index.ts';
import { receiveEmail, type EmailOutcome } from '../use-cases/receive-email.ts';
import { logger } from './logger.ts';
import { reportingErrors } from './report-errors.ts';

/**
 * SES receipt rule → S3 action (raw message) → this function, invoked asynchronously with metadata and
 * verdicts but no body. An error propagates so Lambda's asynchronous retries try again.
 */
export const handler = reportingErrors('email-intake', async (event: SESEvent): Promise<EmailOutcome[]> => {
  const outcomes: EmailOutcome[] = [];
  const deps = await dependencies();
  for (const record of event.Records) {
    const { mail, receipt } = record.ses;
    const verdicts: SesVerdicts = {
      spam: receipt.spamVerdict.status,
      virus: receipt.virusVerdict.status,
      spf: receipt.spfVerdict.status,
      dkim: receipt.dkimVerdict.status,
      dmarc: receipt.dmarcVerdict.status,
    };
    const raw = await deps.mailArchive.read(mail.messageId);
    const outcome = await receiveEmail(deps, mail.messageId, raw, verdicts, mail.source);
    const { requestId: reference, ...decided } = outcome;
    logger.info('email received', { sesMessageId: mail.messageId, ...decided, ...(reference && { reference }) });
    outcomes.push(outcome);
  }
  return outcomes;
});
