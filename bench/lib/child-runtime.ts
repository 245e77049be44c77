import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../infra/names.ts';

/**
 * The demo profile (and its demo data) in `dataDir`, with the request and mail limits of the public API lifted: these
 * benches send thousands of requests from one address to measure the runtime, not the limits (bench:abuse does that).
 */
export function benchProfile(dataDir: string): string {
  const profile = JSON.parse(readFileSync(join(REPO_ROOT, 'profiles', 'demo.json'), 'utf8')) as Record<string, unknown>;
  const unlimited = { burst: 1_000_000, perMinute: 1_000_000 };
  profile.limits = {
    requestsPerClient: unlimited,
    requestsInAll: unlimited,
    publicCallsPerClient: unlimited,
    unverifiedMailsPerHour: 1_000_000,
    recipientDomainMailsPerHour: 1_000_000,
    sharedProviderMailsPerHour: 1_000_000,
  };
  const path = join(dataDir, 'bench-profile.json');
  writeFileSync(path, JSON.stringify(profile, null, 2));
  copyFileSync(join(REPO_ROOT, 'profiles', 'demo.data.json'), path.replace(/\.json$/, '.data.json'));
  return path;
}

/**
 * The local runtime as `npm start` runs it, in a child process group of its own (Node, its function workers and
 * DynamoDB Local's JVM), so that one signal can end all of it; its output goes to `runtime.log` in its data folder.
 */
export class ChildRuntime {
  private child?: ChildProcess;
  readonly url: string;
  readonly logFile: string;

  constructor(
    private readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${env.PORT}`;
    this.logFile = join(dataDir, 'runtime.log');
  }

  /** Starts it and resolves once GET /health answers 200, with the milliseconds that took. */
  async start(limitMs = 300_000): Promise<number> {
    const log = openSync(this.logFile, 'a');
    // RUNTIME_NODE_ARGS: Node options for the runtime's process only, which NODE_OPTIONS may not carry (e.g.
    // `--cpu-prof --cpu-prof-dir=/tmp/profiles`: a profile of its main thread and one of each function's worker).
    const nodeArgs = (process.env.RUNTIME_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, join(REPO_ROOT, 'bin', 'derbes.js'), 'start'], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, DATA_DIR: this.dataDir, LOG_LEVEL: 'ERROR', ...this.env },
    });
    this.child = child;
    const started = Date.now();
    while (Date.now() - started < limitMs) {
      if (child.exitCode !== null) throw new Error(`the runtime exited with ${child.exitCode}; see ${this.logFile}`);
      try {
        if ((await fetch(`${this.url}/health`)).ok) return Date.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the runtime was not healthy within ${limitMs / 1000} s; see ${this.logFile}`);
  }

  /** Ctrl-C: the runtime stops its services and keeps every running execution for the next start. */
  async interrupt(): Promise<void> {
    await this.end(() => this.child!.kill('SIGINT'));
  }

  /** kill -9 of the whole process group: nothing gets to clean up. */
  async kill(): Promise<void> {
    await this.end(() => process.kill(-this.child!.pid!, 'SIGKILL'));
  }

  private async end(signal: () => void): Promise<void> {
    const child = this.child!;
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    signal();
    await exited;
    // The group's other members (the JVM) go with the signal or with their parent; wait until its port is free.
    const dynamoDb = this.env.DYNAMODB_PORT;
    for (let i = 0; dynamoDb && dynamoDb !== '0' && i < 100; i++) {
      try {
        await fetch(`http://127.0.0.1:${dynamoDb}/`);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        return;
      }
    }
  }

  /** The process id of the runtime's Node process (its function workers are threads of it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * CPU seconds (user + system) used so far by the runtime's Node process, threads included, and by the other
   * processes of its group (DynamoDB Local's JVM), from /proc; undefined where there is no /proc (macOS).
   */
  cpuSeconds(): { runtime: number; mainThread: number; database: number } | undefined {
    const pid = this.child?.pid;
    if (!pid || !existsSync(`/proc/${pid}/stat`)) return undefined;
    let runtime = 0;
    let database = 0;
    for (const process of processGroup(pid)) {
      if (process.pid === pid) runtime += process.seconds;
      else database += process.seconds;
    }
    // The main thread alone (the HTTP gateway, the AWS endpoints, Step Functions, SES): its task's id is the process id.
    const mainThread = procStat(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')).seconds;
    return { runtime, mainThread, database };
  }

  /**
   * For each thread of the runtime's process group, keyed by process and thread id: its name, the seconds it has run
   * on a CPU and the seconds it has waited, runnable, for one (/proc/<pid>/task/<tid>/schedstat, in nanoseconds). A
   * thread that is often runnable but waiting, and does work that nothing else can do at the same time (DynamoDB
   * Local's SQLite thread), is what holds the rate back. Undefined where there is no /proc (macOS).
   */
  threadTimes(): Map<string, ThreadTimes> | undefined {
    const pid = this.child?.pid;
    if (!pid || !existsSync(`/proc/${pid}/stat`)) return undefined;
    const threads = new Map<string, ThreadTimes>();
    for (const process of processGroup(pid)) {
      const owner = process.pid === pid ? 'runtime' : 'DynamoDB Local';
      let tasks: string[];
      try {
        tasks = readdirSync(`/proc/${process.pid}/task`);
      } catch {
        continue; // ended meanwhile
      }
      for (const task of tasks) {
        try {
          const name = readFileSync(`/proc/${process.pid}/task/${task}/comm`, 'utf8').trim();
          const [onCpu, waiting] = readFileSync(`/proc/${process.pid}/task/${task}/schedstat`, 'utf8').split(' ').map(Number);
          threads.set(`${process.pid}/${task}`, { name: `${owner} ${name}`, onCpu: onCpu! / 1e9, waiting: waiting! / 1e9 });
        } catch {
          // ended meanwhile
        }
      }
    }
    return threads;
  }

  /** The runtime's log so far. */
  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }
}

export interface ThreadTimes {
  name: string;
  onCpu: number;
  waiting: number;
}

/** The processes of this process group, with the CPU seconds each has used. */
function processGroup(group: number): Array<{ pid: number; seconds: number }> {
  const processes: Array<{ pid: number; seconds: number }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: ReturnType<typeof procStat>;
    try {
      stat = procStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
    } catch {
      continue; // ended meanwhile
    }
    if (stat.group === group) processes.push({ pid: Number(entry), seconds: stat.seconds });
  }
  return processes;
}

/**
 * A /proc stat line's process group and CPU seconds (user + system). Its fields after the command's closing
 * parenthesis: state ppid pgrp … utime (14) stime (15), counted from 1; ticks of USER_HZ, 100 on Linux.
 */
function procStat(text: string): { group: number; seconds: number } {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { group: Number(fields[2]), seconds: (Number(fields[11]) + Number(fields[12])) / 100 };
}
