import type { OperatorProfile } from '../../config/profile-schema.ts';
import { localize } from '../../config/profile-schema.ts';
import type { DocumentModel } from '../document.ts';
import type { Language } from '../request-types.ts';
import { textIn, type AffectedSubject, type AuthorityNotice, type Breach } from './breach.ts';
import type { BreachNoticeField } from './notice-fields.ts';
import { breachTexts } from './texts.ts';

export interface NoticeDocument {
  document: DocumentModel;
  /** Required content the register does not hold yet (the document says "not provided" there). */
  missing: BreachNoticeField[];
}

type Operator = Pick<OperatorProfile, 'operator'>;

/**
 * The notice to one authority, with every item the rule in force requires, in the order the rule lists them, in
 * Russian, Kazakh or English. The affected people are listed in full: the authority needs them to tell each one.
 * Renders synchronously: the caller loads the catalogue of `language` first (TextsNotLoadedError otherwise).
 */
export function authorityNoticeDocument(
  breach: Breach,
  notice: AuthorityNotice,
  subjects: AffectedSubject[],
  profile: Operator,
  language: Language,
  generatedAt: Date,
): NoticeDocument {
  const { texts, fill, date } = breachTexts(language);
  const t = texts.notice;
  const zone = notice.deadline.timeZone;
  const detectedAt = date(breach.detectedAt, zone);
  const missing: BreachNoticeField[] = [];
  const orMissing = (field: BreachNoticeField, value: string | undefined) => {
    if (value?.trim()) return value;
    missing.push(field);
    return t.notProvided;
  };
  const person = breach.responsible;
  const subjectLine = (subject: AffectedSubject, index: number) =>
    `${index + 1}. ${[subject.name, subject.iin && `${t.iin} ${subject.iin}`, subject.phone && `${t.phone} ${subject.phone}`, subject.email && `${t.email} ${subject.email}`].filter(Boolean).join('; ')}`;

  const content: Record<BreachNoticeField, () => string> = {
    detectedAt: () => detectedAt,
    description: () => orMissing('description', textIn(breach.description, language)),
    dataCategories: () => orMissing('dataCategories', breach.dataCategories.join('; ')),
    systems: () => orMissing('systems', breach.systems.join('; ')),
    measuresTaken: () => orMissing('measuresTaken', textIn(breach.measuresTaken, language)),
    responsiblePerson: () =>
      [person.name, person.position && `${t.position}: ${person.position}`, person.phone && `${t.phone} ${person.phone}`, `${t.email} ${person.email}`].filter(Boolean).join('; '),
    affectedSubjects: () => {
      if (subjects.length) return subjects.map(subjectLine).join('\n');
      missing.push('affectedSubjects');
      return t.noSubjects;
    },
    subjectCount: () => String(subjects.length),
    likelyConsequences: () => orMissing('likelyConsequences', breach.likelyConsequences && textIn(breach.likelyConsequences, language)),
  };

  const operator = profile.operator;
  const document: DocumentModel = {
    title: t.title,
    header: [
      { label: t.to, value: notice.deadline.authority[language] ?? notice.deadline.authority.en },
      { label: t.from, value: localize(operator.name, language) },
      ...(operator.bin ? [{ label: t.bin, value: operator.bin }] : []),
      ...(operator.address ? [{ label: t.address, value: operator.address }] : []),
      { label: t.contact, value: operator.contactEmail },
      { label: t.reference, value: breach.id },
      { label: t.basis, value: notice.deadline.basis[language] ?? notice.deadline.basis.en },
      { label: t.dueAt, value: date(notice.deadline.dueAt, zone) },
    ],
    intro: [fill(t.intro, { detectedAt })],
    sections: notice.deadline.content.map((item) => ({ heading: t.fields[item.field], paragraphs: [content[item.field]()] })),
    footer: [fill(t.signature, { name: person.name }), fill(t.generated, { at: date(generatedAt.toISOString(), zone) })],
  };
  return { document, missing };
}
