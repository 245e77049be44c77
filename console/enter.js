// A request received by phone, post or in person, entered by the operator: the same intake as the web form, its
// deadline from the day received, identity by the mailed link or attested by the operator.
import { api } from './api.js';
import { consolePage, markFieldProblems, problemBox } from './layout.js';
import { el, LANGUAGES } from './texts.js';

const TYPES = ['access', 'rectification', 'blocking', 'unblocking', 'erasure', 'consent_withdrawal', 'marketing_opt_out', 'claim'];
const CHANNELS = ['phone', 'post', 'in_person'];

const today = () => {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
};

consolePage('enter', async (main, texts) => {
  document.title = `${texts.t('enter.title')} — ${texts.t('common.title')}`;
  // One key for this entry: submitting it twice (a double click, a retry) makes one request.
  const key = crypto.randomUUID();
  const problems = el('div', {});
  const radio = (name, value, label, checked) => el('label', {}, el('input', { type: 'radio', name, value, required: true, checked }), label);
  const form = el(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const f = form.elements;
        const body = {
          channel: f.channel.value,
          receivedAt: f.receivedAt.value,
          identity: f.identity.value,
          ...(f.identity.value === 'attested' ? { attestation: f.attestation.value.trim() } : {}),
          types: [...form.querySelectorAll('input[name=types]:checked')].map((i) => i.value),
          email: f.email.value.trim(),
          ...(f.name.value.trim() ? { name: f.name.value.trim() } : {}),
          language: f.language.value,
          ...(f.message.value.trim() ? { message: f.message.value.trim() } : {}),
        };
        try {
          const request = await api('/requests', { method: 'POST', body, idempotencyKey: key });
          location.assign(`/console/request?ref=${encodeURIComponent(request.reference)}`);
        } catch (error) {
          problems.replaceChildren(problemBox(texts, error));
          markFieldProblems(form, texts, error);
          problems.focus();
        }
      },
    },
    el('label', { for: 'channel' }, texts.t('enter.channel')),
    el('select', { id: 'channel', name: 'channel' }, CHANNELS.map((c) => el('option', { value: c }, texts.t(`channels.${c}`)))),
    el('label', { for: 'receivedAt' }, texts.t('enter.receivedAt')),
    el('input', { id: 'receivedAt', name: 'receivedAt', type: 'date', required: true, max: today(), value: today(), 'aria-describedby': 'receivedAt-hint' }),
    el('p', { class: 'hint', id: 'receivedAt-hint' }, texts.t('enter.receivedHint')),
    el('fieldset', { id: 'types' }, el('legend', {}, texts.t('enter.types')), TYPES.map((type) => el('label', {}, el('input', { type: 'checkbox', name: 'types', value: type }), texts.t(`types.${type}`)))),
    el('label', { for: 'email' }, texts.t('enter.email')),
    el('input', { id: 'email', name: 'email', type: 'email', required: true, maxlength: 254, autocomplete: 'off' }),
    el('label', { for: 'name' }, texts.t('enter.name')),
    el('input', { id: 'name', name: 'name', type: 'text', maxlength: 200, autocomplete: 'off' }),
    el('label', { for: 'language' }, texts.t('enter.language')),
    el('select', { id: 'language', name: 'language' }, LANGUAGES.map((l) => el('option', { value: l, selected: l === texts.language }, texts.t(`languages.${l}`)))),
    el('label', { for: 'message' }, texts.t('enter.message')),
    el('textarea', { id: 'message', name: 'message', maxlength: 5000 }),
    // An attested identity is entered with how it was checked.
    el('fieldset', { id: 'identity', onchange: () => (form.elements.attestation.required = form.elements.identity.value === 'attested') }, el('legend', {}, texts.t('enter.identityLegend')), radio('identity', 'mail', texts.t('enter.identityMail'), true), radio('identity', 'attested', texts.t('enter.identityAttested'), false)),
    el('label', { for: 'attestation' }, texts.t('enter.attestation')),
    el('input', { id: 'attestation', name: 'attestation', type: 'text', maxlength: 1000 }),
    el('button', { type: 'submit' }, texts.t('enter.submit')),
  );
  problems.setAttribute('tabindex', '-1');
  main.replaceChildren(el('h1', {}, texts.t('enter.title')), el('p', {}, texts.t('enter.intro')), problems, form);
});
