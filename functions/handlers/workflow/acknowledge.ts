import { dependencies } from '../../composition.ts';
import type { ExecutionStart } from '../../use-cases/ports.ts';
import { acknowledge } from '../../use-cases/verification.ts';
import { parsePayload, requestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

/**
 * The Acknowledge step of executions started before every execution began at the wait for verification (see the
 * stack, where the function is kept): it can go once none of those runs.
 */
export const handler = reportingErrors('acknowledge', async (event: unknown): Promise<ExecutionStart> => {
  const { requestId } = parsePayload(requestIdPayload, event, 'acknowledge');
  return acknowledge(await dependencies(), requestId);
});
