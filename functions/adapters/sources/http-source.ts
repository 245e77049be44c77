import * as z from '../../domain/schema.ts';
import type { DataSource } from '../../config/profile-schema.ts';
import { DependencyError, toFieldProblems } from '../../domain/errors.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';
import type { DataSourceConnector, SourceOutcome, Subject } from '../../use-cases/ports.ts';
import { permittedChanges } from './source-rules.ts';
import { DEFAULT_RETRY_POLICY, postSigned, type RetryPolicy } from '../http/signed-post.ts';

export type HttpSource = Extract<DataSource, { kind: 'http' }>;
type Operation = 'find' | 'rectify' | 'block' | 'unblock' | 'erase' | 'erase-fields' | 'withdraw-consent';

const findAnswer = onFirstUse(() => z.object({ records: z.array(z.record(z.string(), z.unknown())) }));
const changeAnswer = onFirstUse(() =>
  z.discriminatedUnion('status', [
    z.object({ status: z.literal('done'), affected: z.number().check(z.int(), z.nonnegative()) }),
    z.object({ status: z.literal('kept'), basis: z.string().check(z.minLength(1)) }),
  ]),
);

/**
 * One signed POST to the company's service at <url>/<path>, its JSON answer checked against `answer`. A failure names
 * the source, the call and the kind of problem — never the answer itself, which may hold personal data.
 */
export async function callService<T>(source: HttpSource, path: string, payload: unknown, answer: z.ZodMiniType<T>, secret: string, retry: RetryPolicy = DEFAULT_RETRY_POLICY): Promise<T> {
  const url = `${source.url.replace(/\/+$/, '')}/${path}`;
  const result = await postSigned(url, payload, secret, retry);
  const failed = (what: string) => new DependencyError(`source ${source.id}: ${path} ${what}`);
  if (!result.ok) throw failed(`failed after ${result.attempts} attempt(s): ${result.error}`);
  let body: unknown;
  try {
    body = JSON.parse(result.body);
  } catch {
    throw failed('answered with something that is not JSON');
  }
  const parsed = answer.safeParse(body);
  if (!parsed.success) throw failed(`answered unexpectedly: ${toFieldProblems(parsed.error.issues).map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * The company's own service, which knows how to find, change, block and erase a person's data in its
 * systems. Each call is a signed POST; the service checks the signature with `verifySignature`. Each call names the
 * request it is made for (`requestId`): a call repeated after a lost answer should be answered as the first one was.
 */
export class HttpSourceConnector implements DataSourceConnector {
  constructor(
    private readonly source: HttpSource,
    /** The HMAC key named by the source's secretName. */
    private readonly secret: () => Promise<string>,
    private readonly retry: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {}

  private async call<T>(operation: Operation, subject: Subject, answer: z.ZodMiniType<T>, extra: { changes?: Record<string, string>; attributes?: string[]; fields?: string[] } = {}): Promise<T> {
    const payload = { subject: { email: subject.email }, ...(subject.requestId ? { requestId: subject.requestId } : {}), ...extra };
    return callService(this.source, operation, payload, answer, await this.secret(), this.retry);
  }

  async find(subject: Subject): Promise<Array<Record<string, unknown>>> {
    return (await this.call('find', subject, findAnswer())).records;
  }

  rectify(subject: Subject, changes: Record<string, string>): Promise<SourceOutcome> {
    const permitted = permittedChanges(this.source, changes);
    if (!Object.keys(permitted).length) return Promise.resolve({ status: 'done', affected: 0 });
    return this.call('rectify', subject, changeAnswer(), { changes: permitted });
  }

  block(subject: Subject): Promise<SourceOutcome> {
    return this.call('block', subject, changeAnswer());
  }

  unblock(subject: Subject): Promise<SourceOutcome> {
    return this.call('unblock', subject, changeAnswer());
  }

  erase(subject: Subject): Promise<SourceOutcome> {
    return this.call('erase', subject, changeAnswer());
  }

  /**
   * A call of its own, not `erase` with the fields added: a service written before limited erasures would read such
   * an `erase` as the whole erasure and destroy everything. One that does not know this call fails it (an HTTP
   * error), the step stops with the operator, and nothing is destroyed that the person wanted kept.
   */
  eraseFields(subject: Subject, fields: string[]): Promise<SourceOutcome> {
    return this.call('erase-fields', subject, changeAnswer(), { fields });
  }

  withdrawConsent(subject: Subject, attributes: string[]): Promise<SourceOutcome> {
    return this.call('withdraw-consent', subject, changeAnswer(), { attributes });
  }
}
