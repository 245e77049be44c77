import { basename, join, relative } from 'node:path';
import { copyFileSync, cpSync } from 'node:fs';
import { AssetHashType, DockerImage, Duration, Validations, type BundlingOptions, type ILocalBundling } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Settings, type SettingName } from '../../functions/config/settings.ts';
import { bundleFunction } from '../bundling.ts';
import { DIRECTORIES_METADATA, ENTRY_METADATA, REPO_ROOT } from '../names.ts';

export { DIRECTORIES_METADATA, ENTRY_METADATA, REPO_ROOT };
/** Where the operator profile sits inside every bundle (see DERBES_PROFILE_FILE). */
const BUNDLED_PROFILE = 'profile.json';

export interface DerbesFunctionProps {
  /** Handler module, relative to the repository root, e.g. functions/handlers/http-api.ts. */
  entry: string;
  description: string;
  profilePath: string;
  timeout?: Duration;
  memorySize?: number;
  /** Files the code reads beside itself at run time (fonts for PDFs), copied into the bundle's root. */
  files?: string[];
  /**
   * Folders of the repository the code reads at run time (the console's pages), copied whole into the bundle's root
   * under the same name; named in the function's metadata so that the local runtime puts them in its task root too.
   */
  directories?: string[];
}

/**
 * esbuild on this machine, as infra/bundling.ts bundles every function (the local runtime too): a split ESM bundle
 * whose chunks a function loads when a call needs them. The operator profile travels with the code (changing it is
 * a `cdk deploy`, not a release), with the files the code reads beside itself. Its fields name the function, so
 * the CDK's bundling cache (keyed by these options) never hands one function another's bundle.
 */
class FunctionBundling implements BundlingOptions {
  readonly entry: string;
  readonly profilePath: string;
  readonly files: string[];
  readonly directories: string[];
  /** Never used: bundling is always local (esbuild is a dependency of this project); the CDK requires an image. */
  readonly image = DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x');
  readonly local: ILocalBundling = {
    tryBundle: (outputDir: string) => {
      bundleFunction(join(REPO_ROOT, this.entry), outputDir, REPO_ROOT);
      copyFileSync(this.profilePath, join(outputDir, BUNDLED_PROFILE));
      for (const file of this.files) copyFileSync(file, join(outputDir, basename(file)));
      for (const directory of this.directories) cpSync(join(REPO_ROOT, directory), join(outputDir, directory), { recursive: true });
      return true;
    },
  };

  constructor(props: DerbesFunctionProps) {
    this.entry = props.entry;
    this.profilePath = props.profilePath;
    this.files = props.files ?? [];
    this.directories = props.directories ?? [];
  }
}

/** DynamoDB actions that only read: a function that only reads a table gets no KMS action that encrypts. */
const READ_ONLY_TABLE_ACTIONS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'DescribeTable']);
/** What a function does with a derbes index: queries it (a scan of a table is granted on the table). */
const INDEX_ACTIONS = new Set(['Query']);

/**
 * Every derbes Lambda function: one place for runtime, architecture, tracing, logs and bundling, and for
 * granting access together with the environment variable that names the resource. It is grantable: the CDK's own
 * grants (`stateMachine.grantStartExecution(fn)`) go to its role.
 */
export class DerbesFunction extends Construct implements iam.IGrantable {
  readonly function: lambda.Function;
  readonly grantPrincipal: iam.IPrincipal;
  private readonly role: iam.Role;
  /** Actions granted so far, by resource. */
  private readonly granted = new Map<string, Set<string>>();

  constructor(scope: Construct, id: string, props: DerbesFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      // Logs carry identifiers only; three months covers incident follow-up.
      retention: logs.RetentionDays.THREE_MONTHS,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.grantPrincipal = this.role;
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));

    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(join(REPO_ROOT, 'functions'), {
        // The bundle's own content names the asset: an unchanged function is not uploaded again.
        assetHashType: AssetHashType.OUTPUT,
        bundling: new FunctionBundling(props),
      }),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X, // same major as `npm start` and the tests (devDependency node@24)
      architecture: lambda.Architecture.ARM_64, // cheaper per GB-second; nothing here is x86-only
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      // Lambda's own structured logs: the runtime writes each console entry as one JSON line with its time, level and
      // invocation id, and drops entries below the level here — no logging library in any bundle (see logger.ts).
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      role: this.role,
      environment: { [Settings.profileFile]: BUNDLED_PROFILE },
    });
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(ENTRY_METADATA, relative(REPO_ROOT, join(REPO_ROOT, props.entry)));
    if (props.directories?.length) (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(DIRECTORIES_METADATA, props.directories);

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; Lambda active tracing needs them on *.',
    });
  }

  setEnvironment(name: SettingName, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  allow(actions: string[], resources: string[]): this {
    // An action already granted on every one of these resources is not granted again, however many helpers ask.
    const fresh = actions.filter((action) => resources.some((resource) => !this.granted.get(resource)?.has(action)));
    if (!fresh.length) return this;
    for (const resource of resources) this.granted.set(resource, new Set([...(this.granted.get(resource) ?? []), ...fresh]));
    this.role.addToPolicy(new iam.PolicyStatement({ actions: fresh, resources }));
    return this;
  }

  /**
   * Names the table in the environment and grants exactly these DynamoDB actions on it, their reading part on the
   * indexes named (the CDK's table.grant would cover every index, `/index/*`), with the key actions they need.
   */
  useTable(setting: SettingName, table: ITable, key: IKey, actions: string[], indexNames: string[] = []): this {
    this.setEnvironment(setting, table.tableName);
    this.allow(actions.map((a) => `dynamodb:${a}`), [table.tableArn]);
    // An index is only ever read: of the actions asked for, it gets the ones that read an index.
    const indexActions = actions.filter((action) => INDEX_ACTIONS.has(action));
    if (indexNames.length && indexActions.length) {
      this.allow(indexActions.map((a) => `dynamodb:${a}`), indexNames.map((index) => `${table.tableArn}/index/${index}`));
    }
    return this.useKey(key, actions.every((action) => READ_ONLY_TABLE_ACTIONS.has(action)) ? 'read' : 'write');
  }

  /** Customer-managed key access for the encrypted tables and buckets: reading decrypts only; writing also encrypts. */
  useKey(key: IKey, access: 'read' | 'write'): this {
    this.allow(['kms:Decrypt', 'kms:DescribeKey'], [key.keyArn]);
    if (access === 'write') this.allow(['kms:Encrypt', 'kms:GenerateDataKey'], [key.keyArn]);
    return this;
  }
}
