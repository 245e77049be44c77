import * as z from '../functions/domain/schema.ts';
import data from '../rules/aws/ses-email-receiving.json' with { type: 'json' };
import { ConfigurationError, toFieldProblems } from '../functions/domain/errors.ts';

const ReceivingRegions = z.strictObject({
  what: z.string().check(z.minLength(1)),
  source: z.string().check(z.includes('https://')),
  checked: z.iso.date(),
  confidence: z.string().check(z.minLength(1)),
  regions: z.record(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/)), z.string().check(z.minLength(1))),
});

/** Where SES can receive mail, with the page it was read from (rules/aws/ses-email-receiving.json). */
export const SES_RECEIVING = (() => {
  const parsed = ReceivingRegions.safeParse(data);
  if (!parsed.success) throw new ConfigurationError('rules/aws/ses-email-receiving.json', toFieldProblems(parsed.error.issues));
  return parsed.data;
})();

/**
 * The region to deploy to: `-c region=…` on the command line wins over the profile's deployment.region. derbes
 * needs SES to receive the support mailbox's mail, so a region without SES receiving is refused, naming those
 * that have it. Without either, there is no region: the stack stays region-agnostic (local runtime, tests).
 */
export function deploymentRegion(fromContext: unknown, fromProfile: string | undefined): string | undefined {
  const region = typeof fromContext === 'string' && fromContext ? fromContext : fromProfile;
  if (region === undefined) return undefined;
  if (!(region in SES_RECEIVING.regions)) {
    const known = Object.entries(SES_RECEIVING.regions).map(([id, name]) => `${id} (${name})`).join(', ');
    throw new ConfigurationError('deployment region', [
      { field: 'region', message: `SES cannot receive mail in ${region}; choose one of: ${known} — per ${SES_RECEIVING.source}, checked ${SES_RECEIVING.checked}` },
    ]);
  }
  return region;
}
