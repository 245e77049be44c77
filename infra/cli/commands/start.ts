import { runtimeSettings } from '../../local/settings.ts';

/** `derbes start`: runs until Ctrl-C, then stops every service cleanly so the next start resumes. */
export async function startCommand(_args: string[], io: { out: (line: string) => void }): Promise<number> {
  const started = Date.now();
  const settings = runtimeSettings();
  // The database's JVM first: its start is the longest wait of a restart, and the runtime's modules load meanwhile.
  const { startDatabase } = await import('../../local/dynamodb-local.ts');
  const database = await startDatabase(settings.dataDir, settings.dynamoDbPort);
  const { startLocalSystem } = await import('../../local/runtime.ts');
  const system = await startLocalSystem(settings, { log: io.out, database });
  io.out(`  ready in ${((Date.now() - started) / 1000).toFixed(1)} s — Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.out('stopping…');
  await system.stop();
  return 0;
}
