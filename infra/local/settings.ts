import { resolve } from 'node:path';
import * as z from '../../functions/domain/schema.ts';
import { ConfigurationError, toFieldProblems } from '../../functions/domain/errors.ts';
import { DEFAULT_PROFILE, REPO_ROOT } from '../names.ts';

/** Lambda's application log levels. */
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

const port = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(65535)), fallback);

/** Every setting of `npm start`, read from the environment once and checked with the variable's name. */
const RuntimeSettingsSchema = z.object({
  DATA_DIR: z._default(z.string(), '.derbes'),
  PORT: port(3000),
  SMTP_PORT: port(2525),
  /** Internal services; 0 picks a free port. */
  DYNAMODB_PORT: port(8000),
  S3_PORT: port(0),
  SFN_PORT: port(0),
  SECRETS_PORT: port(0),
  /** The operators' user pool (Cognito's API, which the console's sign-in page calls from the browser). */
  COGNITO_PORT: port(0),
  PUBLIC_URL: z.optional(z.url()),
  MAIL_RELAY_URL: z.optional(z.url()),
  DERBES_PROFILE: z._default(z.string(), DEFAULT_PROFILE),
  HOST: z._default(z.string(), '127.0.0.1'),
  /** Run scheduled functions this often instead of the template's rate (0 = the template's). */
  WATCH_INTERVAL_SECONDS: z._default(z.coerce.number().check(z.int(), z.gte(0)), 0),
  /** 1: write a demo profile's sample records again (they are written on the first start only). */
  RESET_DEMO_DATA: z._default(z.enum(['0', '1']), '0'),
  /** A file to keep a count of the functions' AWS calls in (for the benches); unset, nothing is counted. */
  METER_FILE: z.optional(z.string()),
  /** The functions' application log level instead of the template's (one of Lambda's levels). */
  LOG_LEVEL: z.optional(z.enum(LOG_LEVELS)),
});

export interface RuntimeSettings {
  dataDir: string;
  port: number;
  smtpPort: number;
  dynamoDbPort: number;
  s3Port: number;
  sfnPort: number;
  secretsPort: number;
  cognitoPort: number;
  publicUrl?: string;
  mailRelayUrl?: string;
  profilePath: string;
  host: string;
  watchIntervalSeconds: number;
  resetDemoData: boolean;
  meterFile?: string;
  logLevel?: (typeof LOG_LEVELS)[number];
}

export function runtimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  // A log level is read as Lambda reads it, in any case; an empty one is no setting.
  const parsed = RuntimeSettingsSchema.safeParse({ ...env, LOG_LEVEL: env.LOG_LEVEL?.toUpperCase() || undefined });
  if (!parsed.success) throw new ConfigurationError('environment', toFieldProblems(parsed.error.issues));
  const s = parsed.data;
  return {
    dataDir: resolve(s.DATA_DIR),
    port: s.PORT,
    smtpPort: s.SMTP_PORT,
    dynamoDbPort: s.DYNAMODB_PORT,
    s3Port: s.S3_PORT,
    sfnPort: s.SFN_PORT,
    secretsPort: s.SECRETS_PORT,
    cognitoPort: s.COGNITO_PORT,
    publicUrl: s.PUBLIC_URL,
    mailRelayUrl: s.MAIL_RELAY_URL,
    profilePath: resolve(REPO_ROOT, s.DERBES_PROFILE),
    host: s.HOST,
    watchIntervalSeconds: s.WATCH_INTERVAL_SECONDS,
    resetDemoData: s.RESET_DEMO_DATA === '1',
    meterFile: s.METER_FILE ? resolve(s.METER_FILE) : undefined,
    logLevel: s.LOG_LEVEL,
  };
}
