import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { PeriodReport } from '../../../functions/domain/report.ts';
import { callRaw, report as reportError, type Io } from './operator.ts';

const USAGE = 'usage: derbes report --from YYYY-MM-DD --to YYYY-MM-DD [--json|--csv] [--svg chart.svg [--lang ru|kk|en]]';

/** The report as an operator reads it in a terminal. */
export function reportLines(report: PeriodReport): string[] {
  const counts = (record: Record<string, number>) => Object.entries(record).filter(([, count]) => count > 0).map(([key, count]) => `${key} ${count}`).join(', ') || 'none';
  const days = report.workingDaysToAnswer;
  return [
    `requests received ${report.from} to ${report.to}: ${report.requests} (counted ${report.countedAt})`,
    `  by type: ${counts(report.byType)}`,
    `  by channel: ${counts(report.byChannel)}`,
    `  answered on time: ${report.answered.onTime}; late: ${report.answered.late}; open: ${report.open.total} (${report.open.overdue} past due)`,
    `  working days to answer: ${days ? `median ${days.median}, 95th percentile ${days.p95}` : 'none answered'}`,
    `  extensions: ${report.extensions}`,
    `  refusals: ${report.refusals.total}${report.refusals.total ? ` (${counts(report.refusals.byBasis)})` : ''}`,
    `  verification abandoned: ${report.verificationAbandoned}`,
    `  closed as not a request: ${report.notARequest}`,
    `  processors told: ${report.processorsTold}`,
  ];
}

/** `derbes report --from … --to …`: the figures of requests received in a period (GET /operator/reports). */
export async function reportCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' }, csv: { type: 'boolean' }, svg: { type: 'string' }, lang: { type: 'string' } },
  });
  if (!values.from || !values.to || (values.json && values.csv)) {
    io.err(USAGE);
    return 2;
  }
  const get = async (format: string) => {
    const query = new URLSearchParams({ from: values.from!, to: values.to!, format, ...(values.lang ? { lang: values.lang } : {}) });
    return callRaw('GET', `/operator/reports?${query}`);
  };
  const response = await get(values.csv ? 'csv' : 'json');
  if (response.status >= 400) return reportError(io, { status: response.status, json: JSON.parse(response.body.toString('utf8')) as Record<string, unknown> }, () => []);
  const text = response.body.toString('utf8');
  if (values.csv) io.out(text.trimEnd());
  else if (values.json) io.out(JSON.stringify(JSON.parse(text), null, 2));
  else reportLines(JSON.parse(text) as PeriodReport).forEach(io.out);
  if (values.svg) {
    const chart = await get('svg');
    if (chart.status >= 400) return reportError(io, { status: chart.status, json: JSON.parse(chart.body.toString('utf8')) as Record<string, unknown> }, () => []);
    writeFileSync(values.svg, chart.body);
    io.err(`chart written to ${values.svg}`);
  }
  return 0;
}
