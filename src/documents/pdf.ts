import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import PDFDocument from 'pdfkit'

/**
 * PDF documents the law asks for (the written consent, the answer to a person's request, the destruction
 * act, the list of people with access to ПДн): `pdfkit` with DejaVu Sans shipped in an npm package, so that
 * Cyrillic renders the same on any server with no system fonts assumed. A4, 2 cm margins, 10.5 pt text.
 *
 * A document is drawn by a function of a `PdfWriter`; `renderPdf` returns the finished bytes.
 */

const require = createRequire(import.meta.url)
const FONT_DIR = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf')
/** Read once per process: each document then parses the bytes in memory instead of reading the disk. */
let fonts: { regular: Buffer; bold: Buffer } | undefined
function loadFonts() {
  fonts ??= {
    regular: readFileSync(path.join(FONT_DIR, 'DejaVuSans.ttf')),
    bold: readFileSync(path.join(FONT_DIR, 'DejaVuSans-Bold.ttf')),
  }
  return fonts
}
const MARGIN = 57 // 2 cm
const TEXT_SIZE = 10.5

export interface PdfInfo {
  /** The document's title (also its metadata Title). */
  title: string
  /** The operator: who made the document (metadata Author). */
  author: string
  /** When it was made: metadata dates, so that the same input gives the same bytes. */
  createdAt: Date
}

export class PdfWriter {
  readonly doc: PDFKit.PDFDocument

  constructor(doc: PDFKit.PDFDocument) {
    this.doc = doc
  }

  /** The width between the margins. */
  get width(): number {
    return this.doc.page.width - MARGIN * 2
  }

  /** A centred heading. */
  title(text: string, size = 14): this {
    this.doc.font('bold').fontSize(size).text(text, { align: 'center' }).moveDown(0.6)
    this.doc.font('regular').fontSize(TEXT_SIZE)
    return this
  }

  /** A section heading. */
  heading(text: string): this {
    this.doc.moveDown(0.4).font('bold').fontSize(11.5).text(text).moveDown(0.25)
    this.doc.font('regular').fontSize(TEXT_SIZE)
    return this
  }

  /** A justified paragraph. */
  paragraph(text: string, options: PDFKit.Mixins.TextOptions = {}): this {
    this.doc
      .font('regular')
      .fontSize(TEXT_SIZE)
      .text(text, { align: 'justify', ...options })
      .moveDown(0.35)
    return this
  }

  /** «Label: value» lines, the label in bold; a missing value is a dash. */
  fields(rows: ReadonlyArray<readonly [string, string | number | null | undefined]>): this {
    for (const [label, value] of rows) {
      this.doc.font('bold').fontSize(TEXT_SIZE).text(`${label}: `, { continued: true })
      this.doc.font('regular').text(value === null || value === undefined || value === '' ? '—' : String(value))
    }
    this.doc.moveDown(0.35)
    return this
  }

  /**
   * A simple table: a bold header row, then rows; `widths` are fractions of the page width (they add up
   * to 1). Rows break across pages; the header is repeated on each new page.
   */
  table(
    headers: readonly string[],
    rows: ReadonlyArray<ReadonlyArray<string | number | null>>,
    widths: number[],
  ): this {
    const doc = this.doc
    const x0 = MARGIN
    const columns = widths.map((w) => w * this.width)
    const drawRow = (cells: ReadonlyArray<string | number | null>, bold: boolean) => {
      doc.font(bold ? 'bold' : 'regular').fontSize(9)
      const texts = cells.map((c) => (c === null ? '—' : String(c)))
      const height = Math.max(...texts.map((t, i) => doc.heightOfString(t, { width: (columns[i] ?? 0) - 6 }))) + 6
      if (doc.y + height > doc.page.height - MARGIN) {
        doc.addPage()
        if (!bold) drawRow(headers, true)
      }
      const y = doc.y
      let x = x0
      texts.forEach((t, i) => {
        const w = columns[i] ?? 0
        doc.rect(x, y, w, height).lineWidth(0.5).stroke()
        doc.text(t, x + 3, y + 3, { width: w - 6 })
        x += w
      })
      doc.x = x0
      doc.y = y + height
    }
    drawRow(headers, true)
    for (const row of rows) drawRow(row, false)
    doc.font('regular').fontSize(TEXT_SIZE).moveDown(0.5)
    return this
  }

  /** Lines to sign: «position ____________ name». */
  signatures(people: ReadonlyArray<{ position: string; name: string }>): this {
    this.doc.moveDown(0.8)
    for (const p of people) {
      this.doc.font('regular').fontSize(TEXT_SIZE).text(`${p.position}    ____________________    ${p.name}`)
      this.doc.moveDown(0.8)
    }
    return this
  }
}

/** Draws a document and returns its bytes. */
export function renderPdf(info: PdfInfo, draw: (pdf: PdfWriter) => void): Promise<Buffer> {
  const { regular, bold } = loadFonts()
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: info.title, Author: info.author, CreationDate: info.createdAt, ModDate: info.createdAt },
    lang: 'ru-RU',
    // The default font, so that pdfkit never loads its Helvetica metrics (a buffer works as a path does).
    font: regular as unknown as string,
  })
  doc.registerFont('regular', regular)
  doc.registerFont('bold', bold)
  doc.font('regular').fontSize(TEXT_SIZE)
  const chunks: Buffer[] = []
  return new Promise((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
    try {
      draw(new PdfWriter(doc))
      doc.end()
    } catch (error) {
      reject(error)
    }
  })
}
