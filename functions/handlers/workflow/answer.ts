import { dependencies } from '../../composition.ts';
import { notifyAndAnswer } from '../../use-cases/answer.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

export const handler = reportingErrors('answer', async (event: unknown): Promise<void> => {
  const { requestId } = parsePayload(RequestIdPayload, event, 'answer');
  await notifyAndAnswer(await dependencies(), requestId);
});
