import consoleEn from '../../rules/console/en.json' with { type: 'json' };
import ru from '../../rules/messages/ru.json' with { type: 'json' };
import signInKk from '../../rules/sign-in/kk.json' with { type: 'json' };

/** Loads Russian as a function does before it renders a text (the module as fresh as the one under test). */
const loadRussian = async () => (await import('../../functions/domain/message-catalogues.ts')).loadMessageCatalogue('ru');

/**
 * One broken shipped file for each text catalogue that is validated on first use rather than at load: the module, the
 * file as it would be broken, the module's check (which `cdk synth` and `npm start` run, given every language's file from
 * infra/shipped-texts.ts: `shipped` names which), one use of the texts (loading them first where a function does), and the
 * problem a refusal must name (the file and the field).
 */
export const BROKEN_TEXTS = [
  {
    module: '../../functions/domain/evidence/texts.ts',
    file: '../../rules/messages/ru.json',
    broken: { ...ru, evidence: { ...ru.evidence, labels: { ...ru.evidence.labels, margin: '' } } },
    check: 'checkEvidenceTexts',
    shipped: 'SHIPPED_MESSAGE_CATALOGUES',
    use: async (m: Record<string, (language: string) => unknown>) => (await loadRussian(), m.evidenceTexts!('ru')),
    problem: /rules\/messages\/ru\.json[\s\S]*evidence\.labels\.margin/,
  },
  {
    module: '../../functions/domain/breaches/texts.ts',
    file: '../../rules/messages/ru.json',
    broken: { ...ru, breach: { ...ru.breach, personMail: { ...ru.breach.personMail, body: `${ru.breach.personMail.body} {iin}` } } },
    check: 'checkBreachTexts',
    shipped: 'SHIPPED_MESSAGE_CATALOGUES',
    use: async (m: Record<string, (language: string) => unknown>) => m.loadBreachTexts!('ru'),
    problem: /rules\/messages\/ru\.json[\s\S]*breach\.personMail\.body: unknown placeholder \{iin\}/,
  },
  {
    module: '../../functions/domain/retention-texts.ts',
    file: '../../rules/messages/ru.json',
    broken: { ...ru, retention: { awaitingApproval: { ...ru.retention.awaitingApproval, body: 'Удалить {email}' } } },
    check: 'checkRetentionTexts',
    shipped: 'SHIPPED_MESSAGE_CATALOGUES',
    use: (m: Record<string, (...args: unknown[]) => unknown>) =>
      m.awaitingApprovalMail!('ru', { source: 's', keepFor: { amount: 1, unit: 'years' }, from: 'at', basis: 'b', fingerprint: 'f' }),
    problem: /rules\/messages\/ru\.json[\s\S]*retention\.awaitingApproval\.body/,
  },
  {
    module: '../../functions/domain/console-texts.ts',
    file: '../../rules/console/en.json',
    broken: { ...consoleEn, common: { ...consoleEn.common, title: '' } },
    check: 'checkConsoleTexts',
    shipped: 'SHIPPED_CONSOLE_TEXTS',
    use: async (m: Record<string, (language: string) => unknown>) => m.loadConsoleTexts!('en'),
    problem: /rules\/console\/en\.json[\s\S]*common\.title/,
  },
  {
    module: '../../functions/domain/sign-in-texts.ts',
    file: '../../rules/sign-in/kk.json',
    broken: { ...signInKk, errorCode: ' ' },
    check: 'checkSignInTexts',
    shipped: 'SHIPPED_SIGN_IN_TEXTS',
    use: async (m: Record<string, (language: string) => unknown>) => m.loadSignInTexts!('kk'),
    problem: /rules\/sign-in\/kk\.json[\s\S]*errorCode/,
  },
] as const;
