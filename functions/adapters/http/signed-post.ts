import { setTimeout as sleep } from 'node:timers/promises';
import { SIGNATURE_HEADER, sign } from '../../domain/signing.ts';

/** How hard one signed call tries: attempts in all, the first back-off delay, and the time-out of each attempt. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 3, baseDelayMs: 200, timeoutMs: 10_000 };

/** `signature`: the signature header the last attempt carried (the evidence of what was sent, and by whom). */
export type SignedPostResult =
  | { ok: true; status: number; body: string; attempts: number; signature: string }
  | { ok: false; status?: number; error: string; attempts: number; signature?: string };

/** Server trouble and rate limiting may pass; any other refusal will not change on a retry. */
function isRetryable(status: number): boolean {
  return status >= 500 || status === 429;
}

/** Exponential, with half of each delay random so many callers retrying at once spread out. */
function backoffDelay(retry: number, baseDelayMs: number): number {
  const delay = baseDelayMs * 2 ** (retry - 1);
  return delay / 2 + Math.random() * (delay / 2);
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  // fetch reports a refused or reset connection as TypeError('fetch failed') with the system error as cause.
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  return `network error: ${cause?.code ?? (error as Error).message}`;
}

/**
 * POSTs a JSON body signed with `secret` (see domain/signing.ts), retrying network errors, 5xx and 429
 * with back-off. Each attempt is signed afresh, so a late retry is not refused as stale. Never throws
 * for the receiver's failure: the caller decides whether that is an error or a result to record.
 */
export async function postSigned(url: string, payload: unknown, secret: string, policy: RetryPolicy = DEFAULT_RETRY_POLICY): Promise<SignedPostResult> {
  const body = JSON.stringify(payload);
  let failure: SignedPostResult = { ok: false, error: 'not attempted', attempts: 0 };
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    if (attempt > 1) await sleep(backoffDelay(attempt - 1, policy.baseDelayMs));
    const signature = sign(body, secret, new Date());
    try {
      const signal = AbortSignal.timeout(policy.timeoutMs);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
        body,
        signal,
        // The body names a person: it goes to the configured address only, never where a redirect points.
        redirect: 'manual',
      });
      const text = await response.text();
      if (response.ok) return { ok: true, status: response.status, body: text, attempts: attempt, signature };
      failure = { ok: false, status: response.status, error: `answered HTTP ${response.status}`, attempts: attempt, signature };
      if (!isRetryable(response.status)) return failure;
    } catch (error) {
      failure = { ok: false, error: describeFailure(error, policy.timeoutMs), attempts: attempt, signature };
    }
  }
  return failure;
}
