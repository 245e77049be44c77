import { isAbsolute, resolve } from 'node:path';
import { DynamoAuditLog } from './adapters/dynamodb/audit-log.ts';
import { documentClient } from './adapters/dynamodb/client.ts';
import { lazy } from './adapters/lazy.ts';
import { DynamoRequestStore } from './adapters/dynamodb/request-store.ts';
import { DynamoDecisionStore } from './adapters/dynamodb/decision-store.ts';
import { DynamoAttentionStore } from './adapters/dynamodb/attention-store.ts';
import { DynamoOpenWorkStore } from './adapters/dynamodb/open-work-store.ts';
import { DynamoLimits } from './adapters/dynamodb/limits.ts';
import type { RawMailStore } from './adapters/aws/raw-mail-store.ts';
import { DynamoSuppressionList } from './adapters/dynamodb/suppression-list.ts';
import { DynamoSentMailLedger } from './adapters/dynamodb/sent-mail-ledger.ts';
import { keyedHash, personKey } from './domain/person-key.ts';
import type { DynamoDbSourceConnector } from './adapters/sources/dynamodb-source.ts';
import { sealingKey } from './domain/sealing.ts';
import { SingleUseTokens } from './adapters/dynamodb/single-use-tokens.ts';
import { loadProfileFile } from './config/load-profile.ts';
import { localize, mailDomain, type DataSource, type OperatorProfile } from './config/profile-schema.ts';
import { readSetting, Settings } from './config/settings.ts';
import { ConfigurationError } from './domain/errors.ts';
import { createDeadlineEngine, loadShippedRules, needsBaseHolidays, RulesNotLoadedError, type BaseHolidays, type RuleDocuments } from './domain/deadlines/index.ts';
import type { DownloadGrant } from './use-cases/ports.ts';
import type { ConsentLedger } from './domain/consent/index.ts';
import type { Dependencies } from './use-cases/dependencies.ts';
import type { BreachRegister, DataSourceConnector, Mailer, VerificationStore, OwnRecords, PackageStore, RetentionSource, RetentionStates, Workflow } from './use-cases/ports.ts';
import type { ProcessorNotifier } from './adapters/processors/processor-notifier.ts';

/** In Lambda the profile ships beside the bundle; locally the runtime points at the file it was given. */
function profilePath(): string {
  const file = readSetting(Settings.profileFile);
  return isAbsolute(file) ? file : resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), file);
}

/** The retention purge's and the breach register's adapters, one module loaded on first use. */
const retentionAndBreaches = () => import('./adapters/retention-and-breaches.ts');

/** The consent ledger's and the verification store's adapters, one module loaded on first use. */
const consentAndVerification = () => import('./adapters/consent-and-verification.ts');

const secretSource = async () => (await import('./adapters/aws/secrets.ts')).secretSource();

/**
 * Mail goes through SES, in AWS and locally (where the runtime stands in for SES). A function sends mail only if
 * the template says so with MAIL_TRANSPORT, set together with its ses:SendRawEmail grant.
 */
function mailerFor(from: { address: string; name: string }, suppressed: (email: string) => Promise<boolean>): Mailer {
  const transport = readSetting(Settings.mailTransport);
  if (transport !== 'ses') throw new ConfigurationError('environment', [{ field: Settings.mailTransport, message: `must be ses, not ${transport}` }]);
  return lazy(async () => {
    const { ComposingMailer, sesDelivery } = await import('./adapters/mail/mailer.ts');
    return new ComposingMailer(from, sesDelivery(), suppressed);
  });
}

/**
 * Builds the dependencies from the environment, each on first use: a function fails only on the
 * settings it needs, and fails with the name of the missing one. `loaded` holds what was read ahead: the profile,
 * the rule documents of its jurisdictions (without them, the deadline engine is refused with RulesNotLoadedError),
 * and the holiday library its calendars build on (without it, such a calendar refuses to count days).
 */
export function dependenciesFromEnvironment(loaded: { profile?: OperatorProfile; rules?: RuleDocuments; baseHolidays?: BaseHolidays } = {}): Dependencies {
  const memo = new Map<string, unknown>();
  const once = <T>(key: string, build: () => T): T => {
    if (!memo.has(key)) memo.set(key, build());
    return memo.get(key) as T;
  };
  /** A source's connector, built once per source on first use (its module brings the S3 client). */
  const connectors = new Map<string, Promise<DataSourceConnector>>();
  const connectorOf = (source: DataSource) => {
    let connector = connectors.get(source.id);
    if (!connector) {
      connector = import('./adapters/sources/connector-factory.ts').then((factory) => factory.connectorFor(source));
      connector.catch(() => connectors.delete(source.id)); // a failed import is tried again on the next call
      connectors.set(source.id, connector);
    }
    return connector;
  };
  /** Callback task tokens are stored sealed with a key derived from the person-key secret (no secret of their own). */
  /** Raw mail and attachments in S3 (the operator reads them, intake stores them, the purge deletes them). */
  const rawMail = () =>
    once('rawMail', () => {
      const bucket = readSetting(Settings.rawMailBucket);
      const prefix = readSetting(Settings.rawMailPrefix);
      return lazy<RawMailStore>(async () => new (await import('./adapters/aws/raw-mail-store.ts')).RawMailStore(bucket, prefix));
    });
  const taskTokenKey = async () => sealingKey(await deps.secret(readSetting(Settings.personKeySecret)), 'task-token');
  const deps: Dependencies = {
    get profile() {
      return once('profile', () => loaded.profile ?? loadProfileFile(profilePath()));
    },
    get deadlines() {
      return once('deadlines', () => {
        if (!loaded.rules) throw new RulesNotLoadedError(deps.profile.jurisdiction);
        const { profile } = deps;
        return createDeadlineEngine({ calendarOverrides: profile.calendarOverrides, baseHolidays: loaded.baseHolidays }, loaded.rules, (codes) => moreRules(profile, codes));
      });
    },
    get requests() {
      return once(
        'requests',
        () => new DynamoRequestStore(documentClient(), readSetting(Settings.requestsTable), readSetting(Settings.auditTable), undefined, () => deps.packages),
      );
    },
    get audit() {
      return once('audit', () => new DynamoAuditLog(documentClient(), readSetting(Settings.auditTable)));
    },
    get auditChains() {
      return once('audit', () => new DynamoAuditLog(documentClient(), readSetting(Settings.auditTable)));
    },
    get verifications() {
      return once('verifications', () => {
        const table = readSetting(Settings.verificationsTable);
        return lazy<VerificationStore>(async () => new (await consentAndVerification()).DynamoVerificationStore(documentClient(), table, taskTokenKey));
      });
    },
    get decisions() {
      return once('decisions', () => new DynamoDecisionStore(documentClient(), readSetting(Settings.requestsTable), taskTokenKey));
    },
    get limits() {
      return once('limits', () => new DynamoLimits(documentClient(), readSetting(Settings.limitsTable)));
    },
    get attention() {
      return once('attention', () => new DynamoAttentionStore(documentClient(), readSetting(Settings.requestsTable)));
    },
    get openWork() {
      return once('openWork', () => new DynamoOpenWorkStore(documentClient(), readSetting(Settings.requestsTable)));
    },
    get consent() {
      return once('consent', () => {
        const table = readSetting(Settings.consentTable);
        return lazy<ConsentLedger>(async () =>
          new (await consentAndVerification()).DynamoConsentLedger(documentClient(), table, {
            timeZone: deps.deadlines.timeZone(deps.profile.jurisdiction),
            purposes: deps.profile.purposes,
          }),
        );
      });
    },
    get suppressions() {
      return once('suppressions', () => new DynamoSuppressionList(documentClient(), readSetting(Settings.consentTable), (email) => deps.personKey(email)));
    },
    suppressInSes: async (email) => (await import('./adapters/aws/ses-suppression.ts')).suppressInSes(email),
    async personKey(email: string) {
      return personKey(email, await deps.secret(readSetting(Settings.personKeySecret)));
    },
    async keyedHash(kind: string, value: string) {
      return keyedHash(kind, value, await deps.secret(readSetting(Settings.personKeySecret)));
    },
    get retentionStates() {
      return once('retentionStates', () => {
        const table = readSetting(Settings.requestsTable);
        return lazy<RetentionStates>(async () => new (await retentionAndBreaches()).DynamoRetentionStates(documentClient(), table));
      });
    },
    retentionSourceFor(source: DataSource) {
      if (source.kind === 'http') return lazy<RetentionSource>(async () => new (await retentionAndBreaches()).HttpRetentionSource(source, () => deps.secret(source.secretName), deps.audit));
      if (source.kind !== 'dynamodb') {
        throw new ConfigurationError('operator profile', [{ field: `sources.${source.id}`, message: "the retention purge reads DynamoDB tables and the company's HTTP service" }]);
      }
      const auditTable = readSetting(Settings.auditTable);
      return lazy<RetentionSource>(async () => new (await retentionAndBreaches()).DynamoDbRetentionSource(documentClient(), source, (await connectorOf(source)) as DynamoDbSourceConnector, auditTable));
    },
    get ownRecords() {
      return once('ownRecords', () => {
        const requestsTable = readSetting(Settings.requestsTable);
        const auditTable = readSetting(Settings.auditTable);
        return lazy<OwnRecords>(async () =>
          new (await retentionAndBreaches()).OwnRecordsRetention(documentClient(), requestsTable, auditTable, rawMail, (canonical) => deps.keyedHash('own-records', canonical)),
        );
      });
    },
    get breaches() {
      return once('breaches', () => {
        const requestsTable = readSetting(Settings.requestsTable);
        const auditTable = readSetting(Settings.auditTable);
        return lazy<BreachRegister>(async () => new (await retentionAndBreaches()).DynamoBreachRegister(documentClient(), requestsTable, auditTable));
      });
    },
    get mailArchive() {
      return rawMail();
    },
    get packages() {
      return once('packages', () => {
        const bucket = readSetting(Settings.packagesBucket);
        return lazy<PackageStore>(async () => new (await import('./adapters/aws/package-store.ts')).PackageStore(bucket));
      });
    },
    get auditDigests() {
      return once('auditDigests', () => {
        const bucket = readSetting(Settings.auditDigestsBucket);
        return lazy<PackageStore>(async () => new (await import('./adapters/aws/package-store.ts')).PackageStore(bucket));
      });
    },
    get downloads() {
      return once('downloads', () => new SingleUseTokens<DownloadGrant>(documentClient(), readSetting(Settings.verificationsTable), 'download'));
    },
    get processorNotifier() {
      return once('processorNotifier', () =>
        lazy<ProcessorNotifier>(async () => new (await import('./adapters/processors/processor-notifier.ts')).ProcessorNotifier(deps.mailer, deps.secret, mailDomain(deps.profile))),
      );
    },
    secret: async (name: string) => (await secretSource()).get(name),
    get mailer() {
      return once('mailer', () => mailerFor({ address: deps.profile.supportAddress, name: localize(deps.profile.operator.name, deps.profile.defaultLanguage) }, (email) => deps.suppressions.has(email)));
    },
    get sentMail() {
      return once('sentMail', () => new DynamoSentMailLedger(documentClient(), readSetting(Settings.requestsTable), readSetting(Settings.auditTable)));
    },
    get workflow() {
      // Read when an execution is started or listed: releasing a wait needs the token alone, and the verification
      // step (which the state machine invokes, so cannot be given its ARN) only releases.
      return once('workflow', () =>
        lazy<Workflow>(async () => new (await import('./adapters/aws/step-functions-workflow.ts')).StepFunctionsWorkflow(() => readSetting(Settings.stateMachineArn))),
      );
    },
    clock: { now: () => new Date() },
    get publicUrl() {
      return once('publicUrl', () => readSetting(Settings.publicUrl).replace(/\/+$/, ''));
    },
    connectorFor(source: DataSource) {
      return lazy<DataSourceConnector>(() => connectorOf(source));
    },
  };
  return deps;
}

/** The jurisdictions whose rules a deployment counts by: its own, and those its breach notices also fall under. */
const jurisdictionsOf = (profile: OperatorProfile) => [profile.jurisdiction, ...profile.breaches.alsoUnder];

/**
 * The rule documents of the profile's jurisdictions and the calendars they (and its overrides) count in: a function
 * loads these, not the rules of all five jurisdictions the release ships (domain/deadlines/rule-files.ts).
 */
const rulesFor = (profile: OperatorProfile) => loadShippedRules(jurisdictionsOf(profile), Object.keys(profile.calendarOverrides ?? {}));

/**
 * The holiday library (date-holidays, with moment-timezone and astronomy tables: half of a function's code by size)
 * is imported only when a calendar of the profile's jurisdictions builds on it. KZ's calendar is its own.
 */
async function baseHolidaysFor(profile: OperatorProfile, rules: RuleDocuments): Promise<BaseHolidays | undefined> {
  if (!needsBaseHolidays({ calendarOverrides: profile.calendarOverrides }, jurisdictionsOf(profile), rules)) return undefined;
  return (await import('./adapters/holidays/date-holidays.ts')).dateHolidays();
}

/**
 * The rules of jurisdictions outside the profile's, for the engine to load when it meets one (a request received
 * before the deployment changed its jurisdiction keeps the one it was received under), with the holiday library if
 * their calendars build on it.
 */
async function moreRules(profile: OperatorProfile, codes: readonly string[]) {
  const documents = await loadShippedRules(codes, Object.keys(profile.calendarOverrides ?? {}));
  const needed = needsBaseHolidays({ calendarOverrides: profile.calendarOverrides }, [...codes], documents);
  return { documents, baseHolidays: needed ? (await import('./adapters/holidays/date-holidays.ts')).dateHolidays() : undefined };
}

let shared: Promise<Dependencies> | undefined;
/** The dependencies of this process (one Lambda sandbox, or the local runtime); a failed start is tried again on the next call. */
export function dependencies(): Promise<Dependencies> {
  if (!shared) {
    const starting = (async () => {
      const profile = loadProfileFile(profilePath());
      const rules = await rulesFor(profile);
      return dependenciesFromEnvironment({ profile, rules, baseHolidays: await baseHolidaysFor(profile, rules) });
    })();
    starting.catch(() => {
      if (shared === starting) shared = undefined;
    });
    shared = starting;
  }
  return shared;
}
