import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import type { DocumentModel } from '../../domain/document.ts';

/**
 * DejaVu Sans has every Kazakh letter (ә ғ қ ң ө ұ ү һ і) besides Russian and Latin; PDFKit embeds only the glyphs a
 * document uses. In a Lambda bundle the font file sits beside the code (see infra/derbes-stack.ts, PDF_FONT_FILES);
 * from the sources it comes from the npm package.
 */
export const PDF_FONT_FILES = {
  regular: 'DejaVuSans.ttf',
  bold: 'DejaVuSans-Bold.ttf',
} as const;

/** Points a section's paragraphs stand in from the margin. */
const PARAGRAPH_INDENT = 14;

const fonts = new Map<string, Buffer>();
function font(file: string): Buffer {
  let bytes = fonts.get(file);
  if (!bytes) {
    const beside = join(dirname(fileURLToPath(import.meta.url)), file);
    const path = existsSync(beside) ? beside : createRequire(import.meta.url).resolve(`dejavu-fonts-ttf/ttf/${file}`);
    bytes = readFileSync(path);
    fonts.set(file, bytes);
  }
  return bytes;
}

/** The path of a font file in the npm package, for bundling it beside a function's code. */
export function pdfFontSource(file: string): string {
  return createRequire(import.meta.url).resolve(`dejavu-fonts-ttf/ttf/${file}`);
}

/** Renders a document as an A4 PDF: title, header rows, intro, numbered sections, footer; pages break by themselves. */
export async function renderPdf(model: DocumentModel, metadata: { author: string; createdAt: Date }): Promise<Buffer> {
  // The default font would be read from PDFKit's own data folder, absent from a bundle: start with ours.
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    font: font(PDF_FONT_FILES.regular) as unknown as string,
    info: { Title: model.title, Author: metadata.author, CreationDate: metadata.createdAt },
  });
  doc.registerFont('regular', font(PDF_FONT_FILES.regular));
  doc.registerFont('bold', font(PDF_FONT_FILES.bold));
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });

  doc.font('bold').fontSize(15).text(model.title, { align: 'center' }).moveDown(1);
  for (const { label, value } of model.header) {
    doc.font('bold').fontSize(10).text(`${label}: `, { continued: true }).font('regular').text(value);
  }
  for (const paragraph of model.intro) doc.moveDown(0.8).font('regular').fontSize(11).text(paragraph);
  model.sections.forEach((section, index) => {
    doc.moveDown(0.8).font('bold').fontSize(11).text(`${index + 1}. ${section.heading}`);
    // Every line of a paragraph stands indented under its heading, wrapped lines too.
    for (const paragraph of section.paragraphs) {
      const left = doc.page.margins.left;
      doc.moveDown(0.2).font('regular').fontSize(10.5).text(paragraph, left + PARAGRAPH_INDENT, doc.y, { width: doc.page.width - left - doc.page.margins.right - PARAGRAPH_INDENT });
      doc.x = left;
    }
  });
  doc.moveDown(1.5);
  for (const line of model.footer) doc.font('regular').fontSize(10).text(line).moveDown(0.5);
  doc.end();
  await finished;
  return Buffer.concat(chunks);
}
