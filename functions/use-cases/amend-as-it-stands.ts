import { ConflictError } from '../domain/errors.ts';
import type { AuditEvent } from '../domain/audit.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import type { Changes, RequestStore } from './ports.ts';

/** How often an operator's write is read again when the workflow moved the request's status just before it. */
const STATUS_MOVES_TOLERATED = 3;

/**
 * Amends a request in whatever status it now stands, from `read` on: the workflow may move it to its next step
 * between an operator's read and write (the store's write is conditioned on the status read), and then it is read
 * again. `check` sees each read and refuses (a request that closed meanwhile, say); any other conflict is the
 * operator's to see.
 */
export async function amendAsItStands(requests: RequestStore, read: DataSubjectRequest, changes: Changes, events: AuditEvent[], check?: (current: DataSubjectRequest) => void): Promise<DataSubjectRequest> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await requests.amend(read, read.status, changes, events, check);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt === STATUS_MOVES_TOLERATED) throw error;
      const again = await requests.get(read.id);
      if (again.status === read.status) throw error;
      read = again;
    }
  }
}
