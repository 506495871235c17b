import { toCsv } from '#src/export/csv.ts'
import { workbookBuffer } from '#src/stats/workbook.ts'
import { columnsOf, type ImportKind } from './columns.ts'

/**
 * The downloadable templates of «Пользователи → Импорт»: the header row of the kind's documented columns and
 * one example row. The CSV is what Russian Excel opens as is (BOM, `;`); the XLSX keeps «000123» as text.
 */

export function templateCsv(kind: ImportKind): string {
  const columns = columnsOf(kind)
  return toCsv(
    columns.map((c) => c.header),
    [columns.map((c) => c.example)],
    { delimiter: ';' },
  )
}

export function templateXlsx(kind: ImportKind): Promise<Buffer> {
  const columns = columnsOf(kind)
  return workbookBuffer([
    {
      name: 'Импорт',
      columns: columns.map((c) => ({ header: c.header, width: Math.max(14, c.header.length + 4) })),
      rows: [columns.map((c) => c.example)],
    },
  ])
}
