import { parseArgs } from 'node:util';
import { OPERATOR_ROLES } from '../../../functions/domain/operator-identity.ts';
import { call, positionalsUpTo, report, type Io } from './operator.ts';

const USAGE = `usage: derbes operators add <email> --role ${OPERATOR_ROLES.join('|')} | list [--json] | remove <email>`;

interface OperatorRow {
  email: string;
  role: string | null;
  status: string;
  enabled: boolean;
  createdAt: string;
}

/**
 * `derbes operators`: the people who sign in to the console, through the operator API with the machine key (an
 * admin's routes). Adding prints the one-time password the person signs in with the first time.
 */
export async function operatorsCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { role: { type: 'string' }, json: { type: 'boolean' } } });
  const given = positionalsUpTo(positionals, 2, io, USAGE);
  if (!given) return 2;
  const [action, email] = given;
  switch (action) {
    case 'list':
      return report(io, await call('GET', '/operator/operators'), (json) => {
        if (values.json) return [JSON.stringify(json, null, 2)];
        const rows = json.operators as OperatorRow[];
        if (!rows.length) return ['no operators'];
        return rows.map((o) => `${o.email.padEnd(36)} ${(o.role ?? '(no role)').padEnd(8)} ${o.status === 'FORCE_CHANGE_PASSWORD' ? 'not signed in yet' : 'active'}${o.enabled ? '' : ' (disabled)'}  since ${o.createdAt.slice(0, 10)}`);
      });
    case 'add':
      if (!email || !values.role) break;
      return report(io, await call('POST', '/operator/operators', { email, role: values.role }), (json) => [
        `added ${String(json.email)} as ${String(json.role)}`,
        `one-time password: ${String(json.temporaryPassword)}`,
        'give it to them in person or by another channel than mail; at the first sign-in they choose a password and add an authenticator app',
      ]);
    case 'remove':
      if (!email) break;
      return report(io, await call('DELETE', `/operator/operators/${encodeURIComponent(email)}`), (json) => [
        `removed ${String(json.email)}: they cannot sign in again; a session already open is refused within 30 seconds`,
      ]);
  }
  io.err(USAGE);
  return 2;
}
