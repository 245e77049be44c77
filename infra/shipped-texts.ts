import consoleEn from '../rules/console/en.json' with { type: 'json' };
import consoleKk from '../rules/console/kk.json' with { type: 'json' };
import consoleRu from '../rules/console/ru.json' with { type: 'json' };
import en from '../rules/messages/en.json' with { type: 'json' };
import kk from '../rules/messages/kk.json' with { type: 'json' };
import ru from '../rules/messages/ru.json' with { type: 'json' };
import signInEn from '../rules/sign-in/en.json' with { type: 'json' };
import signInKk from '../rules/sign-in/kk.json' with { type: 'json' };
import signInRu from '../rules/sign-in/ru.json' with { type: 'json' };
import groundsBr from '../rules/refusal-grounds/BR.json' with { type: 'json' };
import groundsEu from '../rules/refusal-grounds/EU.json' with { type: 'json' };
import groundsKz from '../rules/refusal-grounds/KZ.json' with { type: 'json' };
import groundsRu from '../rules/refusal-grounds/RU.json' with { type: 'json' };
import groundsUsCa from '../rules/refusal-grounds/US-CA.json' with { type: 'json' };
import type { ShippedCode } from '../functions/domain/deadlines/rule-files.ts';
import type { RequestStatus } from '../functions/domain/request.ts';
import type { Language } from '../functions/domain/request-types.ts';

/*
 * Every language's texts and every jurisdiction's refusal grounds, for the checks where derbes starts (`cdk synth`,
 * `npm start`): a function loads only the languages it writes in and the grounds of its jurisdiction, when it first
 * needs them (functions/domain/message-catalogues.ts, console-texts.ts, sign-in-texts.ts, refusal-grounds.ts), and
 * validates what it loads; a deploy validates them all first.
 */

/**
 * The texts every status needs in every language, checked by the compiler on the files themselves: a status added to
 * REQUEST_STATUSES without its words here does not compile (the catalogues' own checks find it only at a start).
 */
type NamesEveryStatus = Record<Language, { statuses: Record<RequestStatus, string> }>;

/** rules/messages/<language>.json: the mails, pages and answers, and the breach, retention and evidence texts. */
export const SHIPPED_MESSAGE_CATALOGUES: Record<Language, unknown> = { ru, kk, en } satisfies NamesEveryStatus;
/** rules/console/<language>.json: the operator console's texts. */
export const SHIPPED_CONSOLE_TEXTS: Record<Language, unknown> = { ru: consoleRu, kk: consoleKk, en: consoleEn } satisfies NamesEveryStatus;
/** rules/sign-in/<language>.json: the console's sign-in page. */
export const SHIPPED_SIGN_IN_TEXTS: Record<Language, unknown> = { ru: signInRu, kk: signInKk, en: signInEn };
/** rules/refusal-grounds/<jurisdiction>.json: why a request may be refused, in ru, kk and en. */
export const SHIPPED_REFUSAL_GROUNDS: Record<ShippedCode, unknown> = { KZ: groundsKz, EU: groundsEu, RU: groundsRu, 'US-CA': groundsUsCa, BR: groundsBr };
