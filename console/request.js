// One request as the operator reads it — who asked, their words, the deadline, what the sources and processors
// returned, the correspondence, the notes and the timeline — and what the operator may do about it.
import { api, ApiError } from './api.js';
import { consolePage, downloadButton, markFieldProblems, mayAct, problemBox } from './layout.js';
import { el, personText } from './texts.js';
import { actor, codeText, eventText, fulfilmentLine, stepText } from './trail.js';

const TYPES = ['access', 'rectification', 'blocking', 'unblocking', 'erasure', 'consent_withdrawal', 'marketing_opt_out', 'claim'];

const capitalised = (text) => text.charAt(0).toLocaleUpperCase() + text.slice(1);

function facts(entries) {
  return el('dl', { class: 'facts' }, entries.filter(Boolean).map(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

function whoSection(texts, r) {
  const entry = r.entry
    ? [
        texts.t('request.entered', { by: actor(texts, r.entry.operator ?? r.entry.by), at: texts.dateTime(r.entry.at, r.timeZone) }),
        '; ',
        r.entry.identity === 'attested' ? texts.t('request.identityAttested', { attestation: r.entry.attestation ?? '' }) : texts.t('request.identityMail'),
      ]
    : r.admitted
      ? texts.t('request.admitted', { reason: texts.t(`heldMail.reason_${r.admitted.held}`), by: actor(texts, r.admitted.by), at: texts.dateTime(r.admitted.at, r.timeZone) })
      : undefined;
  return el(
    'section',
    { 'aria-labelledby': 'who' },
    el('h2', { id: 'who' }, texts.t('request.whoTitle')),
    facts([
      [texts.t('request.email'), r.email],
      r.name && [texts.t('request.name'), personText(r.name)],
      [texts.t('request.language'), texts.t(`languages.${r.language}`)],
      [texts.t('request.channel'), [texts.t(`channels.${r.channel}`), entry ? el('br') : '', entry ?? '']],
      [texts.t('request.verified'), r.verified ? texts.t('request.verifiedYes', { at: texts.dateTime(r.verifiedAt, r.timeZone) }) : texts.t('request.verifiedNo')],
    ]),
  );
}

/** A kept attachment of the person's mail. */
function attachmentButton(texts, reference, attachment, n) {
  return downloadButton(`/requests/${encodeURIComponent(reference)}/attachment?key=${encodeURIComponent(attachment.key)}`, texts.t('request.attachment', { n, size: attachment.size }));
}

/** A mail received under the request, whole, as it arrived. */
function rawMailButton(texts, reference, sesMessageId) {
  return downloadButton(`/requests/${encodeURIComponent(reference)}/raw-mail?message=${encodeURIComponent(sesMessageId)}`, texts.t('request.rawMail'));
}

function wordsSection(texts, r) {
  const attachments = [...(r.formAttachments ?? []), ...r.thread.filter((m) => m.direction === 'in').flatMap((m) => m.attachments.filter((a) => a.key))];
  return el(
    'section',
    { 'aria-labelledby': 'words' },
    el('h2', { id: 'words' }, texts.t('request.wordsTitle')),
    r.subject !== undefined ? el('p', {}, `${texts.t('request.subject')}: `, el('q', {}, personText(r.subject))) : '',
    r.message ? el('div', { class: 'words' }, personText(r.message)) : el('p', {}, texts.t('request.noWords')),
    r.changes ? [el('h3', {}, texts.t('request.changesTitle')), facts(Object.entries(r.changes).map(([field, value]) => [labelOf(texts, r, field), personText(value)]))] : '',
    r.erasureFields ? [el('h3', {}, texts.t('request.erasureFieldsTitle')), el('p', {}, r.erasureFields.map((field) => erasableLabel(texts, r, field)).join(', '))] : '',
    attachments.length ? [el('h3', {}, texts.t('request.attachments')), el('p', {}, attachments.map((a, i) => attachmentButton(texts, r.reference, a, i + 1)))] : '',
  );
}

function labelOf(texts, r, field) {
  const declared = r.correctable.find((c) => c.field === field);
  return declared ? declared.label[texts.language] : field;
}

/** A personal field an erasure may be limited to, by its label and its name (the name is what the sources hold). */
function erasableLabel(texts, r, field) {
  const declared = r.erasable.find((e) => e.field === field);
  return declared && declared.label[texts.language] !== field ? `${declared.label[texts.language]} (${field})` : field;
}

/** Who set the term (the deadline rule's origin), as the console says it. */
const ORIGIN_TEXT = { statute: 'request.originStatute', default: 'request.originDefault', operator: 'request.originOperator' };

function deadlineSection(texts, r) {
  const rule = r.deadlineRule;
  return el(
    'section',
    { 'aria-labelledby': 'deadline' },
    el('h2', { id: 'deadline' }, texts.t('request.deadlineTitle')),
    facts([
      [texts.t('request.dueAt'), [texts.dateTime(r.dueAt, r.timeZone), r.overdue ? ` — ${texts.t('request.overdue')}` : r.atRisk ? ` — ${texts.t('request.atRisk')}` : '']],
      r.entry?.promisedBy && [texts.t('request.promisedBy'), texts.dateTime(r.entry.promisedBy, r.timeZone)],
      [texts.t('request.origin'), texts.t(ORIGIN_TEXT[rule.origin])],
      [texts.t('request.rule'), rule.citation[texts.language]],
      [texts.t('request.source'), rule.source[texts.language]],
      rule.applied && ['', texts.t('request.extended', { from: texts.dateTime(rule.applied.originalDueAt, r.timeZone), to: texts.dateTime(r.dueAt, r.timeZone) })],
      !rule.applied && ['', rule.extension ? texts.t('request.extensionAllowed', { citation: rule.extension.citation[texts.language] }) : texts.t('request.extensionNotAllowed')],
    ]),
  );
}

function fulfilmentSection(texts, r) {
  const lines = [];
  if (r.attention) lines.push(el('li', { class: 'flag failure' }, texts.t('request.attention', { step: stepText(texts, r.attention.step), code: r.attention.code, since: texts.dateTime(r.attention.since, r.timeZone) })));
  for (const e of r.audit) {
    const line = fulfilmentLine(texts, r, e);
    if (line) lines.push(el('li', {}, line));
  }
  return el('section', { 'aria-labelledby': 'fulfilment' }, el('h2', { id: 'fulfilment' }, texts.t('request.fulfilmentTitle')), lines.length ? el('ul', {}, lines) : el('p', {}, texts.t('request.noFulfilment')));
}

function threadSection(texts, r) {
  const items = r.thread.map((m) =>
    el(
      'li',
      { class: m.direction },
      el(
        'p',
        { class: 'meta' },
        el('time', { datetime: m.at }, texts.dateTime(m.at, r.timeZone)),
        ' — ',
        m.direction === 'in'
          ? m.outcome === 'request' || m.outcome === 'reply' || m.outcome === 'triage'
            ? texts.t('request.mailIn')
            : texts.t('request.mailInOther', { outcome: codeText(texts, 'outcome', m.outcome) })
          : texts.t('request.mailOut', { template: texts.maybe(`templates.${m.template}`, {}, texts.t('templates.other')) }),
        m.by ? ` — ${texts.t('request.writtenBy', { by: actor(texts, m.by) })}` : '',
      ),
      m.text ? el('div', { class: 'words' }, personText(m.text)) : '',
      m.moreAttachments ? el('p', {}, texts.t('request.moreAttachments', { count: m.moreAttachments })) : '',
      m.direction === 'in' ? el('p', {}, rawMailButton(texts, r.reference, m.sesMessageId)) : '',
    ),
  );
  return el('section', { 'aria-labelledby': 'thread' }, el('h2', { id: 'thread' }, texts.t('request.threadTitle')), items.length ? el('ol', { class: 'thread' }, items) : el('p', {}, texts.t('request.noThread')));
}

function notesSection(texts, r) {
  const items = r.notes.map((n) => el('li', {}, el('p', { class: 'meta' }, texts.t('request.noteBy', { by: actor(texts, n.by), at: texts.dateTime(n.at, r.timeZone) })), el('div', { class: 'words' }, n.text)));
  return el('section', { 'aria-labelledby': 'notes' }, el('h2', { id: 'notes' }, texts.t('request.notesTitle')), items.length ? el('ul', { class: 'notes' }, items) : el('p', {}, texts.t('request.noNotes')));
}

/** Closed as not a request: who, when, and their words to the person — or that nothing was mailed. */
function notARequestSection(texts, r) {
  const closed = r.notARequest;
  return el(
    'section',
    { 'aria-labelledby': 'not-a-request' },
    el('h2', { id: 'not-a-request' }, texts.t('request.notARequestTitle')),
    el('p', {}, texts.t('request.closedNotARequest', { by: actor(texts, closed.by), at: texts.dateTime(closed.at, r.timeZone) })),
    closed.text ? [el('h3', {}, texts.t('request.notARequestWords')), el('div', { class: 'words' }, personText(closed.text))] : el('p', {}, texts.t('request.notARequestSilent')),
  );
}

function decisionSection(texts, r) {
  if (r.notARequest) return notARequestSection(texts, r);
  if (!r.decision) return '';
  const d = r.decision;
  const grounds = Object.fromEntries(r.refusalGrounds.map((g) => [g.id, `${g.text[texts.language]} (${g.citation[texts.language]})`]));
  const basis = d.basis === undefined ? undefined : typeof d.basis === 'string' ? d.basis : 'text' in d.basis ? d.basis.text : (grounds[d.basis.ground] ?? d.basis.ground);
  return el(
    'section',
    { 'aria-labelledby': 'decision' },
    el('h2', { id: 'decision' }, texts.t('request.decisionTitle')),
    el('p', {}, texts.t(d.approved ? 'request.decisionApproved' : 'request.decisionRefused', { by: actor(texts, d.decidedBy), at: texts.dateTime(d.decidedAt, r.timeZone) })),
    facts([d.reason && [texts.t('request.decisionReason'), d.reason], basis && [texts.t('request.decisionBasis'), basis]]),
  );
}

/** The evidence pack for the regulator, in the console's language (the server names the file). */
const evidencePackButton = (texts, reference) =>
  downloadButton(`/requests/${encodeURIComponent(reference)}/evidence?lang=${texts.language}&format=pdf`, texts.t('request.evidencePack'));

function timelineSection(texts, r) {
  return el(
    'section',
    { 'aria-labelledby': 'timeline' },
    el('h2', { id: 'timeline' }, texts.t('request.timelineTitle')),
    el('p', {}, evidencePackButton(texts, r.reference)),
    el('ol', { class: 'timeline' }, r.audit.map((e) => el('li', {}, el('time', { datetime: e.at }, texts.dateTime(e.at, r.timeZone)), ' — ', eventText(texts, r, e)))),
  );
}

/**
 * One action's form: its fields, a submit button, and where its problems show (listed above the fields, and each
 * beside its field: `fieldIds` maps the API's field names to the form's ids where they differ). `submit(form)` makes
 * the call; on success the page is read again and says it was done. When someone else acted first (409), the page is
 * read again too, so the operator sees what was done instead of a form that can no longer succeed.
 */
function actionForm(texts, id, title, intro, fields, button, submit, reload, fieldIds = {}) {
  const problems = el('div', {});
  const form = el(
    'form',
    {
      id,
      'aria-labelledby': `${id}-title`,
      onsubmit: async (event) => {
        event.preventDefault();
        const submitButton = form.querySelector('button[type=submit]');
        submitButton.disabled = true;
        try {
          await submit(form);
          await reload(texts.t('actions.done'));
        } catch (error) {
          if (error instanceof ApiError && error.status === 409) return reload(texts.t('actions.overtaken'));
          problems.replaceChildren(problemBox(texts, error));
          markFieldProblems(form, texts, error, fieldIds);
          submitButton.disabled = false;
        }
      },
    },
    el('h3', { id: `${id}-title` }, title),
    intro ? el('p', { class: 'hint' }, intro) : '',
    problems,
    fields,
    el('button', { type: 'submit' }, button),
  );
  return el('div', { class: 'action' }, form);
}

const textarea = (id, label, required = true) => [el('label', { for: id }, label), el('textarea', { id, name: id, maxlength: 5000, required })];
const typeBoxes = (texts, name) => el('fieldset', { id: name }, el('legend', {}, texts.t('enter.types')), TYPES.map((type) => el('label', {}, el('input', { type: 'checkbox', name, value: type }), texts.t(`types.${type}`))));

function actions(texts, r, reload, who) {
  if (!mayAct(who)) return el('section', { 'aria-labelledby': 'actions' }, el('h2', { id: 'actions' }, texts.t('actions.title')), el('p', {}, texts.t('actions.readOnly')));
  const ref = encodeURIComponent(r.reference);
  const forms = [];
  const open = r.open;
  // Decided, or closed as not a request, already (the workflow may not have moved the status on yet): nothing left to decide.
  const awaitingDecision = r.status === 'AWAITING_DECISION' && !r.decision && !r.notARequest;
  if (awaitingDecision && !r.types.length) {
    forms.push(
      actionForm(texts, 'classify', texts.t('actions.classifyTitle'), texts.t('actions.classifyIntro'), typeBoxes(texts, 'types'), texts.t('actions.classifySubmit'), (form) =>
        api(`/requests/${ref}/classification`, { method: 'POST', body: { types: [...form.querySelectorAll('input[name=types]:checked')].map((i) => i.value) } }),
      reload),
      // Nothing in it is a request (spam, a general question): closed as such, the words (if any) mailed once.
      actionForm(
        texts,
        'not-a-request',
        texts.t('actions.notARequestTitle'),
        texts.t('actions.notARequestIntro'),
        textarea('not-a-request-text', texts.t('actions.notARequestText'), false),
        texts.t('actions.notARequestSubmit'),
        (form) => {
          const text = form.elements['not-a-request-text'].value.trim();
          return api(`/requests/${ref}/not-a-request`, { method: 'POST', body: text ? { text } : {} });
        },
        reload,
        { text: 'not-a-request-text' },
      ),
    );
  } else if (awaitingDecision) {
    const grounds = el(
      'select',
      { id: 'basis', name: 'basis' },
      el('option', { value: '' }, texts.t('actions.basisChoose')),
      // A ground is written to follow "because" in a sentence; as an option of its own it starts with a capital.
      r.refusalGrounds.map((g) => el('option', { value: g.id }, `${capitalised(g.text[texts.language])} (${g.citation[texts.language]})`)),
      el('option', { value: 'other' }, texts.t('actions.basisOther')),
    );
    const claim = r.types.includes('claim');
    const correction = r.types.includes('rectification');
    // What a decision must carry is asked for here, not learnt from a refusal: a refusal its reason, an approved claim
    // the answer, an approved correction the changes (at least one field).
    const changes = correction
      ? el(
          'fieldset',
          { id: 'changes', class: 'changes' },
          el('legend', {}, texts.t('actions.changesLegendRequired')),
          r.correctable.map((c) => el('div', {}, el('label', { for: `change-${c.field}` }, c.label[texts.language]), el('input', { id: `change-${c.field}`, name: `change-${c.field}`, type: 'text', maxlength: 1000, value: r.changes?.[c.field] ?? '' }))),
        )
      : '';
    // An erasure of particular data (a phone number, a photo): the fields ticked are erased, the rest kept; none
    // ticked, everything is erased.
    const erasure = r.types.includes('erasure') && r.erasable.length;
    const erasureFields = erasure
      ? el(
          'fieldset',
          { id: 'fields', class: 'fields' },
          el('legend', {}, texts.t('actions.erasureFieldsLegend')),
          r.erasable.map((e) => el('label', {}, el('input', { type: 'checkbox', name: 'fields', value: e.field }), erasableLabel(texts, r, e.field))),
        )
      : '';
    const requireFor = (form) => {
      const decision = form.elements.decision.value;
      form.elements.reason.required = decision === 'deny';
      form.elements.answer.required = claim && decision === 'approve';
    };
    forms.push(
      actionForm(
        texts,
        'decide',
        texts.t('actions.decideTitle'),
        r.review ? texts.t('actions.decideIntro', { reasons: r.review[texts.language] }) : '',
        [
          el(
            'fieldset',
            { onchange: (event) => requireFor(event.target.form) },
            el('legend', {}, texts.t('actions.decision')),
            el('label', {}, el('input', { type: 'radio', name: 'decision', value: 'approve', required: true }), texts.t('actions.approve')),
            el('label', {}, el('input', { type: 'radio', name: 'decision', value: 'deny' }), texts.t('actions.deny')),
          ),
          textarea('reason', texts.t('actions.reason'), false),
          el('label', { for: 'basis' }, texts.t('actions.basis')),
          grounds,
          el('label', { for: 'basis-text' }, texts.t('actions.basisText')),
          el('input', { id: 'basis-text', name: 'basisText', type: 'text', maxlength: 1000 }),
          textarea('answer', texts.t(claim ? 'actions.answerClaim' : 'actions.answer'), false),
          changes,
          erasureFields,
        ],
        texts.t('actions.decideSubmit'),
        (form) => {
          const f = form.elements;
          const decision = f.decision.value;
          const changed = Object.fromEntries(r.correctable.map((c) => [c.field, form.querySelector(`#change-${c.field}`)?.value.trim()]).filter(([, v]) => v));
          const basis = f.basis.value === 'other' ? f.basisText.value.trim() : f.basis.value;
          const fields = [...form.querySelectorAll('input[name=fields]:checked')].map((i) => i.value);
          if (decision === 'approve' && correction && !Object.keys(changed).length) {
            throw new ApiError(400, { fields: [{ field: 'changes', kind: 'required', message: 'a correction is approved with what to change' }] });
          }
          const body = {
            decision,
            ...(f.reason.value.trim() ? { reason: f.reason.value.trim() } : {}),
            ...(decision === 'deny' && basis ? { basis } : {}),
            ...(f.answer.value.trim() ? { answer: f.answer.value.trim() } : {}),
            ...(decision === 'approve' && Object.keys(changed).length ? { changes: changed } : {}),
            ...(decision === 'approve' && fields.length ? { fields } : {}),
          };
          return api(`/decisions/${ref}`, { method: 'POST', body });
        },
        reload,
        { basisText: 'basis-text' },
      ),
    );
  }
  if (r.attention) {
    forms.push(actionForm(texts, 'retry', texts.t('actions.retryTitle'), texts.t('actions.retryIntro'), [], texts.t('actions.retrySubmit'), () => api(`/requests/${ref}/resume`, { method: 'POST' }), reload));
  }
  if (open && r.deadlineRule.extension && !r.deadlineRule.applied) {
    forms.push(actionForm(texts, 'extend', texts.t('actions.extendTitle'), '', textarea('extend-reason', texts.t('actions.extendReason')), texts.t('actions.extendSubmit'), (form) => api(`/requests/${ref}/extension`, { method: 'POST', body: { reason: form.elements['extend-reason'].value } }), reload, { reason: 'extend-reason' }));
  }
  if (r.verified) {
    // One key per message composed: a double click or a retried call sends it once.
    const key = crypto.randomUUID();
    forms.push(actionForm(texts, 'write', texts.t('actions.writeTitle'), texts.t('actions.writeIntro'), textarea('write-text', texts.t('actions.writeText')), texts.t('actions.writeSubmit'), (form) => api(`/requests/${ref}/messages`, { method: 'POST', body: { text: form.elements['write-text'].value }, idempotencyKey: key }), reload, { text: 'write-text' }));
  }
  forms.push(actionForm(texts, 'note', texts.t('actions.noteTitle'), texts.t('actions.noteIntro'), textarea('note-text', texts.t('actions.noteText')), texts.t('actions.noteSubmit'), (form) => api(`/requests/${ref}/notes`, { method: 'POST', body: { text: form.elements['note-text'].value } }), reload, { text: 'note-text' }));
  return el('section', { 'aria-labelledby': 'actions' }, el('h2', { id: 'actions' }, texts.t('actions.title')), forms);
}

consolePage('request', async (main, texts, who) => {
  const reference = new URLSearchParams(location.search).get('ref') ?? '';
  const show = async (done) => {
    const r = await api(`/requests/${encodeURIComponent(reference)}`);
    document.title = `${texts.t('request.title', { reference: r.reference })} — ${texts.t('common.title')}`;
    const flags = [r.overdue && 'overdue', !r.overdue && r.atRisk && 'atRisk'].filter(Boolean);
    main.replaceChildren(
      el('p', {}, el('a', { href: '/console' }, texts.t('request.back'))),
      el('h1', {}, texts.t('request.title', { reference: r.reference })),
      el('p', {}, r.types.length ? r.types.map((t) => texts.t(`types.${t}`)).join(', ') : texts.t('inbox.unclassified'), ' — ', texts.t(`statuses.${r.status}`), ' ', flags.map((f) => el('span', { class: `flag ${f}` }, texts.t(`filters.${f}`)))),
      done ? el('p', { class: 'done', role: 'status' }, done) : '',
      el(
        'div',
        { class: 'columns' },
        el('div', {}, whoSection(texts, r), wordsSection(texts, r), threadSection(texts, r), decisionSection(texts, r), actions(texts, r, show, who)),
        el('div', {}, deadlineSection(texts, r), fulfilmentSection(texts, r), notesSection(texts, r), timelineSection(texts, r)),
      ),
    );
  };
  await show();
});
