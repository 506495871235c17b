import QRCode from 'qrcode'
import { renderPdf } from '#src/documents/pdf.ts'

/**
 * The QR stickers of «Оборудование» (issue 14) on A4 label sheets: 24 labels (3 × 8, 70 × 37 mm) or 65 labels
 * (5 × 13, 38.1 × 21.2 mm), as office label paper comes. Each label: the QR of the device's link, the words
 * «Сообщить о проблеме» and the inventory number. The QR is drawn as vector squares (crisp at any printer's
 * resolution); drawn in the PDF thread (documents/pdf-thread.ts), so only plain data comes in.
 */

export const stickerLayouts = [24, 65] as const
export type StickerLayout = (typeof stickerLayouts)[number]

export interface StickerDevice {
  inventoryNumber: string
  /** «Принтер HP LaserJet M404dn»: the type and model, on the big labels only. */
  what: string
  /** The link the QR carries: the bot's deep link, or the web form's address. */
  url: string
}

export interface StickersInput {
  layout: StickerLayout
  devices: StickerDevice[]
  /** Labels already peeled off the first sheet: printing starts at label `skip + 1` (left to right, top down). */
  skip?: number | undefined
  /** The operator, for the PDF's metadata. */
  author: string
  createdAt: string
}

const MM = 72 / 25.4

interface Sheet {
  columns: number
  rows: number
  width: number
  height: number
  /** The label's QR side and the padding inside a label, in mm. */
  qr: number
  pad: number
  title: number
  number: number
  what: number | null
}

export const labelsPerSheet: Record<StickerLayout, number> = { 24: 24, 65: 65 }

const sheets: Record<StickerLayout, Sheet> = {
  24: { columns: 3, rows: 8, width: 70, height: 37, qr: 31, pad: 3, title: 9, number: 10, what: 7 },
  65: { columns: 5, rows: 13, width: 38.1, height: 21.2, qr: 18.2, pad: 1.5, title: 5, number: 6, what: null },
}

export const TITLE = 'Сообщить о проблеме'

/** The sheets of labels for these devices, in order, as many pages as they need. */
export function stickersPdf(input: StickersInput): Promise<Buffer> {
  const sheet = sheets[input.layout]
  const pageWidth = 210 * MM
  const pageHeight = 297 * MM
  const left = (pageWidth - sheet.columns * sheet.width * MM) / 2
  const top = (pageHeight - sheet.rows * sheet.height * MM) / 2
  const perPage = sheet.columns * sheet.rows
  return renderPdf(
    { title: 'Наклейки оборудования', author: input.author, createdAt: new Date(input.createdAt) },
    (pdf) => {
      const doc = pdf.doc
      // Labels reach the sheet's edges: with the document's 2 cm margins pdfkit would move their text to a new page.
      doc.page.margins = { top: 0, bottom: 0, left: 0, right: 0 }
      const skip = input.skip ?? 0
      input.devices.forEach((device, index) => {
        const slot = (index + skip) % perPage
        if (index > 0 && slot === 0) doc.addPage({ size: 'A4', margin: 0 })
        const x = left + (slot % sheet.columns) * sheet.width * MM
        const y = top + Math.floor(slot / sheet.columns) * sheet.height * MM
        drawLabel(doc, sheet, x, y, device)
      })
    },
  )
}

function drawLabel(doc: PDFKit.PDFDocument, sheet: Sheet, x: number, y: number, device: StickerDevice): void {
  const pad = sheet.pad * MM
  const qrSide = sheet.qr * MM
  const qrTop = y + (sheet.height * MM - qrSide) / 2
  drawQr(doc, device.url, x + pad, qrTop, qrSide)
  // The QR is a link too: a label opened on screen (the PDF itself) is tapped as well as scanned.
  doc.link(x + pad, qrTop, qrSide, qrSide, device.url)
  const textX = x + pad + qrSide + pad
  const textWidth = sheet.width * MM - (textX - x) - pad
  let textY = y + pad * 1.5
  doc.font('bold').fontSize(sheet.title).fillColor('black')
  doc.text(TITLE, textX, textY, { width: textWidth })
  textY = doc.y + sheet.title * 0.3
  // The number is what people read out on the phone: made smaller to fit whole rather than cut.
  const number = `№ ${device.inventoryNumber}`
  doc.font('bold').fontSize(sheet.number)
  const size = Math.max(4, Math.min(sheet.number, (sheet.number * textWidth) / doc.widthOfString(number)))
  doc.fontSize(size).text(number, textX, textY, { width: textWidth + 1, lineBreak: false })
  textY = doc.y + size * 0.3
  if (sheet.what !== null && device.what !== '') {
    doc.font('regular').fontSize(sheet.what)
    doc.text(device.what, textX, textY, {
      width: textWidth,
      height: y + sheet.height * MM - pad - textY,
      ellipsis: true,
    })
  }
}

/** The QR's dark modules as squares, row runs merged; a quiet zone of two modules inside `side`. */
function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number, side: number): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
  const quiet = 2
  const cell = side / (modules.size + quiet * 2)
  for (let row = 0; row < modules.size; row += 1) {
    let run = -1
    for (let column = 0; column <= modules.size; column += 1) {
      const dark = column < modules.size && modules.get(row, column) === 1
      if (dark && run < 0) run = column
      if (!dark && run >= 0) {
        // A hair wider than the cell: no white seams between neighbouring squares in a viewer.
        doc.rect(x + (quiet + run) * cell, y + (quiet + row) * cell, (column - run) * cell + 0.05, cell + 0.05)
        run = -1
      }
    }
  }
  doc.fillColor('black').fill()
}
