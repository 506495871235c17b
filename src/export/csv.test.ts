import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { CSV_BOM, type CsvDelimiter, csvCellText, csvStream, inBatches, toCsv } from './csv.ts'

/** A strict RFC 4180 reader, independent of the writer, to read our output back. */
function parseCsv(text: string, delimiter: CsvDelimiter): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let i = 0
  let quoted = false
  while (i < text.length) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i += 2
      } else if (ch === '"') {
        quoted = false
        i++
      } else {
        cell += ch
        i++
      }
    } else if (ch === '"' && cell === '') {
      quoted = true
      i++
    } else if (ch === delimiter) {
      row.push(cell)
      cell = ''
      i++
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i += 2
    } else {
      cell += ch
      i++
    }
  }
  if (cell !== '' || row.length > 0) throw new Error('the document does not end with CRLF')
  return rows
}

function body(csv: string): string {
  expect(csv.startsWith(CSV_BOM)).toBe(true)
  return csv.slice(CSV_BOM.length)
}

describe('toCsv', () => {
  test('starts with a BOM, ends lines with CRLF and keeps Cyrillic intact', () => {
    const csv = toCsv(['Действие', 'Описание'], [['user.confirm', 'Подтверждена регистрация — ё']])
    expect(csv).toBe(`${CSV_BOM}Действие,Описание\r\nuser.confirm,Подтверждена регистрация — ё\r\n`)
    expect(Buffer.from(csv, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
  })

  test('quotes cells with the delimiter, quotes and line breaks', () => {
    const csv = toCsv(['a', 'b', 'c'], [['x,y', 'say "hi"', 'two\nlines']])
    expect(body(csv)).toBe('a,b,c\r\n"x,y","say ""hi""","two\nlines"\r\n')
  })

  test('with `;` a comma needs no quotes but a semicolon does', () => {
    const csv = toCsv(['a', 'b'], [['1,5', 'x;y']], { delimiter: ';' })
    expect(body(csv)).toBe('a;b\r\n1,5;"x;y"\r\n')
  })

  test.each([
    ['=HYPERLINK("http://evil")', `'=HYPERLINK("http://evil")`],
    ['+79001234567', `'+79001234567`],
    ['-1', `'-1`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\tcmd', `'\tcmd`],
    ['\rcmd', `'\rcmd`],
    ['обычный текст', 'обычный текст'],
    ['a=b', 'a=b'],
  ])('neutralises a formula cell %j', (input, expected) => {
    expect(csvCellText(input)).toBe(expected)
  })

  test('writes null and undefined as empty cells, numbers and dates as text', () => {
    const csv = toCsv(['a', 'b', 'c', 'd'], [[null, undefined, 42, new Date('2026-01-02T03:04:05.000Z')]])
    expect(body(csv)).toBe('a,b,c,d\r\n,,42,2026-01-02T03:04:05.000Z\r\n')
  })

  test('a negative number is neutralised too (it starts with a minus)', () => {
    expect(csvCellText(-5)).toBe("'-5")
  })

  const cell = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({
      unit: fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '"', ',', ';', 'а', 'Ё', ' ', 'x'),
      maxLength: 8,
    }),
  )
  const table = fc
    .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 6 }))
    .chain(([width, height]) =>
      fc.tuple(
        fc.array(cell, { minLength: width, maxLength: width }),
        fc.array(fc.array(cell, { minLength: width, maxLength: width }), { minLength: height, maxLength: height }),
      ),
    )

  test.each([',', ';'] as const)('reads back as the neutralised input, never a formula (delimiter %j)', (delimiter) => {
    fc.assert(
      fc.property(table, ([header, rows]) => {
        const parsed = parseCsv(body(toCsv(header, rows, { delimiter })), delimiter)
        const expected = [header, ...rows].map((r) => r.map(csvCellText))
        expect(parsed).toEqual(expected)
        for (const parsedRow of parsed) {
          for (const text of parsedRow) expect(/^[=+\-@\t\r]/.test(text)).toBe(false)
        }
      }),
      { numRuns: 500 },
    )
  })
})

describe('csvStream', () => {
  test('streams the same bytes as toCsv, whatever the batches (empty ones and none included)', async () => {
    const cell = fc.oneof(
      fc.string(),
      fc.constantFrom('=SUM(A1)', '-1', 'a;b', 'x\r\ny', '"q"'),
      fc.integer(),
      fc.constant(null),
    )
    const row = fc.array(cell, { minLength: 3, maxLength: 3 })
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(row, { maxLength: 4 }), { maxLength: 5 }),
        fc.constantFrom<CsvDelimiter>(';', ','),
        async (batches, delimiter) => {
          async function* source() {
            for (const batch of batches) yield batch
          }
          const streamed = Buffer.from(
            await new Response(csvStream(['a', 'б', '=c'], source(), { delimiter })).arrayBuffer(),
          )
          expect(streamed.equals(Buffer.from(toCsv(['a', 'б', '=c'], batches.flat(), { delimiter }), 'utf8'))).toBe(
            true,
          )
        },
      ),
      { numRuns: 200 },
    )
  })

  test('a reader that goes away stops the source', async () => {
    let read = 0
    let stopped = false
    async function* source() {
      try {
        for (;;) {
          read++
          yield [[read]]
        }
      } finally {
        stopped = true
      }
    }
    const reader = csvStream(['n'], source()).getReader()
    await reader.read()
    await reader.read()
    await reader.cancel()
    expect(stopped).toBe(true)
    expect(read).toBeLessThan(5)
  })
})

test('inBatches hands rows over in order, a batch at a time, taking each row only when its batch is due', async () => {
  let taken = 0
  function* rows() {
    for (let i = 1; i <= 7; i++) {
      taken = i
      yield i
    }
  }
  const seen: number[][] = []
  for await (const batch of inBatches(rows(), 3)) {
    seen.push(batch)
    expect(taken).toBe(Math.min(seen.length * 3, 7))
  }
  expect(seen).toEqual([[1, 2, 3], [4, 5, 6], [7]])
  const empty: number[][] = []
  for await (const batch of inBatches([], 3)) empty.push(batch)
  expect(empty).toEqual([])
})
