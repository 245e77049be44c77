import * as z from '../../domain/schema.ts';
import { ValidationError, toFieldProblems } from '../../domain/errors.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';

/**
 * Workflow steps validate what Step Functions hands them, so a wiring mistake fails with the field's name. The schema
 * comes as onFirstUse makes it: built on the first call, not at init.
 */
export function parsePayload<T extends z.ZodMiniType>(schema: () => T, event: unknown, step: string): z.infer<T> {
  const result = schema().safeParse(event);
  if (!result.success) throw new ValidationError(toFieldProblems(result.error.issues), `${step} payload`);
  return result.data;
}

export const requestIdPayload = onFirstUse(() => z.object({ requestId: z.string().check(z.minLength(1)) }));
