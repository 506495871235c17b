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

function line(cells: readonly unknown[], delimiter: CsvDelimiter): string {
  return cells.map((cell) => quote(csvCellText(cell), delimiter)).join(delimiter)
}

/** A whole CSV document: BOM, header, rows, each line ended by CRLF. */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
  options: CsvOptions = {},
): string {
  const delimiter = options.delimiter ?? ','
  const lines = [line(header, delimiter), ...rows.map((row) => line(row, delimiter))]
  return `${CSV_BOM}${lines.join('\r\n')}\r\n`
}
