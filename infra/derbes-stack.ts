import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { FailureAlarms } from './constructs/failure-alarms.ts';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { mailDomain, type OperatorProfile } from '../functions/config/profile-schema.ts';
import { Settings } from '../functions/config/settings.ts';
import { DerbesFunction } from './constructs/derbes-function.ts';
import { EmailReceiving } from './constructs/email-receiving.ts';
import { PublicHttpApi } from './constructs/http-api.ts';
import { OperatorIdentity } from './constructs/operator-identity.ts';
import { RAW_MAIL_PREFIX, Storage } from './constructs/storage.ts';
import { Workflow } from './constructs/workflow.ts';
import { ATTACHMENTS_PREFIX } from '../functions/adapters/aws/raw-mail-store.ts';
import { CONSENT_TERM_INDEX } from '../functions/adapters/dynamodb/consent-ledger.ts';
import { HEADS_INDEX } from '../functions/adapters/dynamodb/audited-write.ts';
import { OPEN_WORK_PARTITION } from '../functions/adapters/dynamodb/open-work-store.ts';
import { CONSOLE_DIRECTORY } from '../functions/handlers/http/console-routes.ts';
import { CLOSED_INDEX, OPEN_DUE_INDEX, PERSON_INDEX, RECEIVED_INDEX, RESULTS_PREFIX } from '../functions/adapters/dynamodb/request-store.ts';
import { HELD_INDEX } from '../functions/adapters/dynamodb/held-mail-store.ts';
import { PDF_FONT_FILES, pdfFontSource } from '../functions/adapters/documents/pdf.ts';

export interface DerbesStackProps extends StackProps {
  profile: OperatorProfile;
  profilePath: string;
}

const WRITE_REQUESTS = ['GetItem', 'Query', 'PutItem'];
/** The operator API also takes pending decisions (a conditional delete). */
const DECIDE_REQUESTS = [...WRITE_REQUESTS, 'DeleteItem'];
/** The audit trail is append-only: no function may update or delete an entry (GetItem reads a chain's head). */
const APPEND_AUDIT = ['GetItem', 'PutItem', 'Query'];

/** How cdk-nag spells the region in a finding: the token's name, or the region the stack was pinned to. */
export function nagRegion(stack: Stack): string {
  return Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
}

/** Secrets Manager appends six random characters to a secret's name in its ARN. */
function secretArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${name}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** Read access to the named secrets (signing keys), each acknowledged for its ARN's random suffix. */
function grantSecrets(stack: Stack, fn: DerbesFunction, names: string[]): void {
  for (const name of new Set(names)) {
    const arn = secretArn(stack, name);
    fn.allow(['secretsmanager:GetSecretValue'], [arn]);
    Validations.of(fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${nagRegion(stack)}:<AWS::AccountId>:secret:${name}-??????]`,
      reason: 'Secrets Manager ARNs end in six random characters; the pattern matches this one secret only.',
    });
  }
}

/**
 * What a function may do in each of the company's sources the profile declares, and no more: `change` for the
 * fulfilment and the retention purge (find, change, block, erase), `read` for finding who a breach affects.
 */
function grantSources(stack: Stack, fn: DerbesFunction, profile: OperatorProfile, access: 'change' | 'read'): void {
  const change = access === 'change';
  for (const source of profile.sources) {
    switch (source.kind) {
      case 'dynamodb': {
        const tableArn = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: source.tableName });
        fn.allow(['dynamodb:DescribeTable', 'dynamodb:Query', ...(change ? ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] : [])], [tableArn]);
        if (source.indexName) fn.allow(['dynamodb:Query'], [`${tableArn}/index/${source.indexName}`]);
        break;
      }
      case 's3': {
        const bucketArn = `arn:${stack.partition}:s3:::${source.bucket}`;
        fn.allow(['s3:ListBucket', ...(change ? ['s3:ListBucketVersions', 's3:GetBucketVersioning'] : [])], [bucketArn]);
        fn.allow(['s3:GetObject', ...(change ? ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'] : [])], [`${bucketArn}/${source.prefix}*`]);
        Validations.of(fn).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${source.bucket}/${source.prefix}*]`,
          reason: 'Objects of the people in this source live under its prefix, one folder per person, unknown in advance.',
        });
        break;
      }
      case 'http':
        grantSecrets(stack, fn, [source.secretName]);
        break;
    }
  }
}

/**
 * After Lambda's two retries of an asynchronous invocation, its event goes to the queue. The function's role sends
 * it (the queue is encrypted with the key the function already uses); granted here as one action on one queue,
 * where the CDK's destination grant would add KMS wildcards.
 */
function failuresTo(fn: DerbesFunction, queue: sqs.Queue, maxEventAge: Duration): void {
  fn.allow(['sqs:SendMessage'], [queue.queueArn]);
  fn.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge, onFailure: { bind: () => ({ destination: queue.queueArn }) } });
}

export class DerbesStack extends Stack {
  readonly storage: Storage;

  constructor(scope: Construct, id: string, props: DerbesStackProps) {
    super(scope, id, props);
    const { profile, profilePath } = props;
    const storage = new Storage(this, 'Storage', { demoSources: profile.demo ? profile.sources : [], digestRetentionYears: profile.evidence.digestRetentionYears });
    this.storage = storage;
    const personKey = new secretsmanager.Secret(this, 'PersonKey', {
      description: 'derbes: key of the person keys (HMAC of the normalised address) in the consent ledger',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // Kept like the consent table it keys: without it every ledger entry is orphaned.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(personKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotating this key would orphan every ledger entry keyed with it; it is a long-lived pseudonymisation key by design.',
    });
    /** The person-key secret: keyed hashes of addresses and client IPs, and the key task tokens are sealed with. */
    const usesPersonKey = (f: DerbesFunction) => f.setEnvironment(Settings.personKeySecret, personKey.secretArn).allow(['secretsmanager:GetSecretValue'], [personKey.secretArn]);
    /** Ledger access: state and history are written only with Put (history conditioned on not existing). */
    const usesConsent = (f: DerbesFunction) => usesPersonKey(f.useTable(Settings.consentTable, storage.consent, storage.key, ['GetItem', 'Query', 'PutItem'], [CONSENT_TERM_INDEX]));
    /** Token buckets and mail budgets: read, and changed by conditional writes only. */
    const usesLimits = (f: DerbesFunction) => f.useTable(Settings.limitsTable, storage.limits, storage.key, ['GetItem', 'PutItem', 'UpdateItem']);
    /** Confirmation links and the sealed task tokens the requests wait with. */
    const usesVerifications = (f: DerbesFunction, actions: string[]) => usesPersonKey(f.useTable(Settings.verificationsTable, storage.verifications, storage.key, actions));
    /** Every function reads requests (with these actions) and appends to the audit trail. */
    const fn = (id: string, entry: string, description: string, requestActions: string[], options: { timeout?: Duration; memorySize?: number; indexes?: string[]; files?: string[]; directories?: string[] } = {}) =>
      new DerbesFunction(this, id, { entry, description, profilePath, timeout: options.timeout, memorySize: options.memorySize, files: options.files, directories: options.directories })
        .useTable(Settings.requestsTable, storage.requests, storage.key, requestActions, options.indexes)
        .useTable(Settings.auditTable, storage.audit, storage.key, APPEND_AUDIT);

    /** A function that closes the operator's follow-ups: it may delete from the requests table within their partition only. */
    const closesOpenWork = (f: DerbesFunction) => {
      f.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:DeleteItem'],
          resources: [storage.requests.tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [OPEN_WORK_PARTITION] } },
        }),
      );
      return f;
    };

    const sesIdentity = `arn:${this.partition}:ses:${this.region}:${this.account}:identity/${mailDomain(profile)}`;
    /**
     * A function that mails: SES, and the sent-mail ledger beside each request (claim and confirm, once per mail).
     * Any of them may alert the operator, whose mail links to the request in the console (PUBLIC_URL, set below).
     */
    const mailers: DerbesFunction[] = [];
    const sendsMail = (f: DerbesFunction) => {
      mailers.push(f);
      return f
        .setEnvironment(Settings.mailTransport, 'ses')
        .allow(['ses:SendRawEmail'], [sesIdentity])
        .useTable(Settings.requestsTable, storage.requests, storage.key, ['GetItem', 'PutItem']);
    };

    const requestVerification = usesLimits(
      usesVerifications(
        sendsMail(
          fn(
            'RequestVerification',
            'functions/handlers/workflow/request-verification.ts',
            "Moves a new request to wait for verification; joins the address's pending confirmation link, or mails a new one with the receipt; mails the receipt of one whose identity an operator checked",
            WRITE_REQUESTS,
          ),
        ),
        ['GetItem', 'PutItem', 'UpdateItem'],
      ),
    );
    const planFulfilment = usesConsent(
      fn('PlanFulfilment', 'functions/handlers/workflow/plan-fulfilment.ts', 'Moves a verified request on, applies its privacy signal, plans who decides; withdraws consent when nobody need decide', WRITE_REQUESTS),
    );
    const requestDecision = usesPersonKey(
      sendsMail(fn('RequestDecision', 'functions/handlers/workflow/request-decision.ts', 'Registers a waiting operator decision and alerts the operator', WRITE_REQUESTS)),
    );
    const escalateDecision = sendsMail(
      fn('EscalateDecision', 'functions/handlers/workflow/escalate-decision.ts', 'Interim answer to the person and escalation when no decision comes', WRITE_REQUESTS),
    );
    const applyDecision = usesConsent(
      sendsMail(fn('ApplyDecision', 'functions/handlers/workflow/apply-decision.ts', "Moves a request on after the operator's decision: withdraws consent, or sends a refusal", WRITE_REQUESTS)),
    );
    // The person index: before destroying, it keeps the records for the person's other confirmed access requests.
    const applyToSource = fn('ApplyToSource', 'functions/handlers/workflow/apply-to-source.ts', 'Finds, changes, blocks or erases in one data source', WRITE_REQUESTS, {
      timeout: Duration.minutes(1),
      indexes: [PERSON_INDEX],
    });
    grantSources(this, applyToSource, profile, 'change');
    // A source's answer too large for a DynamoDB item is kept in the packages bucket until the answer reads it; a
    // retry reads what an earlier attempt kept there.
    applyToSource
      .setEnvironment(Settings.packagesBucket, storage.packages.bucketName)
      .allow(['s3:GetObject', 's3:PutObject'], [storage.packages.arnForObjects(`${RESULTS_PREFIX}*`)]);
    for (const table of storage.demoTables) table.encryptionKey && applyToSource.useKey(table.encryptionKey, 'write');
    /** The keys processors' webhooks are signed with. */
    const webhookKeys = profile.processors.flatMap((p) => (p.notify.kind === 'webhook' ? [p.notify.secretName] : []));
    // Tells processors and recipients first (webhooks signed with their keys; a notice that could not be delivered is
    // left to the operator as open work), then answers the person.
    const answer = closesOpenWork(
      sendsMail(
        fn('Answer', 'functions/handlers/workflow/answer.ts', 'Tells processors and recipients of changes; composes and sends the answer and the access package, closes the request', WRITE_REQUESTS, {
          timeout: Duration.minutes(1),
        })
          .useTable(Settings.verificationsTable, storage.verifications, storage.key, ['PutItem'])
          .setEnvironment(Settings.packagesBucket, storage.packages.bucketName)
          .allow(['s3:PutObject'], [storage.packages.arnForObjects('packages/*')])
          .allow(['s3:GetObject'], [storage.packages.arnForObjects(`${RESULTS_PREFIX}*`)]),
      ),
    );
    usesConsent(answer);
    grantSecrets(this, answer, webhookKeys);
    if (profile.sesAccountSuppression) {
      answer.allow(['ses:PutSuppressedDestination'], ['*']);
      Validations.of(answer).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: "ses:PutSuppressedDestination acts on the account's suppression list and supports no resource-level permissions.",
      });
    }
    const closeUnverified = usesLimits(
      usesPersonKey(sendsMail(fn('CloseUnverified', 'functions/handlers/workflow/close-unverified.ts', 'Reasoned answer when the mailbox was never confirmed', WRITE_REQUESTS))),
    );

    const needsAttention = sendsMail(
      fn('NeedsAttention', 'functions/handlers/workflow/needs-attention.ts', 'Records a failed step, marks the request and alerts the operator, who resumes it', WRITE_REQUESTS),
    );

    const alarms = new FailureAlarms(this, 'Alarms', { operatorEmail: profile.operator.contactEmail, key: storage.key });

    const workflow = new Workflow(this, 'Workflow', {
      requestVerification,
      closeUnverified,
      planFulfilment,
      requestDecision,
      escalateDecision,
      applyDecision,
      applyToSource,
      answer,
      needsAttention,
    });
    const stateMachine = workflow.stateMachine;
    // Executions started before the Answer step told the processors itself keep the definition they started with, in
    // which NotifyProcessors comes before Answer (Step Functions runs an execution on the definition it started with;
    // a request may wait for a decision for weeks). Its function stays, under the same id, and the state machine may
    // still invoke it, until no such execution runs; notices are sent once however often they are asked for.
    const notifyProcessors = closesOpenWork(
      sendsMail(
        fn('NotifyProcessors', 'functions/handlers/workflow/notify-processors.ts', 'Tells processors and recipients of changes (executions started before the Answer step did)', WRITE_REQUESTS, {
          timeout: Duration.minutes(1),
        }),
      ),
    );
    grantSecrets(this, notifyProcessors, webhookKeys);
    // Executions started before every execution began at the verification step keep their definition too, in which
    // Acknowledge comes first (its function moves the request, mails an attested receipt and computes the wait, as the
    // verification step and the start now do; each is safe after the other). Kept like NotifyProcessors: it can go in a
    // release ATTENTION_WAIT (90 days) after this one, when no such execution can still be at Acknowledge or waiting
    // for the operator to resume it there.
    const acknowledge = sendsMail(
      fn('Acknowledge', 'functions/handlers/workflow/acknowledge.ts', 'Moves a new request to wait for verification and computes how long it may wait (executions started before the verification step did)', WRITE_REQUESTS),
    );
    for (const kept of [acknowledge, notifyProcessors]) {
      kept.function.grantInvoke(stateMachine);
      Validations.of(stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(kept.function.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason: 'As LambdaInvoke grants it: the function and its versions (ARN:*); it is still this one function.',
      });
    }
    alarms.watchStateMachine(stateMachine);
    // The verification step ends the wait of a request whose identity is confirmed already. In a policy of its own:
    // in the function's role policy the machine's ARN would make the function depend on the machine that invokes it.
    new iam.Policy(this, 'RequestVerificationEndsItsWait', {
      roles: [requestVerification.function.role!],
      statements: [new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [stateMachine.stateMachineArn] })],
    });

    const operatorKey = new secretsmanager.Secret(this, 'OperatorKey', {
      description: 'derbes: the operator API key (Authorization: Bearer <key>)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(operatorKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'A key handed to people, not to a service: it is rotated by the operator (put-secret-value), not by a rotation Lambda.',
    });
    // The public function serves people: it creates requests, confirms verifications and serves downloads.
    const api = usesLimits(
      usesVerifications(fn('HttpApi', 'functions/handlers/http-api.ts', 'Privacy form, request API, verification and download pages, the console\'s static files', WRITE_REQUESTS, { directories: [CONSOLE_DIRECTORY] }), ['GetItem', 'UpdateItem']),
    )
      .setEnvironment(Settings.packagesBucket, storage.packages.bucketName)
      .allow(['s3:GetObject'], [storage.packages.arnForObjects('packages/*')])
      // Files attached on the form are kept where mail attachments are (written only, never read back here).
      .setEnvironment(Settings.rawMailBucket, storage.rawMail.bucketName)
      .setEnvironment(Settings.rawMailPrefix, RAW_MAIL_PREFIX)
      .allow(['s3:PutObject'], [storage.rawMail.arnForObjects(`${ATTACHMENTS_PREFIX}*`)])
      .setEnvironment(Settings.stateMachineArn, stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(api);
    // A used link releases the requests confirmed on it, and ends the wait of those left unticked (a task failure).
    stateMachine.grant(api, 'states:SendTaskSuccess', 'states:SendTaskFailure');
    /** Reading what a retention rule finds expired: the rule's index, or a scan of the table. The plan and the purge both do. */
    const readsRetentionRules = (f: DerbesFunction) => {
      for (const rule of profile.retentionSchedule.sources) {
        const source = profile.sources.find((s) => s.id === rule.source);
        if (source?.kind !== 'dynamodb') continue; // the company's HTTP service finds expired records itself
        const tableArn = this.formatArn({ service: 'dynamodb', resource: 'table', resourceName: source.tableName });
        f.allow(rule.index ? ['dynamodb:Query'] : ['dynamodb:Scan'], [rule.index ? `${tableArn}/index/${rule.index.name}` : tableArn]);
      }
      return f;
    };

    // The operator API, for machine clients holding the operator key: decisions, extensions, consents, attachments,
    // and the breach register (kept in the requests table; it finds affected people in the sources and renders PDF).
    // It reads held mail a page at a time by its keys (BatchGetItem), and makes a request of one the operator vouches
    // for through mail intake's own code: reading a mail of up to 40 MB takes intake's memory.
    const operatorApi = sendsMail(
      fn('OperatorApi', 'functions/handlers/operator-api.ts', 'Operator API: requests, decisions, extensions, consents, attachments, held mail, breaches', [...DECIDE_REQUESTS, 'UpdateItem', 'BatchGetItem'], {
        // The closed-date index: the dry run of derbes' own records' retention counts from it; the received-date
        // index: the report per period; the person index: the inbox's search by address; the held-mail index: the
        // list of held mail and its count.
        indexes: [OPEN_DUE_INDEX, CLOSED_INDEX, RECEIVED_INDEX, PERSON_INDEX, HELD_INDEX],
        files: Object.values(PDF_FONT_FILES).map(pdfFontSource),
        memorySize: 1024,
      }),
    )
      .setEnvironment(Settings.operatorKeySecret, operatorKey.secretArn)
      .allow(['secretsmanager:GetSecretValue'], [operatorKey.secretArn])
      // The operator downloads a request's attachments, and the raw mail that came under it (or was held), by links
      // this role signs (so only those two prefixes, read only); held mail made a request keeps its attachments with
      // the request, as intake keeps them.
      .setEnvironment(Settings.rawMailBucket, storage.rawMail.bucketName)
      .setEnvironment(Settings.rawMailPrefix, RAW_MAIL_PREFIX)
      .allow(['s3:GetObject'], [storage.rawMail.arnForObjects(`${ATTACHMENTS_PREFIX}*`), storage.rawMail.arnForObjects(`${RAW_MAIL_PREFIX}*`)])
      .allow(['s3:PutObject'], [storage.rawMail.arnForObjects(`${ATTACHMENTS_PREFIX}*`)])
      .setEnvironment(Settings.stateMachineArn, stateMachine.stateMachineArn);
    stateMachine.grant(operatorApi, 'states:SendTaskSuccess');
    // A request entered by the operator (received by phone, post or in person) starts its workflow as the form's does.
    stateMachine.grantStartExecution(operatorApi);
    usesConsent(usesLimits(operatorApi));
    // Evidence: every trail's chain head, from the heads index.
    operatorApi
      .useTable(Settings.auditTable, storage.audit, storage.key, ['Query', 'BatchGetItem'], [HEADS_INDEX])
      .setEnvironment(Settings.auditDigestsBucket, storage.auditDigests.bucketName)
      .allow(['s3:GetObject'], [storage.auditDigests.arnForObjects('digests/*')]);
    grantSources(this, operatorApi, profile, 'read');
    readsRetentionRules(operatorApi);
    for (const table of storage.demoTables) table.encryptionKey && operatorApi.useKey(table.encryptionKey, 'read');
    // The people who sign in to the console; the operator function manages them (admin routes).
    const identity = new OperatorIdentity(this, 'Identity');
    identity.grantManage(operatorApi);
    operatorApi.setEnvironment(Settings.userPoolId, identity.userPool.userPoolId);
    api.setEnvironment(Settings.userPoolId, identity.userPool.userPoolId).setEnvironment(Settings.userPoolClientId, identity.consoleClient.userPoolClientId);
    const publicApi = new PublicHttpApi(this, 'Public', { public: api, operator: operatorApi, consoleAuthorizer: identity.authorizer });
    const publicUrl = this.publicUrl(profile, publicApi);

    // Intake mails the operator when a stranger writes into a person's request, and keys the hash of each request it
    // makes (its idempotency record) with the person key. It takes from the mail buckets (limits.mailRequests…) and
    // marks the hour's alert about held mail in the limits table.
    // It reads any mail SES accepts (40 MB): parsing one that large took ~325 MB beside the code (measured locally).
    const intake = usesLimits(usesPersonKey(sendsMail(fn('EmailIntake', 'functions/handlers/email-intake.ts', 'Turns mail to the support address into requests', WRITE_REQUESTS, { timeout: Duration.minutes(1), memorySize: 1024 }))))
      .setEnvironment(Settings.rawMailBucket, storage.rawMail.bucketName)
      .setEnvironment(Settings.rawMailPrefix, RAW_MAIL_PREFIX)
      .setEnvironment(Settings.stateMachineArn, stateMachine.stateMachineArn)
      .allow(['s3:GetObject'], [storage.rawMail.arnForObjects(`${RAW_MAIL_PREFIX}*`)])
      .allow(['s3:PutObject'], [storage.rawMail.arnForObjects(`${ATTACHMENTS_PREFIX}*`)])
      .useKey(storage.key, 'write');
    stateMachine.grantStartExecution(intake);
    // SES invokes intake asynchronously: after Lambda's two retries the event (with the S3 key of the stored mail)
    // waits in the failed-invocations queue; `derbes mail redrive` hands it to intake again.
    failuresTo(intake, alarms.failedInvocations, Duration.hours(6));
    new EmailReceiving(this, 'EmailReceiving', {
      supportAddress: profile.supportAddress,
      bucket: storage.rawMail,
      key: storage.key,
      intake,
      profilePath,
      replaceActiveRuleSet: profile.deployment.replaceActiveReceiptRuleSet,
    });

    for (const f of [intake, operatorApi]) {
      Validations.of(f).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(storage.rawMail.node.defaultChild as CfnElement)}.Arn>/${RAW_MAIL_PREFIX}*]`,
        reason: 'Reads any raw message under the inbound/ prefix; object keys are SES message ids, unknown in advance.',
      });
    }
    for (const f of [intake, operatorApi, api]) {
      Validations.of(f).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(storage.rawMail.node.defaultChild as CfnElement)}.Arn>/${ATTACHMENTS_PREFIX}*]`,
        reason: "A request's attachments live under attachments/<request id>/<random>/, keys known only when the mail arrives.",
      });
    }

    const packagesArn = `Resource::<${this.getLogicalId(storage.packages.node.defaultChild as CfnElement)}.Arn>/packages/*`;
    for (const f of [applyToSource, answer]) {
      Validations.of(f).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(storage.packages.node.defaultChild as CfnElement)}.Arn>/${RESULTS_PREFIX}*]`,
        reason: 'Oversized source results are kept under results/<request id>/<source>.json, keys known only when a source answers.',
      });
    }
    for (const f of [answer, api]) {
      Validations.of(f).acknowledge({
        id: `AwsSolutions-IAM5[${packagesArn}]`,
        reason: 'Access packages are stored under packages/<request id>/<random>/, a key known only when the answer is made.',
      });
    }
    const deadlineWatch = sendsMail(
      // It also writes the breach register: alert steps taken, mails to affected people sent.
      fn('DeadlineWatch', 'functions/handlers/deadline-watch.ts', 'Operator reminders, progress and delay notices, overdue alerts, stopped workflows, breach alerts', [...WRITE_REQUESTS, 'UpdateItem'], {
        timeout: Duration.minutes(5),
        indexes: [OPEN_DUE_INDEX],
      }),
    );
    usesConsent(deadlineWatch);
    // Once a day it writes the digest of the audit chains' heads that moved (found in the heads index).
    deadlineWatch
      .useTable(Settings.auditTable, storage.audit, storage.key, ['Query', 'BatchGetItem'], [HEADS_INDEX])
      .setEnvironment(Settings.auditDigestsBucket, storage.auditDigests.bucketName)
      .allow(['s3:PutObject'], [storage.auditDigests.arnForObjects('digests/*')]);
    // Mails to affected people of a breach are charged to each address's mail budget, as are receipts the hour's
    // budget withheld, which it mails again with a new confirmation link once a later hour allows them.
    usesLimits(deadlineWatch);
    usesVerifications(deadlineWatch, ['GetItem', 'PutItem', 'UpdateItem']);
    // The watch finds requests whose workflow stopped (or never started) and starts the missing ones.
    const executions = this.formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    deadlineWatch.setEnvironment(Settings.stateMachineArn, stateMachine.stateMachineArn).allow(['states:DescribeExecution'], [executions]);
    stateMachine.grant(deadlineWatch, 'states:ListExecutions', 'states:StartExecution');
    Validations.of(deadlineWatch).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${nagRegion(this)}:<AWS::AccountId>:execution:<${this.getLogicalId(stateMachine.node.defaultChild as CfnElement)}.Name>:*]`,
      reason: "Executions are named after requests, unknown in advance; this is the state machine's own executions only.",
    });
    // A run that fails after Lambda's retries, or that EventBridge could not deliver, lands in the failed-invocations
    // queue (alarmed); the next run 15 minutes later repeats every step not yet taken.
    for (const f of [deadlineWatch, operatorApi]) {
      Validations.of(f).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(storage.auditDigests.node.defaultChild as CfnElement)}.Arn>/digests/*]`,
        reason: 'One digest object a day under digests/<time written>.json; the watch writes new ones (Object Lock forbids changing any), the operator API reads them.',
      });
    }
    // Its message there is only the alarm's signal, naming the function (Lambda's record) or the rule and target
    // (EventBridge's attributes); the redrive deletes it.
    failuresTo(deadlineWatch, alarms.failedInvocations, Duration.minutes(14));
    new events.Rule(this, 'DeadlineWatchSchedule', {
      description: 'derbes: check open requests against their due dates',
      schedule: events.Schedule.rate(Duration.minutes(15)),
      targets: [new eventTargets.LambdaFunction(deadlineWatch.function, { retryAttempts: 2, deadLetterQueue: alarms.failedInvocations })],
    });

    // Retention that purges by itself: a few pages per rule and run, continuing next run; approved rules only.
    const retentionPurge = sendsMail(
      // derbes' own records too: a closed request past its term is anonymised (UpdateItem, PutItem), its source
      // results deleted (DeleteItem), its raw mail and attachments removed.
      fn('RetentionPurge', 'functions/handlers/retention-purge.ts', "Erases what has passed its retention term in the company's sources and derbes' own records", [...WRITE_REQUESTS, 'UpdateItem', 'DeleteItem', 'Scan'], {
        timeout: Duration.minutes(5),
        indexes: [CLOSED_INDEX],
      }),
    )
      .setEnvironment(Settings.personKeySecret, personKey.secretArn)
      .allow(['secretsmanager:GetSecretValue'], [personKey.secretArn])
      .setEnvironment(Settings.rawMailBucket, storage.rawMail.bucketName)
      .setEnvironment(Settings.rawMailPrefix, RAW_MAIL_PREFIX)
      .allow(['s3:DeleteObject'], [storage.rawMail.arnForObjects(`${RAW_MAIL_PREFIX}*`), storage.rawMail.arnForObjects(`${ATTACHMENTS_PREFIX}*`)]);
    const rawMailArn = `Resource::<${this.getLogicalId(storage.rawMail.node.defaultChild as CfnElement)}.Arn>`;
    for (const prefix of [RAW_MAIL_PREFIX, ATTACHMENTS_PREFIX]) {
      Validations.of(retentionPurge).acknowledge({
        id: `AwsSolutions-IAM5[${rawMailArn}/${prefix}*]`,
        reason: "Removes the raw mail and attachments of a closed request past derbes' own term; keys are SES message ids and per-request folders, known only from the request's trail.",
      });
    }
    grantSources(this, retentionPurge, profile, 'change');
    readsRetentionRules(retentionPurge);
    for (const table of storage.demoTables) table.encryptionKey && retentionPurge.useKey(table.encryptionKey, 'write');
    // A failed run lands in the failed-invocations queue; the next run continues from the last saved position.
    failuresTo(retentionPurge, alarms.failedInvocations, Duration.minutes(59));
    new events.Rule(this, 'RetentionPurgeSchedule', {
      description: 'derbes: erase what has passed its retention term, a few pages per run',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new eventTargets.LambdaFunction(retentionPurge.function, { retryAttempts: 2, deadLetterQueue: alarms.failedInvocations })],
    });
    // The base of every link in mail: the API's pages, and every function that mails — any may alert the operator, and
    // every alert links to the request in the console.
    for (const f of [api, ...mailers]) f.setEnvironment(Settings.publicUrl, publicUrl);

    new CfnOutput(this, 'PublicUrl', { value: publicUrl, description: 'Privacy form and API; the base of every link in mail' });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'OperatorUserPoolId', { value: identity.userPool.userPoolId, description: 'The console\'s operators (Cognito user pool); `derbes operators add` adds people' });
    new CfnOutput(this, 'OperatorKeySecret', { value: operatorKey.secretName, description: 'The operator API key: aws secretsmanager get-secret-value --secret-id <this>' });
    new CfnOutput(this, 'FailedInvocationsQueueUrl', {
      value: alarms.failedInvocations.queueUrl,
      description: 'Failed mail intake, deadline watch and retention purge invocations; `derbes mail redrive` re-drives the mail and clears the scheduled runs',
    });
    new CfnOutput(this, 'IntakeFunctionName', { value: intake.function.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn, description: 'Alarms, mailed to the profile\'s contact address once confirmed' });
  }

  /**
   * The base of the links in mail: the company's own domain when the profile names one (an API Gateway custom domain
   * with an ACM certificate, given or requested with DNS validation), else the API's own URL.
   */
  private publicUrl(profile: OperatorProfile, publicApi: PublicHttpApi): string {
    const custom = profile.deployment.customDomain;
    if (!custom) return publicApi.url;
    const certificate = custom.certificateArn
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', custom.certificateArn)
      : new acm.Certificate(this, 'Certificate', { domainName: custom.name, validation: acm.CertificateValidation.fromDns() });
    const domain = new apigw.DomainName(this, 'PublicDomain', { domainName: custom.name, certificate });
    new apigw.ApiMapping(this, 'PublicDomainMapping', { api: publicApi.api, domainName: domain, stage: publicApi.stage });
    new CfnOutput(this, 'PublicDomainTarget', { value: domain.regionalDomainName, description: `Point ${custom.name} here (a CNAME, or an alias record)` });
    return `https://${custom.name}`;
  }
}
