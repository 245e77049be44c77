import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ChainCheck } from '../../../functions/domain/audit-chain.ts';
import type { DigestChainCheck } from '../../../functions/use-cases/evidence.ts';
import { call, callRaw, positionalsUpTo, report, type Io } from './operator.ts';

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
  // Events from before the chain are said apart: nothing proves them, and nothing is made to look as if it did.
  const unchained = check.unchained ? `; ${check.unchained.events} earlier events unchained, written before ${check.unchained.lastAt.slice(0, 10)} (before trails were chained)` : '';
  if (check.verified) {
    const anchored = check.anchor ? `anchored ${check.anchor.day}` : 'not yet anchored (no daily digest covers it yet)';
    return `${check.trail}: verified: ${check.events} events, ${anchored}${unchained}`;
  }
  const { seq, at, type, problem } = check.broken;
  return `${check.trail}: BROKEN at event ${seq}${type ? ` (${type}, ${at})` : ''}: ${PROBLEMS[problem] ?? problem}${unchained}`;
}

/** The daily digests' own chain, one line; the trails it found that the heads index lost are checked apart. */
export function describeDigests(check: DigestChainCheck): string {
  if (check.broken) return `daily digests: BROKEN at ${check.broken.key}: ${check.broken.problem === 'missing' ? 'it is gone from the bucket' : 'its bytes are not those the next digest names, or its Merkle root does not match its heads'}`;
  if (!check.digests) return 'daily digests: none written yet';
  return `daily digests: ${check.digests} chained, each naming the one before by its SHA-256; the latest ${check.latest!.day}`;
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
  const given = positionalsUpTo(positionals, 2, io, USAGE);
  if (!given) return 2;
  const [action, reference] = given;
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
  // --all also walks the digests' chain: a trail whose head item was deleted is not in the heads index, but a digest listed it.
  let digests: DigestChainCheck | undefined;
  if (values.all) {
    const result = await call('GET', '/operator/evidence/digests');
    if (result.status >= 400) return report(io, result, () => []);
    digests = result.json as unknown as DigestChainCheck;
    checks.push(...digests.unlisted);
  }
  const broken = checks.filter((check) => !check.verified);
  if (values.json) io.out(JSON.stringify({ checks, ...(digests && { digests }) }, null, 2));
  else {
    // With --all, the verified trails are summed up; each broken one is named.
    if (reference) io.out(describeCheck(checks[0]!));
    else {
      broken.forEach((check) => io.out(describeCheck(check)));
      const events = checks.reduce((sum, check) => sum + check.events, 0);
      const anchored = checks.flatMap((check) => (check.verified && check.anchor ? [check.anchor.day] : [])).sort();
      const anchoring = anchored.length ? `; ${anchored.length} anchored by a daily digest (the latest ${anchored.at(-1)})` : '; none anchored yet';
      io.out(`${broken.length ? `${broken.length} of ${checks.length} trails BROKEN` : `verified: ${checks.length} trails`}, ${events} events${anchoring}`);
      if (digests) io.out(describeDigests(digests));
    }
  }
  return broken.length || digests?.broken ? 1 : 0;
}
