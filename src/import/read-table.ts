import { parse } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import { DomainError } from '#src/errors.ts'
import { columnLetter, type ImportKind, matchHeader } from './columns.ts'

/**
 * An import file (CSV or XLSX) read into rows of the kind's fields. The file's own problems (not a table,
 * no header, wrong columns) refuse it as a whole; a problem of one row travels with the row (`problem`)
 * and becomes a bad row of the plan, with its line number.
 */

/** Bigger than any hospital's staff list as XLSX or CSV (10 000 people are about 1 MB). */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024
/** Rows after the header. */
const MAX_IMPORT_ROWS = 50_000

export interface ImportRow {
  /** The line of the file (CSV) or the row of the sheet (XLSX) it came from, 1 being the header. */
  line: number
  values: Readonly<Record<string, string>>
  /** Why this row cannot be read (a formula in a cell): it is a bad row whatever it says. */
  problem?: string
}

export interface ImportTable {
  format: 'csv' | 'xlsx'
  /** CSV only: how the bytes were read. */
  encoding?: 'utf-8' | 'windows-1251'
  delimiter?: ',' | ';'
  rows: ImportRow[]
}

export interface ImportFile {
  fileName: string
  bytes: Uint8Array
}

/** Reads the file by its content (an XLSX is a ZIP), whatever its name says; refuses what is neither. */
export async function readTable(kind: ImportKind, file: ImportFile): Promise<ImportTable> {
  if (file.bytes.length === 0) throw new DomainError('validation', 'Файл пустой')
  if (file.bytes.length > MAX_IMPORT_BYTES) {
    throw new DomainError('validation', `Файл больше ${MAX_IMPORT_BYTES / 1024 / 1024} МБ — разделите его на части`)
  }
  const zip = file.bytes[0] === 0x50 && file.bytes[1] === 0x4b
  if (zip) return readXlsx(kind, file.bytes)
  if (/\.xlsx?$/i.test(file.fileName)) {
    throw new DomainError('validation', 'Файл назван .xlsx, но это не книга Excel: сохраните его как .xlsx или .csv')
  }
  return readCsv(kind, file.bytes)
}

/** UTF-8 (with or without a BOM) when the bytes are valid UTF-8; otherwise Windows-1251, as 1С often writes. */
function decodeText(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'windows-1251' } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
    return { text, encoding: 'utf-8' }
  } catch {
    return { text: new TextDecoder('windows-1251').decode(bytes), encoding: 'windows-1251' }
  }
}

/** `;` (Russian Excel, 1С) or `,`: whichever the header line holds more of, outside quotes. */
function detectDelimiter(text: string): ',' | ';' {
  let semicolons = 0
  let commas = 0
  let quoted = false
  for (const char of text) {
    if (char === '"') quoted = !quoted
    else if (!quoted && (char === '\n' || char === '\r')) break
    else if (!quoted && char === ';') semicolons += 1
    else if (!quoted && char === ',') commas += 1
  }
  return semicolons >= commas && semicolons > 0 ? ';' : ','
}

function readCsv(kind: ImportKind, bytes: Uint8Array): ImportTable {
  const { text, encoding } = decodeText(bytes)
  const delimiter = detectDelimiter(text.replace(/^\uFEFF/, ''))
  let records: Array<{ record: string[]; info: { lines: number } }>
  try {
    records = parse(text, {
      bom: true,
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>
  } catch (error) {
    const where = (error as { lines?: number }).lines
    throw new DomainError(
      'validation',
      `Не удалось прочитать CSV${where ? ` (строка ${where})` : ''}: проверьте кавычки и разделители`,
    )
  }
  const [head, ...body] = records
  if (!head) throw new DomainError('validation', 'В файле нет строки заголовков')
  const fields = headerFields(kind, head.record)
  if (body.length > MAX_IMPORT_ROWS) throw tooManyRows()
  const rows = body.map(({ record, info }) => rowOf(info.lines, fields, record))
  return { format: 'csv', encoding, delimiter, rows: rows.filter((row) => !isBlank(row)) }
}

async function readXlsx(kind: ImportKind, bytes: Uint8Array): Promise<ImportTable> {
  const workbook = new ExcelJS.Workbook()
  try {
    await workbook.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer)
  } catch {
    throw new DomainError('validation', 'Не удалось прочитать книгу Excel: сохраните её заново как .xlsx или как .csv')
  }
  const sheet = workbook.worksheets[0]
  if (!sheet || sheet.actualRowCount === 0) throw new DomainError('validation', 'Первый лист книги пустой')
  if (sheet.actualRowCount - 1 > MAX_IMPORT_ROWS) throw tooManyRows()
  let fields: Array<string | undefined> | undefined
  const rows: ImportRow[] = []
  sheet.eachRow({ includeEmpty: false }, (row, number) => {
    const cells: string[] = []
    const formulas: string[] = []
    const count = Math.max(row.cellCount, fields?.length ?? 0)
    for (let column = 1; column <= count; column += 1) {
      const cell = row.getCell(column)
      if (cell.type === ExcelJS.ValueType.Formula) formulas.push(`${columnLetter(column - 1)}${number}`)
      cells.push(cellText(cell.value))
    }
    if (fields === undefined) {
      if (formulas.length > 0) throw new DomainError('validation', `В строке заголовков формула (${formulas[0]})`)
      fields = headerFields(kind, cells)
      return
    }
    const read = rowOf(number, fields, cells)
    // A formula's value is whatever Excel last computed, if it saved one: an import takes only typed values.
    rows.push(
      formulas.length > 0
        ? {
            ...read,
            problem: `${formulas.length === 1 ? 'ячейка' : 'ячейки'} ${formulas.join(', ')} ${formulas.length === 1 ? 'содержит формулу' : 'содержат формулы'} — замените формулы значениями (Специальная вставка → Значения)`,
          }
        : read,
    )
  })
  if (fields === undefined) throw new DomainError('validation', 'В файле нет строки заголовков')
  return { format: 'xlsx', rows: rows.filter((row) => !isBlank(row)) }
}

/** A cell as text: numbers as Excel shows them plainly, dates as ДД.ММ.ГГГГ, rich text joined. */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value.trim()
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value)
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (value instanceof Date) {
    const iso = value.toISOString()
    // A time of day alone (Excel keeps it as a fraction of a day after 30.12.1899): as ЧЧ:ММ.
    if (iso.startsWith('1899-12-30')) return iso.slice(11, 16)
    return `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`
  }
  if ('richText' in value)
    return value.richText
      .map((part) => part.text)
      .join('')
      .trim()
  if ('text' in value && typeof value.text === 'string') return value.text.trim()
  if ('result' in value) return cellText((value.result ?? null) as ExcelJS.CellValue)
  return ''
}

function headerFields(kind: ImportKind, header: readonly string[]): Array<string | undefined> {
  const fields = matchHeader(kind, header)
  if (kind === 'users' && !fields.includes('employee_number') && !fields.includes('telegram_id')) {
    throw new DomainError(
      'validation',
      'Нужен столбец «Табельный номер» или «Telegram id»: по ним повторный импорт узнаёт людей',
    )
  }
  return fields
}

function rowOf(line: number, fields: ReadonlyArray<string | undefined>, cells: readonly string[]): ImportRow {
  const values: Record<string, string> = {}
  for (const [index, field] of fields.entries()) {
    if (field !== undefined) values[field] = (cells[index] ?? '').replaceAll('\u0000', '').trim()
  }
  // Text under an empty header would be lost silently: the row says where it is.
  const stray = cells.findIndex((cell, index) => fields[index] === undefined && cell.trim() !== '')
  if (stray !== -1) {
    return { line, values, problem: `значение в столбце ${columnLetter(stray)} без заголовка` }
  }
  return { line, values }
}

function isBlank(row: ImportRow): boolean {
  return row.problem === undefined && Object.values(row.values).every((value) => value === '')
}

function tooManyRows(): DomainError {
  return new DomainError('validation', `В файле больше ${MAX_IMPORT_ROWS} строк — разделите его на части`)
}
