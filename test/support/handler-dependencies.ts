import type { Dependencies } from '../../functions/use-cases/dependencies.ts';

/**
 * What the handlers' composition hands out in a unit test that calls a handler (`vi.mock` of composition.ts with this
 * module). The unit files share a worker and its modules (vitest.config.ts): the handler module is imported once,
 * bound to the first file's mock, so every file's mock reads the dependencies from here, set by the file that runs.
 */
let current: (() => Dependencies) | undefined;

export function useHandlerDependencies(deps: () => Dependencies): void {
  current = deps;
}

export async function dependencies(): Promise<Dependencies> {
  if (!current) throw new Error('no dependencies set for the handler: call useHandlerDependencies first');
  return current();
}
