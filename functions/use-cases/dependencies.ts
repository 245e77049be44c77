import type { OperatorProfile, DataSource } from '../config/profile-schema.ts';
import type { DeadlineEngine } from '../domain/deadlines/index.ts';
import type { ConsentLedger } from '../domain/consent/index.ts';
import type {
  AttentionStore,
  AuditChains,
  AuditLog,
  BreachRegister,
  MailArchive,
  Clock,
  DataSourceConnector,
  DecisionStore,
  DownloadTokens,
  HeldMailStore,
  MailBudgets,
  Mailer,
  OpenWorkStore,
  OwnRecords,
  RetentionSource,
  RetentionStates,
  PackageStore,
  ProcessorNotices,
  RateLimiter,
  RequestStore,
  SentMailLedger,
  SuppressionList,
  VerificationStore,
  Workflow,
} from './ports.ts';

/** What the use cases need from the outside world; built once per process by functions/composition.ts. */
export interface Dependencies {
  readonly profile: OperatorProfile;
  readonly deadlines: DeadlineEngine;
  readonly requests: RequestStore;
  readonly audit: AuditLog;
  /** The same trails read as hash chains (evidence verification and the daily digest). */
  readonly auditChains: AuditChains;
  /** The daily digests of the chains' heads: a bucket whose objects nobody can change or delete for years (Object Lock). */
  readonly auditDigests: PackageStore;
  readonly verifications: VerificationStore;
  readonly decisions: DecisionStore;
  /** Workflows waiting for the operator to resume them after a failure. */
  readonly attention: AttentionStore;
  /** Follow-ups the operator must do by hand (a processor that could not be told). */
  readonly openWork: OpenWorkStore;
  /** Mail intake held (no check vouched for its sender, or past the mail limits), for the operator to admit or dismiss. */
  readonly heldMail: HeldMailStore;
  /** Request rates and mail budgets, shared by every instance. */
  readonly limits: RateLimiter & MailBudgets;
  readonly packages: PackageStore;
  readonly mailArchive: MailArchive;
  readonly consent: ConsentLedger;
  readonly suppressions: SuppressionList;
  /** SES' account-level suppression (AWS only; see the profile's sesAccountSuppression). */
  suppressInSes(email: string): Promise<void>;
  /** The ledger's key for a person: a keyed hash of the normalised address. */
  personKey(email: string): Promise<string>;
  /** A keyed hash (same key as personKey) of another identifier, e.g. ('iin', '881102345128'). */
  keyedHash(kind: string, value: string): Promise<string>;
  readonly breaches: BreachRegister;
  readonly retentionStates: RetentionStates;
  retentionSourceFor(source: DataSource): RetentionSource;
  /** derbes' own records (closed requests with their results, raw mail and attachments) as the retention purge reads them. */
  readonly ownRecords: OwnRecords;
  readonly downloads: DownloadTokens;
  readonly processorNotifier: ProcessorNotices;
  /** Reads a secret (signing keys, the operator API key) by name. */
  secret(name: string): Promise<string>;
  readonly mailer: Mailer;
  /** Every mail to a person or the operator goes out once per (request, kind, round). */
  readonly sentMail: SentMailLedger;
  readonly workflow: Workflow;
  readonly clock: Clock;
  /** Base of every link we mail, e.g. https://privacy.example.kz or http://localhost:3000. */
  readonly publicUrl: string;
  connectorFor(source: DataSource): DataSourceConnector;
}
