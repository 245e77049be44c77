import { isAbsolute, resolve } from 'node:path';
import { DynamoAuditLog } from './adapters/dynamodb/audit-log.ts';
import { documentClient } from './adapters/dynamodb/client.ts';
import { connectorFor } from './adapters/sources/connector-factory.ts';
import { DynamoRequestStore } from './adapters/dynamodb/request-store.ts';
import { DynamoVerificationStore } from './adapters/dynamodb/verification-store.ts';
import { DynamoDecisionStore } from './adapters/dynamodb/decision-store.ts';
import { DynamoAttentionStore } from './adapters/dynamodb/attention-store.ts';
import { DynamoOpenWorkStore } from './adapters/dynamodb/open-work-store.ts';
import { DynamoLimits } from './adapters/dynamodb/limits.ts';
import { ProcessorNotifier } from './adapters/processors/processor-notifier.ts';
import { secretSource } from './adapters/aws/secrets.ts';
import { PackageStore } from './adapters/aws/package-store.ts';
import { OwnRecordsRetention } from './adapters/dynamodb/own-records-retention.ts';
import { HttpRetentionSource } from './adapters/sources/http-retention.ts';
import { RawMailStore } from './adapters/aws/raw-mail-store.ts';
import { DynamoConsentLedger } from './adapters/dynamodb/consent-ledger.ts';
import { DynamoSuppressionList } from './adapters/dynamodb/suppression-list.ts';
import { DynamoSentMailLedger } from './adapters/dynamodb/sent-mail-ledger.ts';
import { suppressInSes } from './adapters/aws/ses-suppression.ts';
import { keyedHash, personKey } from './domain/person-key.ts';
import { DynamoBreachRegister } from './adapters/dynamodb/breach-register.ts';
import { DynamoRetentionStates } from './adapters/dynamodb/retention-state.ts';
import { DynamoDbRetentionSource } from './adapters/sources/dynamodb-retention.ts';
import { DynamoDbSourceConnector } from './adapters/sources/dynamodb-source.ts';
import { sealingKey } from './domain/sealing.ts';
import { SingleUseTokens } from './adapters/dynamodb/single-use-tokens.ts';
import { StepFunctionsWorkflow } from './adapters/aws/step-functions-workflow.ts';
import { ComposingMailer, outboxDelivery, sesDelivery, smtpDelivery } from './adapters/mail/mailer.ts';
import { loadProfileFile } from './config/load-profile.ts';
import { mailDomain, type DataSource } from './config/profile-schema.ts';
import { readSetting, Settings } from './config/settings.ts';
import { ConfigurationError } from './domain/errors.ts';
import { createDeadlineEngine } from './domain/deadlines/index.ts';
import type { DownloadGrant } from './use-cases/access-package.ts';
import type { Dependencies } from './use-cases/dependencies.ts';
import type { DataSourceConnector, Mailer } from './use-cases/ports.ts';

/** In Lambda the profile ships beside the bundle; locally the runtime points at the file it was given. */
function profilePath(): string {
  const file = readSetting(Settings.profileFile);
  return isAbsolute(file) ? file : resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), file);
}

function mailerFor(from: string, suppressed: (email: string) => Promise<boolean>): Mailer {
  const transport = readSetting(Settings.mailTransport);
  switch (transport) {
    case 'ses':
      return new ComposingMailer(from, sesDelivery(), suppressed);
    case 'smtp':
      return new ComposingMailer(from, smtpDelivery(readSetting(Settings.mailRelayUrl), from), suppressed);
    case 'outbox':
      return new ComposingMailer(from, outboxDelivery(readSetting(Settings.outboxDir)), suppressed);
    default:
      throw new ConfigurationError('environment', [{ field: Settings.mailTransport, message: `must be ses, smtp or outbox, not ${transport}` }]);
  }
}

/**
 * Builds the dependencies from the environment, each on first use: a function fails only on the
 * settings it needs, and fails with the name of the missing one.
 */
export function dependenciesFromEnvironment(): Dependencies {
  const memo = new Map<string, unknown>();
  const once = <T>(key: string, build: () => T): T => {
    if (!memo.has(key)) memo.set(key, build());
    return memo.get(key) as T;
  };
  const connectors = new Map<string, DataSourceConnector>();
  /** Callback task tokens are stored sealed with a key derived from the person-key secret (no secret of their own). */
  const taskTokenKey = async () => sealingKey(await secretSource().get(readSetting(Settings.personKeySecret)), 'task-token');
  const deps: Dependencies = {
    get profile() {
      return once('profile', () => loadProfileFile(profilePath()));
    },
    get deadlines() {
      return once('deadlines', () => createDeadlineEngine({ calendarOverrides: deps.profile.calendarOverrides }));
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
    get verifications() {
      return once('verifications', () => new DynamoVerificationStore(documentClient(), readSetting(Settings.verificationsTable), taskTokenKey));
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
      return once('consent', () =>
        new DynamoConsentLedger(documentClient(), readSetting(Settings.consentTable), {
          timeZone: deps.deadlines.timeZone(deps.profile.jurisdiction),
          purposes: deps.profile.purposes,
        }),
      );
    },
    get suppressions() {
      return once('suppressions', () => new DynamoSuppressionList(documentClient(), readSetting(Settings.consentTable), (email) => deps.personKey(email)));
    },
    suppressInSes,
    async personKey(email: string) {
      return personKey(email, await secretSource().get(readSetting(Settings.personKeySecret)));
    },
    async keyedHash(kind: string, value: string) {
      return keyedHash(kind, value, await secretSource().get(readSetting(Settings.personKeySecret)));
    },
    get retentionStates() {
      return once('retentionStates', () => new DynamoRetentionStates(documentClient(), readSetting(Settings.requestsTable)));
    },
    retentionSourceFor(source: DataSource) {
      if (source.kind === 'http') return new HttpRetentionSource(source, () => secretSource().get(source.secretName), deps.audit);
      const connector = deps.connectorFor(source);
      if (source.kind !== 'dynamodb' || !(connector instanceof DynamoDbSourceConnector)) {
        throw new ConfigurationError('operator profile', [{ field: `sources.${source.id}`, message: "the retention purge reads DynamoDB tables and the company's HTTP service" }]);
      }
      return new DynamoDbRetentionSource(documentClient(), source, connector, readSetting(Settings.auditTable));
    },
    get ownRecords() {
      return once('ownRecords', () =>
        new OwnRecordsRetention(
          documentClient(),
          readSetting(Settings.requestsTable),
          readSetting(Settings.auditTable),
          () => new RawMailStore(readSetting(Settings.rawMailBucket), readSetting(Settings.rawMailPrefix)),
          (canonical) => deps.keyedHash('own-records', canonical),
        ),
      );
    },
    get breaches() {
      return once('breaches', () => new DynamoBreachRegister(documentClient(), readSetting(Settings.requestsTable), readSetting(Settings.auditTable)));
    },
    get mailArchive() {
      return once('mailArchive', () => new RawMailStore(readSetting(Settings.rawMailBucket), readSetting(Settings.rawMailPrefix)));
    },
    get packages() {
      return once('packages', () => new PackageStore(readSetting(Settings.packagesBucket)));
    },
    get downloads() {
      return once('downloads', () => new SingleUseTokens<DownloadGrant>(documentClient(), readSetting(Settings.verificationsTable), 'download'));
    },
    get processorNotifier() {
      return once('processorNotifier', () => new ProcessorNotifier(deps.mailer, (name) => secretSource().get(name), mailDomain(deps.profile)));
    },
    secret: (name: string) => secretSource().get(name),
    get mailer() {
      return once('mailer', () => mailerFor(deps.profile.supportAddress, (email) => deps.suppressions.has(email)));
    },
    get sentMail() {
      return once('sentMail', () => new DynamoSentMailLedger(documentClient(), readSetting(Settings.requestsTable), readSetting(Settings.auditTable)));
    },
    get workflow() {
      return once('workflow', () => new StepFunctionsWorkflow(readSetting(Settings.stateMachineArn)));
    },
    clock: { now: () => new Date() },
    get publicUrl() {
      return once('publicUrl', () => readSetting(Settings.publicUrl).replace(/\/+$/, ''));
    },
    connectorFor(source: DataSource) {
      let connector = connectors.get(source.id);
      if (!connector) {
        connector = connectorFor(source);
        connectors.set(source.id, connector);
      }
      return connector;
    },
  };
  return deps;
}

let shared: Dependencies | undefined;
/** The dependencies of this process (one Lambda sandbox, or the local runtime). */
export function dependencies(): Dependencies {
  shared ??= dependenciesFromEnvironment();
  return shared;
}
