import { addDays, localDateOf, parseInstant } from './deadlines/local-time.ts';
import { escapeHtml } from './html.ts';
import { CHANNELS, OPEN_STATUSES, STATUS_STANDINGS, type Channel, type DataSubjectRequest, type RequestStatus } from './request.ts';
import { REQUEST_TYPES, type RequestType } from './request-types.ts';

/**
 * What a report per period counts of one request, kept with the request and projected alone into the index by
 * received date: the report reads that index, never the requests themselves, and nothing personal is in it.
 */
export interface ReportFacts {
  id: string;
  types: RequestType[];
  channel: Channel;
  /**
   * The status it closed with, or OPEN while it is open: the report does not tell open statuses apart, so the facts
   * (and the index copy of them) change only when the request closes. Facts kept before hold the open status itself.
   */
  status: RequestStatus | typeof OPEN_IN_REPORT;
  jurisdiction: string;
  receivedAt: string;
  /** The local day of receipt: working days to answer are counted from the day after it, as the term is. */
  receivedLocalDate: string;
  timeZone: string;
  dueAt: string;
  closedAt?: string;
  extended: boolean;
  /** A refusal's basis: the ground's id, or "written" where the operator wrote it out. */
  refusalBasis?: string;
}

export const OPEN_IN_REPORT = 'OPEN';

export function reportFactsOf(request: DataSubjectRequest): ReportFacts {
  const basis = request.decision?.basis;
  const refused = request.status === 'REFUSED';
  return {
    id: request.id,
    types: request.types,
    channel: request.channel,
    status: OPEN_STATUSES.includes(request.status) ? OPEN_IN_REPORT : request.status,
    jurisdiction: request.deadline.rule.jurisdiction,
    receivedAt: request.receivedAt,
    receivedLocalDate: request.deadline.receivedLocalDate,
    timeZone: request.deadline.timeZone,
    dueAt: request.deadline.dueAt,
    ...(request.closedAt && { closedAt: request.closedAt }),
    extended: request.deadline.rule.appliedExtension !== undefined,
    ...(refused && { refusalBasis: basis && typeof basis === 'object' && 'ground' in basis ? basis.ground : 'written' }),
  };
}

/** The figures of one period: requests received from `from` to `to` (UTC days, both included). */
export interface PeriodReport {
  from: string;
  to: string;
  /** When the figures were counted: "open" and "overdue" are as of then. */
  countedAt: string;
  requests: number;
  byType: Record<RequestType, number>;
  byChannel: Record<Channel, number>;
  answered: { onTime: number; late: number };
  open: { total: number; overdue: number };
  /** Closed because the address never confirmed its link: no answer was owed. */
  verificationAbandoned: number;
  /** Closed by an operator as not a request (spam, a general question): neither answered nor refused, and owed nothing. */
  notARequest: number;
  /** Working days from receipt to the answer (the day of receipt not counted, as in the term), over answered requests. */
  workingDaysToAnswer: { median: number; p95: number } | null;
  extensions: number;
  refusals: { total: number; byBasis: Record<string, number> };
  /** Notices delivered to processors and recipients for these requests (from their trails). */
  processorsTold: number;
}

/** The value at or below which `share` of the sorted values lie (nearest rank): a value that occurred, never an average. */
export function nearestRank(sorted: readonly number[], share: number): number {
  return sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)]!;
}

/** Working days after `fromLocalDate` up to and including the local day of `until` (0 when answered on the day of receipt). */
export function workingDaysUntil(fromLocalDate: string, until: string, timeZone: string, isWorkingDay: (localDate: string) => boolean): number {
  const last = localDateOf(parseInstant(until), timeZone);
  let count = 0;
  for (let date = addDays(fromLocalDate, 1); date <= last; date = addDays(date, 1)) {
    if (isWorkingDay(date)) count += 1;
  }
  return count;
}

export function buildReport(
  period: { from: string; to: string },
  facts: readonly ReportFacts[],
  processorsTold: number,
  isWorkingDay: (jurisdiction: string, localDate: string) => boolean,
  now: Date,
): PeriodReport {
  const byType = Object.fromEntries(REQUEST_TYPES.map((type) => [type, 0])) as Record<RequestType, number>;
  const byChannel = Object.fromEntries(CHANNELS.map((channel) => [channel, 0])) as Record<Channel, number>;
  const report: PeriodReport = {
    from: period.from,
    to: period.to,
    countedAt: now.toISOString(),
    requests: facts.length,
    byType,
    byChannel,
    answered: { onTime: 0, late: 0 },
    open: { total: 0, overdue: 0 },
    verificationAbandoned: 0,
    notARequest: 0,
    workingDaysToAnswer: null,
    extensions: 0,
    refusals: { total: 0, byBasis: {} },
    processorsTold,
  };
  const days: number[] = [];
  for (const request of facts) {
    for (const type of request.types) byType[type] += 1;
    byChannel[request.channel] += 1;
    if (request.extended) report.extensions += 1;
    const standing = request.status === OPEN_IN_REPORT ? 'open' : STATUS_STANDINGS[request.status];
    switch (standing) {
      case 'open':
        report.open.total += 1;
        if (now.getTime() > Date.parse(request.dueAt)) report.open.overdue += 1;
        break;
      case 'abandoned':
        report.verificationAbandoned += 1;
        break;
      case 'notARequest':
        report.notARequest += 1;
        break;
      case 'answered':
        if (!request.closedAt) break;
        if (Date.parse(request.closedAt) <= Date.parse(request.dueAt)) report.answered.onTime += 1;
        else report.answered.late += 1;
        days.push(workingDaysUntil(request.receivedLocalDate, request.closedAt, request.timeZone, (date) => isWorkingDay(request.jurisdiction, date)));
        break;
      default:
        standing satisfies never;
    }
    if (request.status === 'REFUSED') {
      report.refusals.total += 1;
      const basis = request.refusalBasis ?? 'written';
      report.refusals.byBasis[basis] = (report.refusals.byBasis[basis] ?? 0) + 1;
    }
  }
  days.sort((a, b) => a - b);
  if (days.length) report.workingDaysToAnswer = { median: nearestRank(days, 0.5), p95: nearestRank(days, 0.95) };
  return report;
}

/** The report as rows of `figure,key,count` (one header row), for a spreadsheet. */
export function reportCsv(report: PeriodReport): string {
  const rows: Array<[string, string, string | number]> = [
    ['period', 'from', report.from],
    ['period', 'to', report.to],
    ['period', 'counted_at', report.countedAt],
    ['requests', 'total', report.requests],
    ...Object.entries(report.byType).map(([type, count]): [string, string, number] => ['by_type', type, count]),
    ...Object.entries(report.byChannel).map(([channel, count]): [string, string, number] => ['by_channel', channel, count]),
    ['answered', 'on_time', report.answered.onTime],
    ['answered', 'late', report.answered.late],
    ['open', 'total', report.open.total],
    ['open', 'overdue', report.open.overdue],
    ['verification', 'abandoned', report.verificationAbandoned],
    ['closed', 'not_a_request', report.notARequest],
    ['working_days_to_answer', 'median', report.workingDaysToAnswer?.median ?? ''],
    ['working_days_to_answer', 'p95', report.workingDaysToAnswer?.p95 ?? ''],
    ['extensions', 'total', report.extensions],
    ['refusals', 'total', report.refusals.total],
    ...Object.entries(report.refusals.byBasis).map(([basis, count]): [string, string, number] => ['refusals_by_basis', basis, count]),
    ['processors_told', 'total', report.processorsTold],
  ];
  const cell = (value: string | number) => (/[",\n]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value));
  return `${['figure,key,count', ...rows.map((row) => row.map(cell).join(','))].join('\n')}\n`;
}

/** The chart's words in one language (rules/messages, section `evidence.report`, filled by the caller). */
export interface ChartTexts {
  title: string;
  description: string;
  byType: string;
  outcomes: string;
  typeName: (type: RequestType) => string;
  onTime: string;
  late: string;
  open: string;
  abandoned: string;
  notARequest: string;
}

const BAR_HEIGHT = 18;
const ROW = 24;
const LABEL_WIDTH = 260;
const CHART_WIDTH = 640;

/**
 * The figures as a small horizontal bar chart, for the console: SVG drawn on the server (text escaped as in HTML,
 * which XML reads the same), with a title and a
 * description that say the same as the bars (role="img", aria-labelledby), so a screen reader reads the figures.
 */
export function reportSvg(report: PeriodReport, texts: ChartTexts): string {
  const groups: Array<{ heading: string; bars: Array<{ label: string; value: number }> }> = [
    { heading: texts.byType, bars: REQUEST_TYPES.map((type) => ({ label: texts.typeName(type), value: report.byType[type] })) },
    {
      heading: texts.outcomes,
      bars: [
        { label: texts.onTime, value: report.answered.onTime },
        { label: texts.late, value: report.answered.late },
        { label: texts.open, value: report.open.total },
        { label: texts.abandoned, value: report.verificationAbandoned },
        { label: texts.notARequest, value: report.notARequest },
      ],
    },
  ];
  const largest = Math.max(1, ...groups.flatMap((group) => group.bars.map((bar) => bar.value)));
  const scale = (CHART_WIDTH - LABEL_WIDTH - 60) / largest;
  const parts: string[] = [];
  let y = 40;
  for (const group of groups) {
    parts.push(`<text x="0" y="${y}" font-weight="bold">${escapeHtml(group.heading)}</text>`);
    y += 10;
    for (const bar of group.bars) {
      const width = Math.round(bar.value * scale);
      parts.push(
        `<text x="0" y="${y + 14}">${escapeHtml(bar.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${width}" height="${BAR_HEIGHT}" fill="#2f6f8f"/>`,
        `<text x="${LABEL_WIDTH + width + 6}" y="${y + 14}">${bar.value}</text>`,
      );
      y += ROW;
    }
    y += 16;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${y}" viewBox="0 0 ${CHART_WIDTH} ${y}" role="img" aria-labelledby="report-title report-desc" font-family="DejaVu Sans, sans-serif" font-size="13">`,
    `<title id="report-title">${escapeHtml(texts.title)}</title>`,
    `<desc id="report-desc">${escapeHtml(texts.description)}</desc>`,
    `<text x="0" y="16" font-size="15" font-weight="bold">${escapeHtml(texts.title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

