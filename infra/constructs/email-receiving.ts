import { ArnFormat, CustomResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { RAW_MAIL_PREFIX } from './storage.ts';
import { DerbesFunction } from './derbes-function.ts';

export interface EmailReceivingProps {
  supportAddress: string;
  bucket: s3.Bucket;
  /** The bucket's key: SES encrypts what it writes with it. */
  key: kms.IKey;
  intake: DerbesFunction;
  profilePath: string;
  /** Make derbes' rule set the active one even if another is active (restored when the stack is deleted). */
  replaceActiveRuleSet: boolean;
}

/** The receipt rule's name inside derbes' rule set; fixed, because SES's grants name the rule's ARN. */
const RULE_NAME = 'support-mailbox';

/**
 * SES inbound for the support address: store the raw message, then invoke intake asynchronously.
 * Every grant SES gets (writing to the bucket, using the key, invoking intake) holds only for this account and
 * this receipt rule (aws:SourceAccount and aws:SourceArn). Only one rule set is active per region and
 * CloudFormation cannot activate one, hence the custom resource — which never silently replaces another set.
 */
export class EmailReceiving extends Construct {
  readonly ruleSetName: string;

  constructor(scope: Construct, id: string, props: EmailReceivingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.ruleSetName = `${stack.stackName}-inbound`;
    const ruleArn = stack.formatArn({
      service: 'ses',
      resource: 'receipt-rule-set',
      resourceName: `${this.ruleSetName}:receipt-rule/${RULE_NAME}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const onlyThisRule = { StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': ruleArn } };
    const sesPrincipal = new iam.ServicePrincipal('ses.amazonaws.com');

    props.bucket.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [sesPrincipal], actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects(`${RAW_MAIL_PREFIX}*`)], conditions: onlyThisRule }),
    );
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [sesPrincipal],
        actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
        resources: ['*'], // in a key policy, * means this key
        conditions: onlyThisRule,
      }),
    );
    const permission = 'AllowSesReceiptRule';
    props.intake.function.addPermission(permission, { principal: sesPrincipal, action: 'lambda:InvokeFunction', sourceAccount: stack.account, sourceArn: ruleArn });

    const ruleSet = new ses.ReceiptRuleSet(this, 'RuleSet', { receiptRuleSetName: this.ruleSetName });
    const rule = ruleSet.addRule('SupportMailbox', {
      receiptRuleName: RULE_NAME,
      recipients: [props.supportAddress],
      scanEnabled: true, // spam and virus verdicts for the intake
      actions: [
        { bind: () => ({ s3Action: { bucketName: props.bucket.bucketName, objectKeyPrefix: RAW_MAIL_PREFIX } }) },
        { bind: () => ({ lambdaAction: { functionArn: props.intake.function.functionArn, invocationType: 'Event' } }) },
      ],
    });
    // SES checks its grants when the rule is created.
    rule.node.addDependency(props.bucket.policy!, props.key, props.intake.function.permissionsNode.findChild(permission));

    const activator = new DerbesFunction(this, 'Activation', {
      entry: 'functions/handlers/custom-resources/receipt-rule-set.ts',
      description: 'Activates derbes’ SES receipt rule set without silently replacing another; restores the previous one on delete',
      profilePath: props.profilePath,
    }).allow(['ses:DescribeActiveReceiptRuleSet', 'ses:SetActiveReceiptRuleSet'], ['*']);
    Validations.of(activator).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ses:DescribeActiveReceiptRuleSet and ses:SetActiveReceiptRuleSet support no resource-level permissions.',
    });
    const activation = new CustomResource(this, 'ActiveRuleSet', {
      serviceToken: activator.function.functionArn,
      resourceType: 'Custom::ActiveReceiptRuleSet',
      properties: { RuleSetName: this.ruleSetName, ReplaceActive: String(props.replaceActiveRuleSet) },
    });
    activation.node.addDependency(rule);
  }
}
