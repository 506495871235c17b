import { PassThrough } from 'node:stream'
import { setImmediate } from 'node:timers/promises'
import ExcelJS from 'exceljs'
import { wallClockMs } from '#src/format/zone-days.ts'

/**
 * XLSX for people who open reports and lists in Excel: one sheet a table, a bold frozen header with a
 * filter, real numbers and dates (so that a column sorts and sums). A text cell stays text: exceljs
 * writes a string as a string, never as a formula, so `=…` from a ticket title cannot run.
 */

export interface SheetColumn {
  header: string
  /** In characters. */
  width?: number
  /** An Excel number format, e.g. `dd.mm.yyyy hh:mm` or `0.0`. */
  format?: string
}

export interface Sheet {
  /** At most 31 characters (Excel's limit); `[]:*?/\` are not allowed. */
  name: string
  columns: SheetColumn[]
  /** Any iterable: rows made as they are taken are made between two yields to the event loop. */
  rows: Iterable<ReadonlyArray<string | number | Date | null | undefined>>
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** Rows written between two yields to the event loop. */
const ROWS_PER_TURN = 500

/**
 * The workbook's bytes. Written by exceljs's streaming writer, rows committed as they are added and the
 * event loop let go every ROWS_PER_TURN rows: the in-memory Workbook serialised 10 000 ticket rows in one
 * synchronous stretch of about a second.
 */
export async function workbookBuffer(sheets: Sheet[]): Promise<Buffer> {
  const chunks: Buffer[] = []
  const sink = new PassThrough()
  sink.on('data', (chunk: Buffer) => chunks.push(chunk))
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: false })
  workbook.creator = 'ИТ-поддержка КГКБСМП'
  for (const sheet of sheets) {
    const worksheet = workbook.addWorksheet(sheetName(sheet.name), { views: [{ state: 'frozen', ySplit: 1 }] })
    worksheet.columns = sheet.columns.map((column) => ({
      header: column.header,
      width: column.width ?? Math.max(10, column.header.length + 2),
      ...(column.format ? { style: { numFmt: column.format } } : {}),
    }))
    worksheet.getRow(1).font = { bold: true }
    if (sheet.columns.length > 0) {
      worksheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: sheet.columns.length } }
    }
    let written = 0
    for (const row of sheet.rows) {
      worksheet.addRow(row.map((cell) => (cell === undefined ? null : cell))).commit()
      if (++written % ROWS_PER_TURN === 0) await setImmediate()
    }
    worksheet.commit()
  }
  await workbook.commit()
  return Buffer.concat(chunks)
}

/**
 * A date for a spreadsheet cell: Excel has no time zones, so the cell holds the wall-clock time of the
 * display zone (what the person sees on the page), stored as if it were UTC.
 */
export function wallClock(iso: string, tz: string): Date {
  return new Date(wallClockMs(Date.parse(iso), tz))
}

function sheetName(name: string): string {
  return name.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31)
}
