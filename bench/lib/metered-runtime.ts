import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../infra/local/free-port.ts';
import type { MeterReading } from '../../infra/local/meter.ts';
import { MailSink } from '../../test/support/mail-sink.ts';
import { benchProfile, ChildRuntime } from './child-runtime.ts';

/** The local runtime in a child process with its meter on (METER_FILE) and its mail to a real SMTP sink. */
export interface MeteredRuntime {
  dataDir: string;
  runtime: ChildRuntime;
  sink: MailSink;
  /** DynamoDB Local itself, for the bench's own reads and writes (not metered: they go past the IAM endpoint). */
  dynamoDbPort: number;
  readMeter(): MeterReading;
  /** The meter once what `include` counts has held still for 1.5 s (the file is written every 250 ms). */
  settledMeter(include?: (caller: string) => boolean): Promise<MeterReading>;
}

export async function meteredRuntime(name: string, env: Record<string, string> = {}): Promise<MeteredRuntime> {
  const dataDir = mkdtempSync(join(tmpdir(), `derbes-${name}-`));
  const meterFile = join(dataDir, 'meter.json');
  const sink = await new MailSink().start();
  const [port, smtpPort, dynamoDbPort] = [await freePort(), await freePort(), await freePort()];
  const runtime = new ChildRuntime(dataDir, {
    PORT: String(port),
    SMTP_PORT: String(smtpPort),
    DYNAMODB_PORT: String(dynamoDbPort),
    MAIL_RELAY_URL: sink.url,
    DERBES_PROFILE: benchProfile(dataDir),
    METER_FILE: meterFile,
    ...env,
  });
  const readMeter = (): MeterReading => {
    try {
      return JSON.parse(readFileSync(meterFile, 'utf8')) as MeterReading;
    } catch {
      return { usage: {}, stateTransitions: 0 }; // nothing counted yet
    }
  };
  const settledMeter = async (include: (caller: string) => boolean = () => true) => {
    const key = (m: MeterReading) => JSON.stringify([m.stateTransitions, Object.entries(m.usage).filter(([caller]) => include(caller))]);
    let last = readMeter();
    for (let still = 0; still < 5; ) {
      await new Promise((r) => setTimeout(r, 300));
      const now = readMeter();
      still = key(now) === key(last) ? still + 1 : 0;
      last = now;
    }
    return last;
  };
  return { dataDir, runtime, sink, dynamoDbPort, readMeter, settledMeter };
}
