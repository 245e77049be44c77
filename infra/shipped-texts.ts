import en from '../rules/messages/en.json' with { type: 'json' };
import kk from '../rules/messages/kk.json' with { type: 'json' };
import ru from '../rules/messages/ru.json' with { type: 'json' };
import type { Language } from '../functions/domain/request-types.ts';

/**
 * Every language's message catalogue, for the checks where derbes starts (`cdk synth`, `npm start`): a function loads
 * only the languages it writes in, when it first writes in them (functions/domain/message-catalogues.ts), and validates
 * what it loads; a deploy validates them all first.
 */
export const SHIPPED_MESSAGE_CATALOGUES: Record<Language, unknown> = { ru, kk, en };
