// The inbox: open requests by due date, a filter with its count for each kind of work, and a search by reference
// or address.
import { api } from './api.js';
import { consolePage } from './layout.js';
import { el, personText } from './texts.js';

const FILTERS = ['overdue', 'atRisk', 'needsDecision', 'needsClassification', 'failure', 'newReply'];
/** As the API pages the inbox (INBOX_PAGE_SIZE). */
const PAGE_SIZE = 100;

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
    el('ul', {}, link('/console', texts.t('inbox.all'), counts.all, !active), FILTERS.map((f) => link(`/console?filter=${f}`, texts.t(`filters.${f}`), counts[f], active === f))),
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
      el('td', {}, r.name ? [personText(r.name), ` <${r.email}>`] : r.email, el('br'), texts.t(`channels.${r.channel}`)),
      el('td', {}, texts.date(r.receivedAt, r.timeZone)),
      el('td', {}, texts.dateTime(r.dueAt, r.timeZone)),
      el('td', {}, r.flags.map((f) => el('span', { class: `flag ${f}` }, texts.t(`filters.${f}`)))),
    ),
  );
  return el('table', {}, el('caption', {}, caption), el('thead', {}, el('tr', {}, head)), el('tbody', {}, rows));
}

/** Where this list stands among its pages ("101–200 of 250"), with the way to the pages before and after. */
function pager(texts, inbox, query) {
  if (inbox.pages <= 1) return '';
  const first = (inbox.page - 1) * PAGE_SIZE + 1;
  const at = (page) => `/console?${new URLSearchParams({ ...Object.fromEntries(query), page: String(page) })}`;
  return el(
    'nav',
    { class: 'pager', 'aria-label': texts.t('inbox.pagesLabel') },
    el('p', {}, texts.t('inbox.showing', { from: first, to: first + inbox.requests.length - 1, total: inbox.total })),
    el(
      'ul',
      {},
      inbox.page > 1 ? el('li', {}, el('a', { href: at(inbox.page - 1), rel: 'prev' }, texts.t('inbox.previous'))) : '',
      inbox.page < inbox.pages ? el('li', {}, el('a', { href: at(inbox.page + 1), rel: 'next' }, texts.t('inbox.next'))) : '',
    ),
  );
}

consolePage('inbox', async (main, texts) => {
  const params = new URLSearchParams(location.search);
  const q = params.get('q')?.trim() || undefined;
  const filter = FILTERS.includes(params.get('filter')) ? params.get('filter') : undefined;
  const page = /^[1-9]\d{0,4}$/.test(params.get('page') ?? '') ? params.get('page') : undefined;
  const query = new URLSearchParams({ ...(q ? { q } : {}), ...(filter ? { filter } : {}) });
  const inbox = await api(`/inbox?${new URLSearchParams({ ...Object.fromEntries(query), ...(page ? { page } : {}) })}`);
  document.title = `${texts.t('inbox.title')} — ${texts.t('common.title')}`;
  main.replaceChildren(
    el('h1', {}, texts.t('inbox.title')),
    searchForm(texts, q),
    filterLinks(texts, inbox.counts, q ? undefined : filter),
    el('p', { class: 'held-count' }, el('a', { href: '/console/held-mail' }, texts.t('inbox.heldMail', { count: inbox.heldMail }))),
    q ? el('p', {}, el('a', { href: '/console' }, texts.t('inbox.clearSearch'))) : '',
    pager(texts, inbox, query),
    table(texts, inbox.requests, q ? texts.t('inbox.searchResults', { q }) : filter ? texts.t(`filters.${filter}`) : texts.t('inbox.caption')),
    pager(texts, inbox, query),
  );
});
