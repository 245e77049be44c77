import * as z from '../schema.ts';
import file from '../../../rules/intake/mail-domains.json' with { type: 'json' };
import { ConfigurationError, toFieldProblems } from '../errors.ts';
import { onFirstUse } from '../on-first-use.ts';
import { mailboxOf } from './address.ts';

const DOMAIN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const schema = onFirstUse(() =>
  z.strictObject({
    $comment: z.string(),
    source: z.string().check(z.minLength(1)),
    sharedProviders: z.array(z.string().check(z.regex(DOMAIN))).check(z.minLength(1)),
    publicSecondLevels: z.array(z.string().check(z.regex(/^[a-z0-9-]{1,63}$/))),
  }),
);

/** Validated when first asked for (see onFirstUse). */
const rules = onFirstUse(() => {
  const parsed = schema().safeParse(file);
  if (!parsed.success) throw new ConfigurationError('rules/intake/mail-domains.json', toFieldProblems(parsed.error.issues));
  return { shared: new Set(parsed.data.sharedProviders), secondLevels: new Set(parsed.data.publicSecondLevels) };
});

/** Whether a domain is a public mailbox provider's (rules/intake/mail-domains.json): many unrelated people. */
export function isSharedProvider(domain: string): boolean {
  return rules().shared.has(domain);
}

/**
 * The domain an address's mail budget is counted under: a shared provider's own (its other domains as one, see
 * mailboxOf), else the organisation's domain — two labels, three under a public second level (`example.com.kz`) —
 * so that the subdomains of a catch-all (`a.attacker.example`, `b.attacker.example`) are one domain. Takes a
 * normalised address.
 */
export function budgetDomainOf(address: string): { domain: string; shared: boolean } {
  const mailbox = mailboxOf(address);
  const domain = mailbox.slice(mailbox.lastIndexOf('@') + 1);
  if (isSharedProvider(domain)) return { domain, shared: true };
  const labels = domain.split('.');
  const underPublicSecondLevel = labels.length >= 3 && labels.at(-1)!.length === 2 && rules().secondLevels.has(labels.at(-2)!);
  return { domain: labels.slice(underPublicSecondLevel ? -3 : -2).join('.'), shared: false };
}
