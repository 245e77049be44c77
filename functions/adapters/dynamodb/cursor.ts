import { ConflictError } from '../../domain/errors.ts';

/** A DynamoDB page position handed to a caller as an opaque string, and back. */
export const cursorOf = (key: Record<string, unknown> | undefined): string | undefined => (key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined);

/** The key a cursor stands for; a cursor that is not one of ours is a ConflictError saying `problem`. */
export function keyOfCursor(cursor: string | undefined, problem: string): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ConflictError(problem);
  }
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw new ConflictError(problem);
  return key as Record<string, unknown>;
}
