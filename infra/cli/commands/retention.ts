import { parseArgs } from 'node:util';
import { call, positionalsUpTo, report, type Io } from './operator.ts';

const RETENTION_USAGE = 'usage: derbes retention plan [<source>] [--json] | approve <source> | hold DRB-… --basis "…" | release DRB-…';

interface RuleRow {
  source: string;
  keepFor: { amount: number; unit: string };
  from: string;
  cutoff: string;
  erasure: string;
  approved: boolean;
  lastPassFinishedAt?: string;
}

interface Plan {
  basis: string;
  expired: number;
  held: Record<string, number>;
}

/** Walks one rule's dry run to the end of the source, chunk after chunk; each chunk is a few pages on the server. */
async function fullPlan(io: Io, source: string): Promise<Plan | undefined> {
  const plan: Plan = { basis: '', expired: 0, held: {} };
  let cursor: string | undefined;
  do {
    const result = await call('POST', `/operator/retention/${encodeURIComponent(source)}/plan`, cursor ? { cursor } : {});
    if (result.status >= 400) {
      report(io, result, () => []);
      return undefined;
    }
    const chunk = result.json as { basis: string; expired: number; held: Record<string, number>; cursor?: string };
    plan.basis = chunk.basis;
    plan.expired += chunk.expired;
    for (const [hold, count] of Object.entries(chunk.held)) plan.held[hold] = (plan.held[hold] ?? 0) + count;
    cursor = chunk.cursor;
  } while (cursor);
  return plan;
}

function describe(rule: RuleRow, plan: Plan): string[] {
  const action = rule.erasure === 'delete' ? 'deleted' : 'anonymised';
  return [
    `${rule.source}: kept ${rule.keepFor.amount} ${rule.keepFor.unit} from ${rule.from} — records before ${rule.cutoff}  [${rule.approved ? 'approved' : 'AWAITS APPROVAL: derbes retention approve ' + rule.source}]`,
    `  basis: ${plan.basis}`,
    `  would be ${action}: ${plan.expired}`,
    ...Object.entries(plan.held).map(([hold, count]) => `  kept by legal hold: ${count} — ${hold}`),
  ];
}

/**
 * `derbes retention plan | approve <source> | hold DRB-… --basis … | release DRB-…`: what the purge would erase, by
 * source and count; approving a rule; keeping one request's own records past their term, or no longer.
 */
export async function retentionCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, basis: { type: 'string' } } });
  const given = positionalsUpTo(positionals, 2, io, RETENTION_USAGE);
  if (!given) return 2;
  const [action = 'plan', source] = given;
  if ((action === 'hold' || action === 'release') && source) {
    if (action === 'hold' && !values.basis) {
      io.err('usage: derbes retention hold DRB-… --basis "what keeps it (a case number, an inspection)"');
      return 2;
    }
    const result = await call('POST', `/operator/requests/${encodeURIComponent(source)}/legal-hold`, { basis: action === 'hold' ? values.basis : null });
    return report(io, result, () => [action === 'hold' ? `${source}: kept past derbes' own term — ${values.basis}` : `${source}: hold lifted; the next pass anonymises it if its term has passed`]);
  }
  const listed = await call('GET', '/operator/retention');
  if (listed.status >= 400) return report(io, listed, () => []);
  const rules = listed.json.rules as RuleRow[];
  if (action === 'plan') {
    const plans: Array<RuleRow & Plan> = [];
    for (const rule of rules.filter((r) => !source || r.source === source)) {
      const plan = await fullPlan(io, rule.source);
      if (!plan) return 1;
      plans.push({ ...rule, ...plan });
    }
    if (values.json) io.out(JSON.stringify({ rules: plans }, null, 2));
    else if (!plans.length) io.out('no retention rules in the profile (retentionSchedule.sources)');
    else plans.forEach((plan) => describe(plan, plan).forEach((line) => io.out(line)));
    return 0;
  }
  if (action === 'approve' && source) {
    const rule = rules.find((r) => r.source === source);
    if (!rule) {
      io.err(`no retention rule for '${source}' (rules: ${rules.map((r) => r.source).join(', ')})`);
      return 1;
    }
    const plan = await fullPlan(io, source);
    if (!plan) return 1;
    describe(rule, plan).forEach((line) => io.out(line));
    return report(io, await call('POST', `/operator/retention/${encodeURIComponent(source)}/approval`, { expired: plan.expired, held: plan.held }), () => [
      `approved: the scheduled purge erases these from its next run`,
    ]);
  }
  io.err(RETENTION_USAGE);
  return 2;
}
