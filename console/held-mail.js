// Mail intake held — no check vouched for its sender, or it came past the mail limits (a reply to a request past the
// reply limits too) — the latest first: what to judge each by, the whole mail to download, and (for a decider) making
// it a request, or joining a reply to its request, or dismissing it.
import { api, ApiError } from './api.js';
import { consolePage, downloadButton, mayAct, problemBox } from './layout.js';
import { el, personText } from './texts.js';

/** The checks shown for each mail, as SES names them in its verdicts. */
const CHECKS = ['spf', 'dkim', 'dmarc'];
/** As the API pages the list (HELD_MAIL_PAGE_SIZE). */
const PAGE_SIZE = 100;

/** A size in bytes as people read it: kilobytes below a megabyte, megabytes above. */
function size(texts, bytes) {
  const megabytes = bytes >= 1024 * 1024;
  const format = new Intl.NumberFormat(texts.language, { style: 'unit', unit: megabytes ? 'megabyte' : 'kilobyte', maximumFractionDigits: 1 });
  return format.format(megabytes ? bytes / (1024 * 1024) : Math.max(0.1, bytes / 1024));
}

/**
 * Each check SES made on the mail, in words: which passed (for which domain), which failed, which had no answer.
 * Mail held because no check vouched for its sender, and not disowned by DMARC, had SPF pass for another domain than
 * the sender's: said so, beside the domain it was for, so "passed" does not read as vouching for the sender.
 */
function checks(texts, mail) {
  const { verdicts, passedFor = {} } = mail;
  const notTheSenders = mail.reason === 'unauthenticated' && verdicts.dmarc !== 'FAIL';
  const domain = mail.sender.slice(mail.sender.lastIndexOf('@') + 1);
  const line = (check) => {
    const values = { check: check.toUpperCase(), domain, domains: (passedFor[check] ?? []).join(', ') };
    // SPF's pass names its domain (the envelope sender SES checked); a signature's never does: the receipt does not say whose.
    if (verdicts[check] === 'PASS' && check === 'spf') {
      if (notTheSenders) return texts.t(values.domains ? 'heldMail.checkPassedForOther' : 'heldMail.checkPassedNotSenders', values);
      if (values.domains) return texts.t('heldMail.checkPassedFor', values);
    }
    return texts.t('heldMail.check', { check: values.check, verdict: texts.maybe(`heldMail.verdict${verdicts[check]}`, {}, verdicts[check]) });
  };
  return el('ul', { class: 'checks' }, CHECKS.map((check) => el('li', {}, line(check))));
}

/** What the operator may do with one mail: make it a request (join a reply to its request), or dismiss it; each says which mail it acts on. */
function actionsFor(texts, mail, row, act) {
  const described = { 'aria-describedby': `${row}-from ${row}-subject` };
  return [
    el('button', { type: 'button', ...described, onclick: () => act(mail, 'admission') }, mail.reply ? texts.t('heldMail.join') : texts.t('heldMail.admit')),
    ' ',
    el('button', { type: 'button', class: 'secondary', ...described, onclick: () => act(mail, 'dismissal') }, texts.t('heldMail.dismiss')),
  ];
}

/** A link to a request's page, named by its reference. */
const requestLink = (reference) => el('a', { href: `/console/request?ref=${encodeURIComponent(reference)}` }, reference);

/** Why it was held, in words; for a reply, the request it names and what it joins that request as. */
function reasonFor(texts, mail) {
  if (!mail.reply) return texts.t(`heldMail.reason_${mail.reason}`);
  return [
    el('p', {}, texts.t(`heldMail.reason_reply_${mail.reason}`)),
    el('p', {}, texts.t('heldMail.replyTo'), ' ', requestLink(mail.reply.reference)),
    el('p', { class: 'hint' }, mail.reply.fromThePerson ? texts.t('heldMail.replyFromPerson') : texts.t('heldMail.replyFromOther')),
  ];
}

/** Under way: who is making it a request, or joining it to its request, since when. */
const admittingHint = (texts, mail, timeZone) => {
  const values = { by: mail.admitting.by, at: texts.dateTime(mail.admitting.at, timeZone) };
  return el('p', { class: 'hint' }, mail.reply ? texts.t('heldMail.joining', values) : texts.t('heldMail.admitting', values));
};

function table(texts, mails, may, act, timeZone) {
  if (!mails.length) return el('p', {}, texts.t('heldMail.empty'));
  const head = ['arrived', 'reason', 'from', 'subject', 'checks', 'size', 'actions'].map((column) => el('th', { scope: 'col' }, texts.t(`heldMail.${column}`)));
  const rows = mails.map((mail, i) => {
    const row = `held-${i}`;
    return el(
      'tr',
      {},
      el('td', {}, texts.dateTime(mail.arrivedAt, timeZone)),
      el('td', {}, reasonFor(texts, mail)),
      el('th', { scope: 'row', id: `${row}-from` }, mail.senderName ? [personText(mail.senderName), el('br'), mail.sender] : mail.sender),
      el('td', { id: `${row}-subject`, class: 'subject' }, mail.subject ? personText(mail.subject) : texts.t('heldMail.noSubject')),
      el('td', {}, checks(texts, mail)),
      el('td', {}, size(texts, mail.size)),
      el(
        'td',
        {},
        downloadButton(`/held-mail/${encodeURIComponent(mail.sesMessageId)}/raw-mail`, texts.t('heldMail.download'), { 'aria-describedby': `${row}-from ${row}-subject` }),
        mail.admitting ? admittingHint(texts, mail, timeZone) : '',
        may ? el('p', {}, actionsFor(texts, mail, row, act)) : '',
      ),
    );
  });
  return el('table', { class: 'held' }, el('caption', {}, texts.t('heldMail.caption')), el('thead', {}, el('tr', {}, head)), el('tbody', {}, rows));
}

/** Where this page stands in the list ("101–200 of 10,000"), the way to the next page and back to the first. */
function pager(texts, list, from) {
  if (!list.mails.length || (from === 1 && !list.nextCursor)) return '';
  const next = list.nextCursor ? `/console/held-mail?${new URLSearchParams({ cursor: list.nextCursor, from: String(from + list.mails.length) })}` : undefined;
  return el(
    'nav',
    { class: 'pager', 'aria-label': texts.t('heldMail.pagesLabel') },
    el('p', {}, texts.t('heldMail.showing', { from, to: from + list.mails.length - 1, total: list.total })),
    el('ul', {}, from > 1 ? el('li', {}, el('a', { href: '/console/held-mail' }, texts.t('heldMail.first'))) : '', next ? el('li', {}, el('a', { href: next, rel: 'next' }, texts.t('heldMail.next'))) : ''),
  );
}

/** What an admission did: made a request, or joined a reply to its request as the person's or as another sender's. */
function admittedText(texts, done) {
  if (done.joinedAs === 'reply') return texts.t('heldMail.joinedReply');
  if (done.joinedAs === 'third_party') return texts.t('heldMail.joinedThirdParty');
  return texts.t('heldMail.admitted');
}

consolePage('held-mail', async (main, texts, who) => {
  const params = new URLSearchParams(location.search);
  const cursor = params.get('cursor') ?? undefined;
  const from = cursor && /^[1-9]\d{0,6}$/.test(params.get('from') ?? '') ? Number(params.get('from')) : 1;
  const may = mayAct(who);
  document.title = `${texts.t('heldMail.title')} — ${texts.t('common.title')}`;

  /** This page of the list as it stands. */
  const read = () => api(`/held-mail${cursor ? `?${new URLSearchParams({ cursor })}` : ''}`);
  /** Shows the page, with what was just done (or why it could not be). */
  const show = (list, outcome) =>
    main.replaceChildren(
      el('h1', {}, texts.t('heldMail.title')),
      el('p', { class: 'hint' }, texts.t('heldMail.intro', { days: list.keepDays })),
      el('p', {}, texts.t('heldMail.total', { total: list.total })),
      outcome ?? '',
      may ? '' : el('p', {}, texts.t('heldMail.readOnly')),
      pager(texts, list, from),
      table(texts, list.mails, may, act, list.timeZone),
      pager(texts, list, from),
    );

  /**
   * Makes a mail a request (joins a reply to its request), or dismisses it, the page's buttons held meanwhile (a double
   * click is one call; a second call would make the same request, or join nothing twice, anyway). A conflict (409) is
   * another operator acting first — the mail has left the list — or, for a mail still listed, one that cannot make a
   * request by mail (a reply that cannot join its request).
   */
  const act = async (mail, action) => {
    for (const button of main.querySelectorAll('button')) button.disabled = true;
    let outcome;
    try {
      const done = await api(`/held-mail/${encodeURIComponent(mail.sesMessageId)}/${action}`, { method: 'POST' });
      outcome =
        action === 'admission'
          ? el('p', { class: 'done', role: 'status' }, admittedText(texts, done), ' ', requestLink(done.reference))
          : el('p', { class: 'done', role: 'status' }, texts.t('heldMail.dismissed'));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) outcome = problemBox(texts, error);
      else {
        const list = await read();
        const still = list.mails.some((m) => m.sesMessageId === mail.sesMessageId && !m.admitting);
        const cannot = mail.reply ? texts.t('heldMail.cannotJoin') : texts.t('heldMail.cannotAdmit');
        show(list, still ? el('div', { class: 'problems', role: 'alert' }, el('p', {}, cannot)) : el('p', { class: 'done', role: 'status' }, texts.t('heldMail.overtaken')));
        return;
      }
    }
    show(await read(), outcome);
  };

  show(await read());
});
