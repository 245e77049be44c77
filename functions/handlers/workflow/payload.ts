import * as z from 'zod';
import { ValidationError, toFieldProblems } from '../../domain/errors.ts';

/** Workflow steps validate what Step Functions hands them, so a wiring mistake fails with the field's name. */
export function parsePayload<T extends z.ZodType>(schema: T, event: unknown, step: string): z.infer<T> {
  const result = schema.safeParse(event);
  if (!result.success) throw new ValidationError(toFieldProblems(result.error.issues), `${step} payload`);
  return result.data;
}

export const RequestIdPayload = z.object({ requestId: z.string().min(1) });
