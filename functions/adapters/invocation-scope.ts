import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * One invocation of a function, as its handler runs it (oneInvocation): what adapters learn in it for its own later
 * calls is kept here, for it alone — never for the sandbox's next invocation, by when other functions may have
 * changed what was learnt. Invocations run side by side in the local runtime's workers: each has its own.
 */
const invocation = new AsyncLocalStorage<Map<string, unknown>>();

export function oneInvocation<T>(run: () => Promise<T>): Promise<T> {
  return invocation.run(new Map(), run);
}

/** What the current invocation keeps under `name`, made on first use; undefined outside an invocation. */
export function keptForThisInvocation<T>(name: string, make: () => T): T | undefined {
  const kept = invocation.getStore();
  if (!kept) return undefined;
  if (!kept.has(name)) kept.set(name, make());
  return kept.get(name) as T;
}
