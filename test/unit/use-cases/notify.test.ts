import { describe, expect, it } from 'vitest';
import { alertOperator, notifyPerson } from '../../../functions/use-cases/notify.ts';
import { operatorMails, placeRequest, systemFor } from '../../support/flow.ts';

describe('notifyPerson', () => {
  it('writes in the request\'s language with its own Message-ID, so replies join the request, and records the mail', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { language: 'kk', name: 'Айгерім' });
    await notifyPerson(s.deps, request, 'progressNotice', {});
    const [mail] = s.mailer.sent;
    expect(mail!.to).toBe(request.email);
    expect(mail!.messageId).toMatch(new RegExp(`^<${request.id}\\.progressNotice\\.[^@]+@derbes\\.local>$`));
    expect(mail!.text).toContain('Айгерім');
    expect((await s.deps.audit.list(request.id)).at(-1)).toMatchObject({ type: 'mail.sent', detail: { template: 'progressNotice', messageId: mail!.messageId } });
  });
});

describe('alertOperator', () => {
  it('offers the decision commands while a request waits for a decision, and only "show" otherwise, once per round', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, defaultLanguage: 'en' }) });
    const request = await placeRequest(s, ['access']);
    await alertOperator(s.deps, request, 'reminder');
    // Each round of an alert goes out once: the same round again (a retried step) sends nothing.
    await alertOperator(s.deps, { ...request, status: 'AWAITING_DECISION' }, 'reminder', {}, [], 2);
    await alertOperator(s.deps, { ...request, status: 'AWAITING_DECISION' }, 'reminder', {}, [], 2);
    expect(operatorMails(s)).toHaveLength(2);
    const [inProgress, waiting] = operatorMails(s);
    expect(inProgress!.text).toContain(`npx derbes requests show ${request.id}`);
    expect(inProgress!.text).not.toContain('decisions approve');
    expect(waiting!.text).toContain(`npx derbes decisions approve ${request.id}`);
    expect(waiting!.text).toContain('Status: waiting for the responsible person\'s decision.');
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'operator.alerted').map((e) => e.detail)).toEqual([{ alert: 'reminder' }, { alert: 'reminder' }]);
  });

  it('names the command that closes each follow-up left as open work', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['erasure']);
    await alertOperator(s.deps, request, 'processorsNotTold', { processors: 'X' }, ['processor:x:erasure']);
    expect(operatorMails(s)[0]!.text).toContain(`npx derbes requests done ${request.id} processor:x:erasure`);
  });
});
