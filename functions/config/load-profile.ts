import { readFileSync } from 'node:fs';
import { ConfigurationError, toFieldProblems } from '../domain/errors.ts';
import { operatorProfileSchema, type OperatorProfile } from './profile-schema.ts';

/** Parses and validates an operator profile; every bad field is named in one ConfigurationError. */
export function parseProfile(json: unknown, source: string): OperatorProfile {
  const result = operatorProfileSchema().safeParse(json);
  if (!result.success) throw new ConfigurationError(source, toFieldProblems(result.error.issues));
  return result.data;
}

export function loadProfileFile(path: string): OperatorProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`operator profile ${path}`, [{ field: '(file)', message: `cannot be read: ${(error as Error).message}` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`operator profile ${path}`, [{ field: '(file)', message: `is not JSON: ${(error as Error).message}` }]);
  }
  return parseProfile(json, `operator profile ${path}`);
}
