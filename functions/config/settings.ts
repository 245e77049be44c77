import { ConfigurationError } from '../domain/errors.ts';

/**
 * Every environment variable of derbes' own that a function reads (the AWS SDK's and Lambda's AWS_* aside). The CDK
 * construct sets them from these names and the local runtime reads them back from the synthesized template, so a
 * name cannot drift between the two.
 */
export const Settings = {
  requestsTable: 'REQUESTS_TABLE',
  auditTable: 'AUDIT_TABLE',
  verificationsTable: 'VERIFICATIONS_TABLE',
  rawMailBucket: 'RAW_MAIL_BUCKET',
  rawMailPrefix: 'RAW_MAIL_PREFIX',
  packagesBucket: 'PACKAGES_BUCKET',
  /** The daily digests of the audit chains' heads (Object Lock, compliance mode). */
  auditDigestsBucket: 'AUDIT_DIGESTS_BUCKET',
  stateMachineArn: 'STATE_MACHINE_ARN',
  profileFile: 'DERBES_PROFILE_FILE',
  publicUrl: 'PUBLIC_URL',
  /** `ses` in every function that may send mail (set with its ses:SendRawEmail grant); absent elsewhere. */
  mailTransport: 'MAIL_TRANSPORT',
  /** Name (or ARN) of the secret holding the operator API key. */
  operatorKeySecret: 'OPERATOR_KEY_SECRET',
  /** Name (or ARN) of the secret keying person keys (HMAC of the normalised address). */
  personKeySecret: 'PERSON_KEY_SECRET',
  consentTable: 'CONSENT_TABLE',
  /** Token buckets and mail budgets, shared by every function instance. */
  limitsTable: 'LIMITS_TABLE',
  /** The user pool of the people who sign in to the console (operators), and the console's app client. */
  userPoolId: 'USER_POOL_ID',
  userPoolClientId: 'USER_POOL_CLIENT_ID',
} as const;

export type SettingName = (typeof Settings)[keyof typeof Settings];

export function readSetting(name: SettingName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new ConfigurationError('environment', [{ field: name, message: 'is not set' }]);
  return value;
}
