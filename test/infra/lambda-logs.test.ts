import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionHost } from '../../infra/local/function-host.ts';
import type { LocalFunction } from '../../infra/local/template.ts';
import { REPO_ROOT } from '../../infra/names.ts';

const dir = mkdtempSync(join(tmpdir(), 'derbes-lambda-logs-'));
const runtime = join(dir, 'lambda-runtime.mjs');
/** A function that writes at every console level, then fails when asked to. */
const bundle = join(dir, 'logging.mjs');
/** A function that fails through derbes' own error reporting, minified as the functions are. */
const reporting = join(dir, 'reporting.mjs');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the workers write to this process's stdout and stderr, as it arrives. */
const written: string[] = [];
const streams = [process.stdout, process.stderr] as const;
const originals = streams.map((stream) => stream.write);

let host: FunctionHost;
beforeAll(async () => {
  await build({ entryPoints: [join(REPO_ROOT, 'infra/local/lambda-runtime.ts')], outfile: runtime, bundle: true, format: 'esm', platform: 'node', logLevel: 'silent' });
  writeFileSync(
    bundle,
    // It waits between entries, so invocations side by side interleave: each entry must still carry its own id.
    `const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
    export const handler = async (event) => {
      console.trace('a trace'); console.debug('a debug');
      await pause();
      console.info({ message: 'kept', order: event.order });
      await pause();
      console.log('plain', event.order);
      await pause();
      console.warn('with an error #' + event.order, Object.assign(new RangeError('out of range'), { level: 'DEBUG', requestId: 'forged' }));
      if (event.fail) throw new TypeError('no such thing #' + event.order);
      return 'done';
    };\n`,
  );
  writeFileSync(
    join(dir, 'reporting.ts'),
    `import { DependencyError } from ${JSON.stringify(join(REPO_ROOT, 'functions/domain/errors.ts'))};
    import { reportingErrors } from ${JSON.stringify(join(REPO_ROOT, 'functions/handlers/report-errors.ts'))};
    export const handler = reportingErrors('lookup', async () => { throw new DependencyError('source billing answered HTTP 503'); });\n`,
  );
  await build({ entryPoints: [join(dir, 'reporting.ts')], outfile: reporting, bundle: true, minify: true, format: 'esm', platform: 'node', logLevel: 'silent' });
  const fn = (logicalId: string, logging: LocalFunction['logging']): [string, LocalFunction] => [
    logicalId,
    { logicalId, entry: 'logging.mjs', environment: {}, roleLogicalId: 'Role', directories: [], timeoutSeconds: 10, memorySize: 128, logging },
  ];
  host = new FunctionHost(
    new Map([fn('Json', { format: 'JSON', applicationLogLevel: 'INFO' }), fn('JsonAtWarn', { format: 'JSON', applicationLogLevel: 'WARN' }), fn('Text', { format: 'Text' }), fn('Reporting', { format: 'JSON', applicationLogLevel: 'INFO' })]),
    { taskRoot: dir, files: new Map([...['Json', 'JsonAtWarn', 'Text'].map((id): [string, string] => [id, bundle]), ['Reporting', reporting]]), runtime, rebuilt: false },
    () => ({}),
  );
  streams.forEach((stream, i) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => (written.push(String(chunk)), originals[i]!.call(stream, chunk, ...rest))) as typeof stream.write;
  });
});
afterAll(async () => {
  streams.forEach((stream, i) => (stream.write = originals[i]!));
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * What has been written once every text arrived: a worker's output reaches this thread after its invocation ends,
 * stdout and stderr each in its own time.
 */
async function writtenUpTo(...texts: string[]): Promise<string> {
  const arrived = () => texts.every((text) => written.join('').includes(text));
  for (let i = 0; i < 200 && !arrived(); i++) await new Promise((r) => setTimeout(r, 20));
  return written.join('');
}
const entries = (output: string) => output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, any>);

describe("the local runtime writes a function's console as Lambda's Node.js runtime does for its LoggingConfig", () => {
  it('JSON: one line per entry with time, level and invocation id; a lone object stays an object; below the level nothing', async () => {
    written.length = 0;
    expect(await host.invoke('Json', { order: 1 })).toBe('done');
    const output = await writtenUpTo('with an error #1');
    expect(entries(output).map((e) => e.level)).toEqual(['INFO', 'INFO', 'WARN']);
    const [kept, plain, warning] = entries(output);
    expect(kept).toEqual({ timestamp: expect.any(String), level: 'INFO', requestId: expect.stringMatching(UUID), message: { message: 'kept', order: 1 } });
    expect(new Date(kept!.timestamp).toISOString()).toBe(kept!.timestamp);
    expect(plain).toMatchObject({ message: 'plain 1', requestId: kept!.requestId });
    // An Error among several arguments adds its type, message and stack; its own fields take nothing over.
    expect(warning).toMatchObject({ level: 'WARN', requestId: kept!.requestId, message: expect.stringMatching(/^with an error #1 RangeError: out of range/), errorType: 'RangeError', errorMessage: 'out of range' });
    expect(warning!.stackTrace[0]).toBe('RangeError: out of range');
    expect(output).not.toMatch(/a trace|a debug/);
  });

  it('invocations side by side each log under their own id, and a failed one logs its error alone, as the entry', async () => {
    written.length = 0;
    const results = await Promise.allSettled([host.invoke('Json', { order: 2 }), host.invoke('Json', { order: 3, fail: true })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    const logged = entries(await writtenUpTo('with an error #2', 'no such thing #3'));
    /** The invocation an entry came from, by the order number it mentions ("plain 3", "#3", { order: 3 }). */
    const orderOf = (e: Record<string, any>) => Number(e.message?.order ?? /(?:plain |#)(\d+)/.exec(String(e.message))?.[1]);
    const idsOf = (order: number) => new Set(logged.filter((e) => orderOf(e) === order).map((e) => e.requestId));
    expect([...idsOf(2)]).toHaveLength(1);
    expect([...idsOf(3)]).toHaveLength(1);
    const [idOf2, idOf3] = [[...idsOf(2)][0], [...idsOf(3)][0]];
    expect(idOf2).not.toBe(idOf3);
    expect(logged.filter((e) => e.requestId === idOf2)).toHaveLength(3);
    const failure = logged.find((e) => e.level === 'ERROR')!;
    expect(failure).toEqual({
      timestamp: expect.any(String),
      level: 'ERROR',
      requestId: idOf3,
      message: { errorType: 'TypeError', errorMessage: 'no such thing #3', stackTrace: expect.arrayContaining(['TypeError: no such thing #3']) },
    });
  });

  it('a function failing through its error reporting logs its code, and a failure line whose type is readable though minified', async () => {
    written.length = 0;
    await expect(host.invoke('Reporting', {})).rejects.toMatchObject({ name: 'dependency_failed', message: 'source billing answered HTTP 503' });
    const logged = entries(await writtenUpTo('lookup failed', '"errorType"'));
    expect(logged.map((e) => e.level)).toEqual(['ERROR', 'ERROR']);
    expect(logged[0]!.message).toMatchObject({ message: 'lookup failed', errorCode: 'dependency_failed', errorMessage: 'source billing answered HTTP 503' });
    expect(logged[1]!.message).toMatchObject({ errorType: 'ReportedError', name: 'dependency_failed', errorMessage: 'source billing answered HTTP 503' });
  });

  it('the application log level is the floor: at WARN only the warning is written', async () => {
    written.length = 0;
    await host.invoke('JsonAtWarn', { order: 4 });
    expect(entries(await writtenUpTo('with an error #4')).map((e) => e.level)).toEqual(['WARN']);
  });

  it('text (no LoggingConfig): time, invocation id, level and the formatted entry, tab-separated, every level kept', async () => {
    written.length = 0;
    await host.invoke('Text', { order: 5 });
    const lines = (await writtenUpTo('with an error #5')).split('\n').filter(Boolean);
    expect(lines.map((line) => line.split('\t').slice(2, 3)[0])).toEqual(['TRACE', 'DEBUG', 'INFO', 'INFO', 'WARN']);
    const [timestamp, id, , text] = lines[2]!.split('\t');
    expect(new Date(timestamp!).toISOString()).toBe(timestamp);
    expect(id).toMatch(UUID);
    expect(text).toBe("{ message: 'kept', order: 5 }");
    // A stack's lines stay on the entry's one line.
    expect(lines[4]).toMatch(/^\S+\t\S+\tWARN\twith an error #5 RangeError: out of range\r {4}at /);
  });
});
