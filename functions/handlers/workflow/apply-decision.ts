import { dependencies } from '../../composition.ts';
import { applyDecision } from '../../use-cases/operator.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';

export async function handler(event: unknown): Promise<{ approved: boolean }> {
  const { requestId } = parsePayload(RequestIdPayload, event, 'apply-decision');
  return applyDecision(dependencies(), requestId);
}
