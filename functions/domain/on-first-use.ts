/**
 * A value built the first time it is asked for, then kept. For zod schemas and validated rule data at module level:
 * built when a module loads, they cost the cold start of every function that bundles the module, including the many
 * that never use them (the first schema a process builds also pays zod's own warm-up).
 */
export function onFirstUse<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
