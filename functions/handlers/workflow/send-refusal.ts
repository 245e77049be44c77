import { dependencies } from '../../composition.ts';
import { sendRefusal } from '../../use-cases/workflow-steps.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';

export async function handler(event: unknown): Promise<void> {
  const { requestId } = parsePayload(RequestIdPayload, event, 'send-refusal');
  await sendRefusal(dependencies(), requestId);
}
