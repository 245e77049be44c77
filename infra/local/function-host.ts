import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../constructs/derbes-function.ts';
import type { LocalFunction } from './template.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Runs the functions' own handler modules, as Lambda would, in this process. Their environment comes from the
 * template; because all functions share one process, a variable two functions set differently is refused.
 */
export class FunctionHost {
  private readonly handlers = new Map<string, Promise<Handler>>();

  constructor(private readonly functions: Map<string, LocalFunction>) {}

  /** The union of all functions' environments, plus the local overrides (endpoints, mail, paths). */
  environment(overrides: Record<string, string>): Record<string, string> {
    const merged: Record<string, string> = {};
    for (const fn of this.functions.values()) {
      for (const [name, value] of Object.entries(fn.environment)) {
        if (name in overrides) continue;
        if (merged[name] !== undefined && merged[name] !== value) {
          throw new Error(`functions disagree on ${name} (${merged[name]} vs ${value}); the local runtime shares one environment`);
        }
        merged[name] = value;
      }
    }
    return { ...merged, ...overrides };
  }

  private handler(logicalId: string): Promise<Handler> {
    let handler = this.handlers.get(logicalId);
    if (!handler) {
      const fn = this.functions.get(logicalId);
      if (!fn) throw new Error(`no derbes function ${logicalId} in the template`);
      handler = import(pathToFileURL(join(REPO_ROOT, fn.entry)).href).then((module: { handler?: Handler }) => {
        if (typeof module.handler !== 'function') throw new Error(`${fn.entry} exports no handler`);
        return module.handler;
      });
      this.handlers.set(logicalId, handler);
    }
    return handler;
  }

  /** Loads every handler now, so a broken module fails start-up rather than the first request. */
  async loadAll(): Promise<void> {
    await Promise.all([...this.functions.keys()].map((id) => this.handler(id)));
  }

  async invoke(logicalId: string, event: unknown): Promise<unknown> {
    const handler = await this.handler(logicalId);
    const deadline = Date.now() + 30_000;
    const context = {
      functionName: logicalId,
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const result = await handler(structuredClone(event), context);
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  }
}
