/** A port whose every member is a method that returns a promise: what `lazy` can stand in for. */
export type AsyncPort<T> = { [K in keyof T]: (...args: never[]) => Promise<unknown> };

/**
 * An adapter whose module (with the AWS SDK client it brings) is imported on its first call, not when the
 * function starts: each function loads the clients it uses, and bundles split them into chunks of their own.
 * Every port method is async, so a call can wait for the module.
 */
export function lazy<T extends AsyncPort<T>>(load: () => Promise<T>): T {
  let instance: Promise<T> | undefined;
  return new Proxy({} as T, {
    get(_, method) {
      // Not a thenable: awaiting the adapter itself must not call into it.
      if (method === 'then' || typeof method === 'symbol') return undefined;
      return async (...args: unknown[]) => {
        instance ??= load();
        instance.catch(() => (instance = undefined)); // a failed import is tried again on the next call
        const target = (await instance) as unknown as Record<string | symbol, (...a: unknown[]) => unknown>;
        return target[method]!(...args);
      };
    },
  });
}
