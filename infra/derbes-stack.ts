import { CfnOutput, Duration, Stack, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OperatorProfile } from '../functions/config/profile-schema.ts';
import { Settings } from '../functions/config/settings.ts';
import { DerbesFunction } from './constructs/derbes-function.ts';
import { EmailReceiving } from './constructs/email-receiving.ts';
import { PublicHttpApi } from './constructs/http-api.ts';
import { RAW_MAIL_PREFIX, Storage } from './constructs/storage.ts';
import { Workflow } from './constructs/workflow.ts';
import { OPEN_DUE_INDEX } from '../functions/adapters/dynamodb/request-store.ts';

export interface DerbesStackProps extends StackProps {
  profile: OperatorProfile;
  profilePath: string;
}

const READ_REQUESTS = ['GetItem', 'Query'];
const WRITE_REQUESTS = ['GetItem', 'Query', 'PutItem'];
/** The audit trail is append-only: no function may update or delete an entry. */
const APPEND_AUDIT = ['PutItem', 'Query'];

export class DerbesStack extends Stack {
  readonly storage: Storage;

  constructor(scope: Construct, id: string, props: DerbesStackProps) {
    super(scope, id, props);
    const { profile, profilePath } = props;
    const storage = new Storage(this, 'Storage', profile);
    this.storage = storage;
    const fn = (id: string, entry: string, description: string, timeout?: Duration) =>
      new DerbesFunction(this, id, { entry, description, profilePath, timeout });

    const sesIdentity = `arn:${this.partition}:ses:${this.region}:${this.account}:identity/${profile.supportAddress.split('@')[1]}`;
    const sendsMail = (f: DerbesFunction) => f.setEnvironment(Settings.mailTransport, 'ses').allow(['ses:SendRawEmail'], [sesIdentity]);

    const acknowledge = sendsMail(
      fn('Acknowledge', 'functions/handlers/workflow/acknowledge.ts', 'Receipt to the person; computes how long verification may wait')
        .useTable(Settings.requestsTable, storage.requests, storage.key, WRITE_REQUESTS)
        .useTable(Settings.auditTable, storage.audit, storage.key, APPEND_AUDIT),
    );
    const requestVerification = sendsMail(
      fn('RequestVerification', 'functions/handlers/workflow/request-verification.ts', 'Mails the single-use confirmation link')
        .useTable(Settings.requestsTable, storage.requests, storage.key, READ_REQUESTS)
        .useTable(Settings.auditTable, storage.audit, storage.key, APPEND_AUDIT)
        .useTable(Settings.verificationsTable, storage.verifications, storage.key, ['PutItem']),
    );
    const collectFromSource = fn('CollectFromSource', 'functions/handlers/workflow/collect-from-source.ts', 'Reads one data source for one request', Duration.minutes(1))
      .useTable(Settings.requestsTable, storage.requests, storage.key, WRITE_REQUESTS)
      .useTable(Settings.auditTable, storage.audit, storage.key, APPEND_AUDIT);
    for (const source of profile.sources) {
      if (source.kind !== 'dynamodb') continue;
      const tableArn = this.formatArn({ service: 'dynamodb', resource: 'table', resourceName: source.tableName });
      collectFromSource.allow(['dynamodb:Query'], [source.indexName ? `${tableArn}/index/${source.indexName}` : tableArn]);
    }
    for (const table of storage.demoTables) table.encryptionKey && collectFromSource.useKey(table.encryptionKey);
    const answer = sendsMail(
      fn('Answer', 'functions/handlers/workflow/answer.ts', 'Composes and sends the answer, closes the request')
        .useTable(Settings.requestsTable, storage.requests, storage.key, WRITE_REQUESTS)
        .useTable(Settings.auditTable, storage.audit, storage.key, APPEND_AUDIT),
    );
    const closeUnverified = sendsMail(
      fn('CloseUnverified', 'functions/handlers/workflow/close-unverified.ts', 'Reasoned answer when the mailbox was never confirmed')
        .useTable(Settings.requestsTable, storage.requests, storage.key, WRITE_REQUESTS)
        .useTable(Settings.auditTable, storage.audit, storage.key, APPEND_AUDIT),
    );

    const workflow = new Workflow(this, 'Workflow', { acknowledge, requestVerification, collectFromSource, answer, closeUnverified });
    const stateMachine = workflow.stateMachine;

    const api = fn('HttpApi', 'functions/handlers/http-api.ts', 'Privacy form, request API and verification pages')
      .useTable(Settings.requestsTable, storage.requests, storage.key, WRITE_REQUESTS, [OPEN_DUE_INDEX])
      .useTable(Settings.auditTable, storage.audit, storage.key, APPEND_AUDIT)
      .useTable(Settings.verificationsTable, storage.verifications, storage.key, ['UpdateItem'])
      .setEnvironment(Settings.stateMachineArn, stateMachine.stateMachineArn)
      .allow(['states:StartExecution'], [stateMachine.stateMachineArn])
      .allow(['states:SendTaskSuccess'], [stateMachine.stateMachineArn]);
    const publicApi = new PublicHttpApi(this, 'Public', api);
    for (const f of [acknowledge, requestVerification]) f.setEnvironment(Settings.publicUrl, publicApi.url);
    api.setEnvironment(Settings.publicUrl, publicApi.url);

    const intake = fn('EmailIntake', 'functions/handlers/email-intake.ts', 'Turns mail to the support address into requests', Duration.minutes(1))
      .useTable(Settings.requestsTable, storage.requests, storage.key, WRITE_REQUESTS)
      .useTable(Settings.auditTable, storage.audit, storage.key, APPEND_AUDIT)
      .setEnvironment(Settings.rawMailBucket, storage.rawMail.bucketName)
      .setEnvironment(Settings.rawMailPrefix, RAW_MAIL_PREFIX)
      .setEnvironment(Settings.stateMachineArn, stateMachine.stateMachineArn)
      .allow(['s3:GetObject'], [storage.rawMail.arnForObjects(`${RAW_MAIL_PREFIX}*`)])
      .allow(['states:StartExecution'], [stateMachine.stateMachineArn])
      .useKey(storage.key);
    new EmailReceiving(this, 'EmailReceiving', { supportAddress: profile.supportAddress, bucket: storage.rawMail, intake });

    Validations.of(intake).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(storage.rawMail.node.defaultChild as CfnElement)}.Arn>/${RAW_MAIL_PREFIX}*]`,
      reason: 'Reads any raw message under the inbound/ prefix; object keys are SES message ids, unknown in advance.',
    });

    new CfnOutput(this, 'PublicUrl', { value: publicApi.url, description: 'Privacy form and API' });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
  }
}
