/**
 * A document derbes produces for an authority or as evidence (a breach notice, later an evidence pack): one model,
 * rendered as plain text here and as PDF by adapters/documents/pdf.ts, so both say exactly the same.
 */
export interface DocumentModel {
  title: string;
  /** Who, to whom, which case: label and value rows under the title. */
  header: Array<{ label: string; value: string }>;
  /** Paragraphs between the header and the sections. */
  intro: string[];
  /** Numbered sections; each paragraph is one block of text (lines inside it are kept). */
  sections: Array<{ heading: string; paragraphs: string[] }>;
  footer: string[];
}

export function documentAsText(document: DocumentModel): string {
  const lines = [document.title, '='.repeat(document.title.length), ''];
  for (const { label, value } of document.header) lines.push(`${label}: ${value}`);
  for (const paragraph of document.intro) lines.push('', paragraph);
  document.sections.forEach((section, index) => {
    lines.push('', `${index + 1}. ${section.heading}`);
    for (const paragraph of section.paragraphs) lines.push(...paragraph.split('\n').map((line) => `   ${line}`));
  });
  lines.push('', ...document.footer);
  return `${lines.join('\n')}\n`;
}
