export { decideIntake, startsWithHeaderField } from './intake.ts';
export { detectLanguage } from './language.ts';
export { mailableAddress, normaliseAddress } from './address.ts';
export { loadVocabulary, vocabularies, type CompiledVocabulary } from './vocabulary.ts';
export type {
  AuthCheck,
  DropReason,
  IntakeContext,
  IntakeDecision,
  RequestDecision,
  KeptAttachment,
  RejectReason,
  SesVerdicts,
  Verdict,
} from './types.ts';
