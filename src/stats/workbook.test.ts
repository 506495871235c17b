import ExcelJS from 'exceljs'
import { expect, test } from 'vitest'
import { workbookBuffer } from './workbook.ts'

test('a workbook of many rows (written a few hundred at a time) keeps every row and the layout', async () => {
  const rows = Array.from({ length: 1_234 }, (_, i) => [
    i + 1,
    i === 7 ? '=HYPERLINK("http://evil")' : `Заявка ${i + 1}`,
    new Date(Date.UTC(2026, 2, 5, 11, i % 60)),
    i % 2 === 0 ? null : undefined,
  ])
  const bytes = await workbookBuffer([
    {
      name: 'Заявки: [март]',
      columns: [
        { header: '№', width: 8 },
        { header: 'Заголовок', width: 48 },
        { header: 'Создана', width: 17, format: 'dd.mm.yyyy hh:mm' },
        { header: 'Пусто' },
      ],
      rows,
    },
    { name: 'Сводка', columns: [{ header: 'Показатель' }], rows: [['Всего']] },
  ])
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer)
  expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['Заявки   март ', 'Сводка'])
  const sheet = workbook.worksheets[0]
  expect(sheet?.rowCount).toBe(1_235)
  expect(sheet?.getRow(1).values).toEqual([undefined, '№', 'Заголовок', 'Создана', 'Пусто'])
  expect(sheet?.getCell('A1').font?.bold).toBe(true)
  expect(sheet?.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 })
  expect(sheet?.autoFilter).toBe('A1:D1')
  expect(sheet?.getColumn(2).width).toBe(48)
  expect(sheet?.getColumn(4).width).toBe(10)
  expect(sheet?.getRow(2).values).toEqual([undefined, 1, 'Заявка 1', new Date(Date.UTC(2026, 2, 5, 11, 0))])
  expect(sheet?.getCell('C2').numFmt).toBe('dd.mm.yyyy hh:mm')
  expect(sheet?.getRow(1_235).getCell(1).value).toBe(1_234)
  expect(sheet?.getCell('C1235').value).toEqual(new Date(Date.UTC(2026, 2, 5, 11, 33)))
  // A text that looks like a formula stays text.
  expect(sheet?.getCell('B9').value).toBe('=HYPERLINK("http://evil")')
  expect(sheet?.getCell('B9').formula).toBeUndefined()
  expect(workbook.worksheets[1]?.getCell('A2').value).toBe('Всего')
})
