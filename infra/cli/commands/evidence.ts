import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ChainCheck } from '../../../functions/domain/audit-chain.ts';
import { call, callRaw, report, type Io } from './operator.ts';

const PROBLEMS: Record<string, string> = {
  changed: 'changed (its hash does not match its content)',
  missing: 'missing (removed from the trail)',
  out_of_order: 'out of order (it does not follow the event before it)',
  missing_at_end: 'missing (the last events were removed)',
  differs_from_digest: 'differs from what the daily digest recorded',
  no_head: 'the chain head is missing',
};

/** One line per trail: "verified: N events, anchored <date>", or the first broken event named. */
export function describeCheck(check: ChainCheck): string {
  if (check.verified) {
    const anchored = check.anchor ? `anchored ${check.anchor.day}` : 'not yet anchored (no daily digest covers it yet)';
    return `${check.trail}: verified: ${check.events} events, ${anchored}`;
  }
  const { seq, at, type, problem } = check.broken;
  return `${check.trail}: BROKEN at event ${seq}${type ? ` (${type}, ${at})` : ''}: ${PROBLEMS[problem] ?? problem}`;
}

const USAGE = `usage: derbes evidence verify DRB-…|BRC-…|--all [--json]
       derbes evidence pack DRB-… --out file.pdf [--lang ru|kk|en]   (--out - prints the pack as text)`;

/**
 * `derbes evidence pack DRB-… --out file.pdf`: the request's evidence pack as a PDF (or, with `--out -`, as text),
 * in the operator's language unless --lang names another.
 */
async function packCommand(reference: string, values: { out?: string; lang?: string }, io: Io): Promise<number> {
  const query = new URLSearchParams({ format: values.out === '-' ? 'text' : 'pdf', ...(values.lang ? { lang: values.lang } : {}) });
  const response = await callRaw('GET', `/operator/requests/${encodeURIComponent(reference)}/evidence?${query}`);
  if (response.status >= 400) return report(io, { status: response.status, json: JSON.parse(response.body.toString('utf8')) as Record<string, unknown> }, () => []);
  if (values.out === '-') {
    io.out(response.body.toString('utf8'));
    return 0;
  }
  writeFileSync(values.out!, response.body);
  io.out(`written ${values.out} (sha256 ${response.headers.get('x-derbes-sha256')})`);
  return 0;
}

/**
 * `derbes evidence verify DRB-…|--all`: the audit trails' hash chains recomputed; non-zero if any is broken.
 * `derbes evidence pack DRB-… --out file.pdf`: a request's evidence pack.
 */
export async function evidenceCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { all: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' }, lang: { type: 'string' } },
  });
  const [action, reference] = positionals;
  if (action === 'pack') {
    if (!reference || !values.out || values.all) {
      io.err(USAGE);
      return 2;
    }
    return packCommand(reference, values, io);
  }
  if (action !== 'verify' || (!reference && !values.all) || (reference && values.all)) {
    io.err(USAGE);
    return 2;
  }
  const checks: ChainCheck[] = [];
  if (reference) {
    const result = await call('GET', `/operator/evidence/chains/${encodeURIComponent(reference)}`);
    if (result.status >= 400) return report(io, result, () => []);
    checks.push(result.json as unknown as ChainCheck);
  } else {
    let cursor: string | undefined;
    do {
      const result = await call('GET', `/operator/evidence/chains${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (result.status >= 400) return report(io, result, () => []);
      const page = result.json as { checks: ChainCheck[]; cursor?: string };
      checks.push(...page.checks);
      cursor = page.cursor;
    } while (cursor);
  }
  const broken = checks.filter((check) => !check.verified);
  if (values.json) io.out(JSON.stringify({ checks }, null, 2));
  else {
    // With --all, the verified trails are summed up; each broken one is named.
    if (reference) io.out(describeCheck(checks[0]!));
    else {
      broken.forEach((check) => io.out(describeCheck(check)));
      const events = checks.reduce((sum, check) => sum + check.events, 0);
      const anchored = checks.flatMap((check) => (check.verified && check.anchor ? [check.anchor.day] : [])).sort();
      const anchoring = anchored.length ? `; ${anchored.length} anchored by a daily digest (the latest ${anchored.at(-1)})` : '; none anchored yet';
      io.out(`${broken.length ? `${broken.length} of ${checks.length} trails BROKEN` : `verified: ${checks.length} trails`}, ${events} events${anchoring}`);
    }
  }
  return broken.length ? 1 : 0;
}
