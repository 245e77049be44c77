// Reports per period: the figures a regulator asks for, as a table and as the chart the operator API draws.
import { api } from './api.js';
import { consolePage } from './layout.js';
import { el } from './texts.js';

function period() {
  const query = new URLSearchParams(location.search);
  const today = new Date().toISOString().slice(0, 10);
  return { from: query.get('from') ?? `${today.slice(0, 4)}-01-01`, to: query.get('to') ?? today };
}

function periodForm(texts, { from, to }) {
  return el(
    'form',
    { class: 'search', method: 'get', action: '/console/reports' },
    el('div', {}, el('label', { for: 'from' }, texts.t('reports.from')), el('input', { id: 'from', name: 'from', type: 'date', value: from, required: true })),
    el('div', {}, el('label', { for: 'to' }, texts.t('reports.to')), el('input', { id: 'to', name: 'to', type: 'date', value: to, required: true })),
    el('button', { type: 'submit' }, texts.t('reports.show')),
  );
}

function figures(texts, report) {
  const days = report.workingDaysToAnswer;
  const rows = [
    ['requests', report.requests],
    ['onTime', report.answered.onTime],
    ['late', report.answered.late],
    ['open', `${report.open.total} (${texts.t('reports.overdue')}: ${report.open.overdue})`],
    ['workingDays', days ? `${days.median} / ${days.p95}` : '—'],
    ['extensions', report.extensions],
    ['refusals', report.refusals.total],
    ['abandoned', report.verificationAbandoned],
    ['notARequest', report.notARequest],
    ['processorsTold', report.processorsTold],
  ];
  return el(
    'table',
    {},
    el('caption', {}, texts.t('reports.caption', { from: report.from, to: report.to })),
    el('tbody', {}, rows.map(([key, value]) => el('tr', {}, el('th', { scope: 'row' }, texts.t(`reports.${key}`)), el('td', {}, String(value))))),
  );
}

consolePage('reports', async (main, texts) => {
  const chosen = period();
  const query = `from=${encodeURIComponent(chosen.from)}&to=${encodeURIComponent(chosen.to)}`;
  const [report, chart] = await Promise.all([api(`/reports?${query}`), api(`/reports?${query}&format=svg&lang=${texts.language}`)]);
  document.title = `${texts.t('reports.title')} — ${texts.t('common.title')}`;
  main.replaceChildren(
    el('h1', {}, texts.t('reports.title')),
    periodForm(texts, chosen),
    figures(texts, report),
    el('figure', {}, el('img', { src: URL.createObjectURL(chart), alt: texts.t('reports.chartAlt', { from: report.from, to: report.to }) })),
  );
});
