// The inbox: open requests by due date, a filter with its count for each kind of work, and a search by reference
// or address.
import { api } from './api.js';
import { consolePage } from './layout.js';
import { el } from './texts.js';

const FILTERS = ['overdue', 'atRisk', 'needsDecision', 'needsClassification', 'failure', 'newReply'];

function searchForm(texts, q) {
  return el(
    'form',
    { class: 'search', role: 'search', method: 'get', action: '/console' },
    el('div', {}, el('label', { for: 'q' }, texts.t('inbox.searchLabel')), el('input', { id: 'q', name: 'q', type: 'search', value: q ?? '', maxlength: 254, 'aria-describedby': 'q-hint' })),
    el('button', { type: 'submit' }, texts.t('inbox.searchButton')),
    el('p', { id: 'q-hint' }, texts.t('inbox.searchHint')),
  );
}

function filterLinks(texts, counts, active) {
  const link = (href, label, count, current) => el('li', {}, el('a', { href, 'aria-current': current ? 'page' : undefined }, `${label} (${count})`));
  return el(
    'nav',
    { class: 'filters', 'aria-label': texts.t('inbox.filtersLabel') },
    el('ul', {}, link('/console', texts.t('inbox.all'), counts.open, !active), FILTERS.map((f) => link(`/console?filter=${f}`, texts.t(`filters.${f}`), counts[f], active === f))),
  );
}

function table(texts, requests, caption) {
  if (!requests.length) return el('p', {}, texts.t('inbox.empty'));
  const head = ['reference', 'types', 'status', 'who', 'received', 'due', 'flags'].map((c) => el('th', { scope: 'col' }, texts.t(`inbox.${c}`)));
  const rows = requests.map((r) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, el('a', { href: `/console/request?ref=${encodeURIComponent(r.reference)}` }, r.reference)),
      el('td', {}, r.types.length ? r.types.map((type) => texts.t(`types.${type}`)).join(', ') : texts.t('inbox.unclassified')),
      el('td', {}, texts.t(`statuses.${r.status}`)),
      el('td', {}, r.name ? `${r.name} <${r.email}>` : r.email, el('br'), texts.t(`channels.${r.channel}`)),
      el('td', {}, texts.date(r.receivedAt, r.timeZone)),
      el('td', {}, texts.dateTime(r.dueAt, r.timeZone)),
      el('td', {}, r.flags.map((f) => el('span', { class: `flag ${f}` }, texts.t(`filters.${f}`)))),
    ),
  );
  return el('table', {}, el('caption', {}, caption), el('thead', {}, el('tr', {}, head)), el('tbody', {}, rows));
}

consolePage('inbox', async (main, texts) => {
  const params = new URLSearchParams(location.search);
  const q = params.get('q')?.trim() || undefined;
  const filter = FILTERS.includes(params.get('filter')) ? params.get('filter') : undefined;
  const query = new URLSearchParams({ ...(q ? { q } : {}), ...(filter ? { filter } : {}) });
  const inbox = await api(`/inbox${query.size ? `?${query}` : ''}`);
  document.title = `${texts.t('inbox.title')} — ${texts.t('common.title')}`;
  main.replaceChildren(
    el('h1', {}, texts.t('inbox.title')),
    searchForm(texts, q),
    filterLinks(texts, inbox.counts, q ? undefined : filter),
    q ? el('p', {}, el('a', { href: '/console' }, texts.t('inbox.clearSearch'))) : '',
    table(texts, inbox.requests, q ? texts.t('inbox.searchResults', { q }) : filter ? texts.t(`filters.${filter}`) : texts.t('inbox.caption')),
  );
});
