import { describe, expect, test } from 'vitest'
import { pdfText } from '../../test/support/pdf.ts'
import { type PdfWriter, renderPdf } from './pdf.ts'

describe('PDF documents', () => {
  test('Cyrillic text, fields, a table across pages and signatures come out as text a reader extracts', async () => {
    const rows = Array.from({ length: 80 }, (_, i) => [i + 1, `Исполнитель ИТ-отдела № ${i + 1}`, 'чтение'])
    const bytes = await renderPdf(
      { title: 'Акт об уничтожении', author: 'ОБУЗ КГКБСМП', createdAt: new Date('2026-12-03T09:00:00Z') },
      (pdf) =>
        pdf
          .title('Акт об уничтожении персональных данных')
          .paragraph('Съешь же ещё этих мягких французских булок, да выпей чаю.')
          .fields([
            ['Оператор', 'ОБУЗ «КГКБСМП»'],
            ['Телефон', null],
          ])
          .table(['№', 'Кто', 'Что'], rows, [0.1, 0.6, 0.3])
          .signatures([{ position: 'Председатель комиссии', name: 'Иванов И. И.' }]),
    )
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-')
    const text = pdfText(bytes)
    expect(text).toContain('Акт об уничтожении персональных данных')
    expect(text).toContain('Съешь же ещё этих мягких французских булок')
    expect(text).toMatch(/Оператор:\s+ОБУЗ «КГКБСМП»/)
    expect(text).toMatch(/Телефон:\s+—/)
    expect(text).toContain('Исполнитель ИТ-отдела № 80')
    expect(text).toContain('Председатель комиссии')
    // 80 rows do not fit on one page: the header comes again on the next.
    expect(text.split('\f').filter((page) => page.includes('Кто')).length).toBeGreaterThan(1)
  })

  test('the same input gives the same bytes (dates come from the caller)', async () => {
    const info = { title: 'Т', author: 'А', createdAt: new Date('2026-01-01T00:00:00Z') }
    const draw = (pdf: PdfWriter) => void pdf.paragraph('Один и тот же текст')
    const [a, b] = await Promise.all([renderPdf(info, draw), renderPdf(info, draw)])
    expect(a.equals(b)).toBe(true)
  })
})
