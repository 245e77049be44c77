/**
 * A value built the first time it is asked for, then kept. For zod schemas and validated rule data at module level:
 * built when a module loads, they cost the cold start of every function that bundles the module, including the many
 * that never use them (the first schema a process builds also pays zod's own warm-up).
 */
export function onFirstUse<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/** Values loaded per key, each the first time it is asked for (see onFirstLoad). */
export interface LoadedOnFirstUse<K, V> {
  /** The key's value, loading it on the first call; calls made while it loads share that load. */
  load(key: K): Promise<V>;
  /** The key's value if a load has finished, else undefined: for synchronous readers whose caller loaded first. */
  loaded(key: K): V | undefined;
}

/**
 * A value per key, loaded the first time it is asked for, then kept; a failed load is tried again on the next call.
 * For the files a bundle holds in chunks of their own and imports on demand: texts per language, rules per
 * jurisdiction.
 */
export function onFirstLoad<K, V>(load: (key: K) => Promise<V>): LoadedOnFirstUse<K, V> {
  const loading = new Map<K, Promise<V>>();
  const done = new Map<K, V>();
  return {
    load(key) {
      let pending = loading.get(key);
      if (!pending) {
        pending = load(key).then((value) => {
          done.set(key, value);
          return value;
        });
        pending.catch(() => loading.delete(key));
        loading.set(key, pending);
      }
      return pending;
    },
    loaded: (key) => done.get(key),
  };
}
