import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as actions from 'aws-cdk-lib/aws-ses-actions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { RAW_MAIL_PREFIX } from './storage.ts';
import type { DerbesFunction } from './derbes-function.ts';

export interface EmailReceivingProps {
  supportAddress: string;
  bucket: s3.IBucket;
  intake: DerbesFunction;
}

/**
 * SES inbound for the support address: store the raw message, then invoke intake asynchronously.
 * Only one rule set is active per region and CloudFormation cannot activate one, hence the custom resource.
 */
export class EmailReceiving extends Construct {
  constructor(scope: Construct, id: string, props: EmailReceivingProps) {
    super(scope, id);
    const ruleSet = new ses.ReceiptRuleSet(this, 'RuleSet');
    ruleSet.addRule('SupportMailbox', {
      recipients: [props.supportAddress],
      scanEnabled: true, // spam and virus verdicts for the intake
      actions: [
        new actions.S3({ bucket: props.bucket, objectKeyPrefix: RAW_MAIL_PREFIX }),
        new actions.Lambda({ function: props.intake.function, invocationType: actions.LambdaInvocationType.EVENT }),
      ],
    });

    const activate = (name?: string): cr.AwsSdkCall => ({
      service: 'SES',
      action: 'setActiveReceiptRuleSet',
      parameters: name ? { RuleSetName: name } : {},
      physicalResourceId: cr.PhysicalResourceId.of(`${ruleSet.receiptRuleSetName}-active`),
    });
    const activation = new cr.AwsCustomResource(this, 'ActivateRuleSet', {
      onCreate: activate(ruleSet.receiptRuleSetName),
      onUpdate: activate(ruleSet.receiptRuleSetName),
      onDelete: activate(),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        // SetActiveReceiptRuleSet has no resource-level permissions.
        new iam.PolicyStatement({ actions: ['ses:SetActiveReceiptRuleSet'], resources: ['*'] }),
      ]),
      installLatestAwsSdk: false,
    });
    activation.node.addDependency(ruleSet);
    Validations.of(activation).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ses:SetActiveReceiptRuleSet supports no resource-level permissions.',
    });
    // The custom resource's provider function is a stack-wide singleton that CDK creates with this id.
    const provider = Stack.of(this).node.tryFindChild(cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '').replace(/^/, 'AWS'));
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The CDK-provided custom-resource provider only writes its own logs; its role is created by aws-cdk-lib and runs once per deployment.',
      });
    }
  }
}
