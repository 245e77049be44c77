import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadProfileFile } from '../functions/config/load-profile.ts';
import { checkBreachTexts } from '../functions/domain/breaches/texts.ts';
import { checkConsoleTexts } from '../functions/domain/console-texts.ts';
import { checkEvidenceTexts } from '../functions/domain/evidence/texts.ts';
import { checkShippedRules } from '../functions/domain/deadlines/shipped.ts';
import { checkCatalogs } from '../functions/domain/messages.ts';
import { checkRefusalGrounds } from '../functions/domain/refusal-grounds.ts';
import { checkRetentionTexts } from '../functions/domain/retention-texts.ts';
import { checkSignInTexts } from '../functions/domain/sign-in-texts.ts';
import { shippedOwnRecordsRules } from '../functions/domain/own-records.ts';
import { DerbesStack } from './derbes-stack.ts';
import { SHIPPED_CONSOLE_TEXTS, SHIPPED_MESSAGE_CATALOGUES, SHIPPED_REFUSAL_GROUNDS, SHIPPED_SIGN_IN_TEXTS } from './shipped-texts.ts';
import { deploymentRegion, SES_RECEIVING } from './regions.ts';
import { ConfigurationError } from '../functions/domain/errors.ts';
import { DEFAULT_PROFILE, REPO_ROOT, STACK_NAME } from './names.ts';

export { DEFAULT_PROFILE, STACK_NAME };

export interface AppOptions {
  profilePath?: string;
  outdir?: string;
  /** The local runtime runs the TypeScript sources itself; it needs the template, not the bundles. */
  skipBundling?: boolean;
  /** `cdk synth|deploy`: the region must be chosen (profile or -c region=…), not taken from whatever credentials say. */
  requireRegion?: boolean;
}

/** The CDK app: one stack, checked by cdk-nag on every synth (an unsuppressed finding fails it). */
export function createApp(options: AppOptions = {}): { app: App; stack: DerbesStack } {
  const profilePath = resolve(REPO_ROOT, options.profilePath ?? process.env.DERBES_PROFILE ?? DEFAULT_PROFILE);
  const profile = loadProfileFile(profilePath);
  // The functions load and validate a document (a jurisdiction's rules and calendar, its refusal grounds, a language's
  // messages — with the evidence pack's, breaches' and retention's texts —, the texts of the console, its sign-in page,
  // the release's own-records rules) when they first need it, and only the ones they need; a deploy (and `npm start`,
  // which synthesizes whenever an input changed) checks them all first.
  checkShippedRules({ calendarOverrides: profile.calendarOverrides });
  checkCatalogs(SHIPPED_MESSAGE_CATALOGUES);
  checkRefusalGrounds(SHIPPED_REFUSAL_GROUNDS);
  checkConsoleTexts(SHIPPED_CONSOLE_TEXTS);
  checkEvidenceTexts(SHIPPED_MESSAGE_CATALOGUES);
  checkBreachTexts(SHIPPED_MESSAGE_CATALOGUES);
  checkRetentionTexts(SHIPPED_MESSAGE_CATALOGUES);
  checkSignInTexts(SHIPPED_SIGN_IN_TEXTS);
  shippedOwnRecordsRules();
  const app = new App({
    outdir: options.outdir,
    context: {
      // Access logs reach their bucket through a bucket policy limited to our buckets, not the legacy
      // LogDeliveryWrite ACL (cfn-lint W3045).
      '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
      ...(options.skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  const region = deploymentRegion(app.node.tryGetContext('region'), profile.deployment.region);
  if (options.requireRegion && !region) {
    throw new ConfigurationError('deployment region', [
      { field: 'region', message: `choose where to deploy: "deployment": { "region": "eu-central-1" } in the profile, or cdk deploy -c region=eu-central-1 (SES receives mail in ${Object.keys(SES_RECEIVING.regions).join(', ')})` },
    ]);
  }
  const stack = new DerbesStack(app, STACK_NAME, {
    profile,
    profilePath,
    ...(region ? { env: { region, account: process.env.CDK_DEFAULT_ACCOUNT } } : {}),
    description: `derbes for ${profile.operator.legalName}: data-subject requests under ${profile.jurisdiction} law`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
