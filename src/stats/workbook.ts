import { PassThrough, type Readable } from 'node:stream'
import { setImmediate } from 'node:timers/promises'
import ExcelJS from 'exceljs'
import { inBatches } from '#src/export/csv.ts'
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

type Cell = string | number | Date | null | undefined

export interface Sheet {
  /** At most 31 characters (Excel's limit); `[]:*?/\` are not allowed. */
  name: string
  columns: SheetColumn[]
  /** Any iterable: rows made as they are taken are made between two yields to the event loop. */
  rows: Iterable<ReadonlyArray<Cell>>
}

/** A sheet whose rows come in batches as they are read (an export's pages), for `workbookStream`. */
export interface StreamedSheet extends Omit<Sheet, 'rows'> {
  rows: AsyncIterable<ReadonlyArray<ReadonlyArray<Cell>>>
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** Rows of a workbook made in memory taken between two yields to the event loop. */
const ROWS_PER_TURN = 500
/** Rows written to a sheet between two yields to the event loop. */
const ROWS_PER_SLICE = 50

/**
 * The workbook's bytes. Written by exceljs's streaming writer, rows committed as they are added and the
 * event loop let go every ROWS_PER_TURN rows: the in-memory Workbook serialised 10 000 ticket rows in one
 * synchronous stretch of about a second.
 */
export async function workbookBuffer(sheets: Sheet[]): Promise<Buffer> {
  const chunks: Buffer[] = []
  const batched = sheets.map((sheet) => ({ ...sheet, rows: inBatches(sheet.rows, ROWS_PER_TURN) }))
  for await (const chunk of workbookStream(batched)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/**
 * The workbook as a stream of its bytes, written as it is read: each batch of rows is committed to the
 * sheet as it comes, and the next one is asked for only once the reader has taken what is written (a
 * slow download holds a batch or two in memory, not the workbook). A reader that goes away (the stream
 * destroyed) stops the batches' source; a source that fails destroys the stream with its error.
 */
export function workbookStream(sheets: StreamedSheet[]): Readable {
  const sink = new PassThrough()
  writeWorkbook(sink, sheets).catch((error: unknown) => {
    sink.destroy(error instanceof Error ? error : new Error(String(error)))
  })
  return sink
}

async function writeWorkbook(sink: PassThrough, sheets: StreamedSheet[]): Promise<void> {
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
    for await (const batch of sheet.rows) {
      for (const [index, row] of batch.entries()) {
        worksheet.addRow(row.map((cell) => (cell === undefined ? null : cell))).commit()
        // A row costs exceljs about 0.1 ms: a request beside a big export waits a few milliseconds at most.
        if ((index + 1) % ROWS_PER_SLICE === 0) await setImmediate()
      }
      if (sink.writableNeedDrain && !sink.destroyed) await drained(sink)
      // Leaving the loop returns the source's iterator: an export stops reading pages.
      if (sink.destroyed) return
    }
    worksheet.commit()
  }
  await workbook.commit()
}

/** Resolves once the reader has taken the stream's buffer, or has gone away. */
function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
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
