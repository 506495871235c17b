import { setImmediate } from 'node:timers/promises'

/**
 * CSV for people who open it in Excel (COMPLIANCE.md §5): UTF-8 with a BOM so that Russian Excel shows
 * Cyrillic, CRLF line ends, RFC 4180 quoting, and every cell that a spreadsheet would read as a formula
 * (`= + - @`, tab, CR) prefixed with an apostrophe. Russian Excel expects `;` between cells.
 */
export type CsvDelimiter = ',' | ';'

export interface CsvOptions {
  delimiter?: CsvDelimiter
}

export const CSV_BOM = '\uFEFF'

const FORMULA_START = /^[=+\-@\t\r]/

/** The text of one cell, before quoting: null and undefined are empty, dates ISO, formulas defused. */
export function csvCellText(value: unknown): string {
  const text = stringify(value)
  return FORMULA_START.test(text) ? `'${text}` : text
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function quote(text: string, delimiter: CsvDelimiter): string {
  const needsQuotes = text.includes('"') || text.includes(delimiter) || text.includes('\n') || text.includes('\r')
  return needsQuotes ? `"${text.replaceAll('"', '""')}"` : text
}

/** One row as a CSV line, without its line end. */
export function csvLine(cells: readonly unknown[], delimiter: CsvDelimiter): string {
  return cells.map((cell) => quote(csvCellText(cell), delimiter)).join(delimiter)
}

/** A whole CSV document: BOM, header, rows, each line ended by CRLF. */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
  options: CsvOptions = {},
): string {
  const delimiter = options.delimiter ?? ','
  const lines = [csvLine(header, delimiter), ...rows.map((row) => csvLine(row, delimiter))]
  return `${CSV_BOM}${lines.join('\r\n')}\r\n`
}

/**
 * The same document as `toCsv`, byte for byte, as a stream: the BOM and header at once, then each batch of
 * rows as it comes, so that a big export is neither built in memory nor formatted in one event-loop turn.
 */
export function csvStream(
  header: readonly string[],
  batches: AsyncIterable<readonly (readonly unknown[])[]>,
  options: CsvOptions = {},
): ReadableStream<Uint8Array> {
  const delimiter = options.delimiter ?? ','
  const encoder = new TextEncoder()
  const iterator = batches[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`${CSV_BOM}${csvLine(header, delimiter)}\r\n`))
    },
    async pull(controller) {
      // A pull that enqueues nothing is not called again: empty batches are skipped here.
      for (;;) {
        const next = await iterator.next()
        if (next.done) return controller.close()
        if (next.value.length === 0) continue
        controller.enqueue(encoder.encode(next.value.map((row) => `${csvLine(row, delimiter)}\r\n`).join('')))
        return
      }
    },
    async cancel() {
      // The reader went away (a closed download): the source stops reading pages.
      await iterator.return?.()
    },
  })
}

/** Rows (made as they are taken) as batches for `csvStream`, the event loop let go between two batches. */
export async function* inBatches<T>(rows: Iterable<T>, size = 500): AsyncGenerator<T[]> {
  let batch: T[] = []
  for (const row of rows) {
    batch.push(row)
    if (batch.length < size) continue
    yield batch
    batch = []
    await setImmediate()
  }
  if (batch.length > 0) yield batch
}
