import { runtimeSettings } from '../../local/settings.ts';
import { startLocalSystem } from '../../local/runtime.ts';

/** `derbes start`: runs until Ctrl-C, then stops every service cleanly so the next start resumes. */
export async function startCommand(_args: string[], io: { out: (line: string) => void }): Promise<number> {
  const started = Date.now();
  const system = await startLocalSystem(runtimeSettings(), { log: io.out });
  io.out(`  ready in ${((Date.now() - started) / 1000).toFixed(1)} s — Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.out('stopping…');
  await system.stop();
  return 0;
}
