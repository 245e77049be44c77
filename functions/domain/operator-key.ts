import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from './schema.ts';
import { onFirstUse } from './on-first-use.ts';
import { ConfigurationError } from './errors.ts';

/** Shorter keys could be guessed; the stack generates 48 characters, the local runtime 43. */
const MIN_KEY_LENGTH = 24;
const keySet = onFirstUse(() => {
  const keyId = z.string().check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, 'a key id: letters, digits, . _ -'));
  return z.strictObject({ keys: z.record(keyId, z.string().check(z.minLength(MIN_KEY_LENGTH))).check(z.refine((keys) => Object.keys(keys).length > 0, 'at least one key')) });
});

/** The id a single key goes by: a short fingerprint, which names the key in the audit trail without revealing it. */
export function keyFingerprint(key: string): string {
  return `key-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/**
 * The operator API keys the secret holds: one key (its id is its fingerprint), or, to rotate without a gap,
 * `{"keys": {"<id>": "<key>", …}}` with the old and the new key side by side.
 */
export function operatorKeys(secretValue: string): Map<string, string> {
  const value = secretValue.trim();
  if (!value.startsWith('{')) {
    if (value.length < MIN_KEY_LENGTH) throw new ConfigurationError('operator key secret', [{ field: 'value', message: `a key needs at least ${MIN_KEY_LENGTH} characters` }]);
    return new Map([[keyFingerprint(value), value]]);
  }
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new ConfigurationError('operator key secret', [{ field: 'value', message: 'starts with { but is not JSON' }]);
  }
  const parsed = keySet().safeParse(json);
  if (!parsed.success) throw new ConfigurationError('operator key secret', parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'value', message: i.message })));
  return new Map(Object.entries(parsed.data.keys));
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The id of the key presented, or undefined; every key is compared, each in constant time. */
export function matchOperatorKey(presented: string, keys: ReadonlyMap<string, string>): string | undefined {
  let matched: string | undefined;
  for (const [id, key] of keys) if (timingSafeEqual(digest(presented), digest(key))) matched ??= id;
  return matched;
}
