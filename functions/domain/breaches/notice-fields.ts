import * as z from '../schema.ts';

/**
 * What a breach notice to an authority may be required to contain. Which of them a regime requires, and on what
 * basis, is rule data (`breachNotice[].content` in rules/jurisdictions/*.json); the notice document renders every one
 * the rule in force lists, and refuses to be drafted without the facts they need.
 */
export const BREACH_NOTICE_FIELDS = [
  /** When the operator detected (became aware of) the breach. */
  'detectedAt',
  /** What happened: the nature of the breach. */
  'description',
  /** Categories of personal data concerned. */
  'dataCategories',
  /** Systems (information systems, databases) concerned. */
  'systems',
  /** Measures taken (or proposed) to end the breach and limit its effects. */
  'measuresTaken',
  /** Contacts of the person responsible for organising the processing of personal data (or the DPO). */
  'responsiblePerson',
  /** The affected people, identified so that they can be told (KZ: name and/or IIN and/or mobile number). */
  'affectedSubjects',
  /** How many people (and, where known, records) are concerned. */
  'subjectCount',
  /** Likely consequences of the breach. */
  'likelyConsequences',
] as const;

export const BreachNoticeFieldSchema = z.enum(BREACH_NOTICE_FIELDS);
export type BreachNoticeField = z.infer<typeof BreachNoticeFieldSchema>;
