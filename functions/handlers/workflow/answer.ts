import { dependencies } from '../../composition.ts';
import { answerRequest } from '../../use-cases/answer.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';

export async function handler(event: unknown): Promise<void> {
  const { requestId } = parsePayload(RequestIdPayload, event, 'answer');
  await answerRequest(dependencies(), requestId);
}
