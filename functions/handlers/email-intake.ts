import type { SESEvent } from 'aws-lambda';
import { RawMailStore } from '../adapters/aws/raw-mail-store.ts';
import { dependencies } from '../composition.ts';
import { readSetting, Settings } from '../config/settings.ts';
import type { SesVerdicts } from '../domain/email/index.ts';
import { receiveEmail, type EmailOutcome } from '../use-cases/receive-email.ts';
import { logger } from './logger.ts';

let store: RawMailStore | undefined;

/**
 * SES receipt rule → S3 action (raw message) → this function, invoked asynchronously with metadata and
 * verdicts but no body. An error propagates so Lambda's asynchronous retries try again.
 */
export async function handler(event: SESEvent): Promise<EmailOutcome[]> {
  const outcomes: EmailOutcome[] = [];
  store ??= new RawMailStore(readSetting(Settings.rawMailBucket), process.env[Settings.rawMailPrefix] ?? '');
  for (const record of event.Records) {
    const { mail, receipt } = record.ses;
    const verdicts: SesVerdicts = {
      spam: receipt.spamVerdict.status,
      virus: receipt.virusVerdict.status,
      spf: receipt.spfVerdict.status,
      dkim: receipt.dkimVerdict.status,
      dmarc: receipt.dmarcVerdict.status,
    };
    const raw = await store.read(mail.messageId);
    const outcome = await receiveEmail(dependencies(), store, mail.messageId, raw, verdicts);
    logger.info('email received', { sesMessageId: mail.messageId, ...outcome });
    outcomes.push(outcome);
  }
  return outcomes;
}
