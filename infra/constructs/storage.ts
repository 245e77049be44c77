import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HEADS_INDEX } from '../../functions/adapters/dynamodb/audited-write.ts';
import { CONSENT_TERM_INDEX } from '../../functions/adapters/dynamodb/consent-ledger.ts';
import { EXPIRES_ATTRIBUTE, HELD_INDEX } from '../../functions/adapters/dynamodb/held-mail-store.ts';
import { CLOSED_INDEX, OPEN_DUE_INDEX, PERSON_INDEX, RECEIVED_INDEX, REPORT_ATTRIBUTE } from '../../functions/adapters/dynamodb/request-store.ts';
import type { DataSource } from '../../functions/config/profile-schema.ts';
import { PACKAGE_LINK_DAYS } from '../../functions/use-cases/access-package.ts';

/** Access packages outlive their download links by a day, then are gone. */
const PACKAGE_RETENTION_DAYS = PACKAGE_LINK_DAYS + 1;

/** Raw inbound mail lives under this prefix; the SES S3 action writes it, the intake function reads it. */
export const RAW_MAIL_PREFIX = 'inbound/';

export interface StorageProps {
  /**
   * Sources to create tables of sample customers for, named and keyed as the profile declares them (DynamoDB
   * sources only; the others are skipped). None by default: a real operator's sources are its own tables.
   */
  demoSources?: DataSource[];
  /** How many years each daily digest of the audit chains is locked (Object Lock, compliance mode). 5 by default. */
  digestRetentionYears?: number;
}

/**
 * Everything that holds state, apart from the functions: retained on stack deletion, encrypted with one
 * customer-managed key, recoverable to any second of the last 35 days.
 */
export class Storage extends Construct {
  readonly key: kms.Key;
  readonly requests: dynamodb.Table;
  readonly audit: dynamodb.Table;
  readonly verifications: dynamodb.Table;
  readonly consent: dynamodb.Table;
  readonly limits: dynamodb.Table;
  readonly rawMail: s3.Bucket;
  readonly packages: s3.Bucket;
  readonly auditDigests: s3.Bucket;
  readonly demoTables: dynamodb.Table[] = [];

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'derbes: requests, audit trail, verification codes and raw mail',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const table = (tableId: string, props: Omit<dynamodb.TableProps, 'billingMode' | 'encryption' | 'encryptionKey'>) =>
      new dynamodb.Table(this, tableId, {
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
        ...props,
      });

    const attribute = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    const index = (indexName: string, partition: string, sort: string) => ({ indexName, partitionKey: attribute(partition), sortKey: attribute(sort) });

    // Held mail expires by TTL (HELD_MAIL_KEEP_DAYS): nothing else in the table carries the attribute.
    this.requests = table('Requests', { partitionKey: attribute('pk'), sortKey: attribute('sk'), timeToLiveAttribute: EXPIRES_ATTRIBUTE });
    this.requests.addGlobalSecondaryIndex(index(OPEN_DUE_INDEX, 'openDue', 'dueAtUtc'));
    this.requests.addGlobalSecondaryIndex(index(CLOSED_INDEX, 'closedIndex', 'closedAtUtc'));
    // Only the report's facts are projected: a report reads nothing personal.
    this.requests.addGlobalSecondaryIndex({
      ...index(RECEIVED_INDEX, 'receivedMonth', 'receivedAtUtc'),
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [REPORT_ATTRIBUTE],
    });
    // Sparse: a request carries its address's keyed hash until anonymised, so "this address's requests" is a query.
    // Keys only: an index holding the whole item is billed a second write of it at every status change.
    this.requests.addGlobalSecondaryIndex({ ...index(PERSON_INDEX, 'personKey', 'receivedAt'), projectionType: dynamodb.ProjectionType.KEYS_ONLY });
    // Sparse: held mail carries `heldList` while it waits for an operator, so the list (the latest first) is a query.
    // Keys only: the list reads its page by key, and its count reads keys alone.
    this.requests.addGlobalSecondaryIndex({ ...index(HELD_INDEX, 'heldList', 'heldAt'), projectionType: dynamodb.ProjectionType.KEYS_ONLY });
    this.audit = table('Audit', { partitionKey: attribute('pk'), sortKey: attribute('sk') });
    // Sparse: only the trails' chain heads carry `heads`, so "what moved since the last digest" is a query. By the day
    // a head moved on, keys only: a head that moves again that day is no write of the index.
    this.audit.addGlobalSecondaryIndex({ ...index(HEADS_INDEX, 'heads', 'movedAt'), projectionType: dynamodb.ProjectionType.KEYS_ONLY });
    this.verifications = table('Verifications', { partitionKey: attribute('pk'), timeToLiveAttribute: 'expiresAtEpoch' });
    // Token buckets and mail budgets: short-lived counters every function instance shares.
    this.limits = table('Limits', { partitionKey: attribute('pk'), timeToLiveAttribute: 'expiresAtEpoch' });
    // Consent ledger: current state and immutable history per person key; the index finds terms ending soon.
    this.consent = table('Consent', { partitionKey: attribute('pk'), sortKey: attribute('sk') });
    this.consent.addGlobalSecondaryIndex(index(CONSENT_TERM_INDEX, 'termBucket', 'termEndsAt'));

    for (const source of props.demoSources ?? []) {
      if (source.kind !== 'dynamodb') continue;
      this.demoTables.push(
        table(`Demo${source.id.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`, {
          tableName: source.tableName,
          partitionKey: attribute(source.keyAttribute),
          sortKey: attribute('recordId'),
          deletionProtection: false,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      );
    }

    const accessLogs = new s3.Bucket(this, 'RawMailAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, // S3 server access logging cannot write to SSE-KMS buckets
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(400) }],
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the raw mail bucket; logging it into itself would loop.',
    });

    /** A bucket under the key, private, TLS only, logged, retained on stack deletion. */
    const bucket = (bucketId: string, bucketProps: Pick<s3.BucketProps, 'versioned' | 'serverAccessLogsPrefix' | 'lifecycleRules' | 'objectLockEnabled' | 'objectLockDefaultRetention'>) =>
      new s3.Bucket(this, bucketId, {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        serverAccessLogsBucket: accessLogs,
        removalPolicy: RemovalPolicy.RETAIN,
        ...bucketProps,
      });
    this.rawMail = bucket('RawMail', {
      versioned: true,
      // Raw mail is evidence of what arrived; kept three years (the general limitation period), then gone.
      lifecycleRules: [{ expiration: Duration.days(3 * 365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    // Access packages: a person's data as a file and a page, fetched once through an expiring link, then gone.
    this.packages = bucket('AccessPackages', { serverAccessLogsPrefix: 'packages/', lifecycleRules: [{ expiration: Duration.days(PACKAGE_RETENTION_DAYS) }] });
    // The daily digests of the audit chains' heads: no one (the root account included) can change or delete one
    // before its retention ends — compliance mode.
    this.auditDigests = bucket('AuditDigests', {
      versioned: true,
      serverAccessLogsPrefix: 'audit-digests/',
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(365 * (props.digestRetentionYears ?? 5))),
    });
    // SES writes inbound mail into the bucket and so encrypts with the key: granted by EmailReceiving, for its rule only.
  }
}
