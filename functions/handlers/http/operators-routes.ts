import { readSetting, Settings } from '../../config/settings.ts';
import { ValidationError } from '../../domain/errors.ts';
import type { PoolStanding } from '../../domain/operator-identity.ts';
import type { OperatorRoute } from './operator-call.ts';
import { json, objectBody } from './responses.ts';
import type { OPERATORS_ROUTE_KEYS } from './routes.ts';


/** Changes to who may sign in are kept on their own trail, naming who made them. */
const OPERATORS_TRAIL = 'OPERATORS';

let directory: Promise<import('../../adapters/aws/operator-directory.ts').OperatorDirectory> | undefined;
/** The user pool's client is loaded on the first call of these routes only. */
function operators() {
  directory ??= import('../../adapters/aws/operator-directory.ts').then(({ OperatorDirectory }) => new OperatorDirectory(readSetting(Settings.userPoolId)));
  return directory;
}

/** How long a person's role, as the pool holds it, is trusted before the pool is asked again. */
const ROLE_CHECK_MS = 30_000;
const checked = new Map<string, { standing: PoolStanding; at: number }>();

/**
 * A signed-in person's standing as the pool holds it now — not as their token said up to 15 minutes ago: someone
 * removed or given a lower role loses what they lost within half a minute.
 */
export async function standingInPool(sub: string, now = Date.now()): Promise<PoolStanding> {
  const last = checked.get(sub);
  if (last && now - last.at < ROLE_CHECK_MS) return last.standing;
  const standing = await (await operators()).standing(sub);
  checked.set(sub, { standing, at: now });
  return standing;
}

/** The address in the path, whether the gateway passed it decoded (`a@b`) or as sent (`a%40b`). */
function pathEmail(value: string | undefined): string {
  if (!value) throw new ValidationError([{ field: 'email', message: 'is required' }], 'path');
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ValidationError([{ field: 'email', message: 'is not a well-formed address' }], 'path');
  }
}

export const operatorsRoutes: Record<(typeof OPERATORS_ROUTE_KEYS)[number], OperatorRoute> = {
  'GET /operator/operators': async () => json(200, { operators: await (await operators()).list() }),
  /** {"email","role"}: the answer carries the temporary password for the first sign-in, once. */
  'POST /operator/operators': async (event, { deps, actor }) => {
    const { email, role } = objectBody(event, 'operator');
    const added = await (await operators()).add(email, role);
    await deps.audit.append(OPERATORS_TRAIL, { type: 'operator.added', detail: { email: added.email, role: added.role, operator: actor } });
    return json(201, added);
  },
  'DELETE /operator/operators/{email}': async (event, { deps, actor }) => {
    const email = pathEmail(event.pathParameters?.email);
    if (actor.kind === 'person' && actor.email.toLowerCase() === email.trim().toLowerCase()) {
      throw new ValidationError([{ field: 'email', message: 'you cannot remove yourself; ask another admin' }], 'operator');
    }
    const removed = await (await operators()).remove(email);
    await deps.audit.append(OPERATORS_TRAIL, { type: 'operator.removed', detail: { email: removed.email, operator: actor } });
    return json(200, removed);
  },
};
