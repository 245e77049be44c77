import { parseArgs } from 'node:util';
import type { ChainCheck } from '../../../functions/domain/audit-chain.ts';
import { call, report, type Io } from './operator.ts';

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

const USAGE = 'usage: derbes evidence verify DRB-…|BRC-…|--all [--json]';

/** `derbes evidence verify DRB-…|--all`: the audit trails' hash chains recomputed; non-zero if any is broken. */
export async function evidenceCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { all: { type: 'boolean' }, json: { type: 'boolean' } } });
  const [action, reference] = positionals;
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
