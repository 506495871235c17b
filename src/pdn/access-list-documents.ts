import { renderPdf } from '#src/documents/pdf.ts'
import { toCsv } from '#src/export/csv.ts'
import { formatDateTime } from '#src/format/zone-days.ts'
import type { SettingValue } from '#src/settings/settings.ts'
import { wallClock, workbookBuffer } from '#src/stats/workbook.ts'
import { type AccessList, type AccessListRow, staffRoleLabels } from './access-list.ts'

/** The list of people with access to ПДн as documents: PDF to sign, XLSX and CSV to work with. */

export const ACCESS_LIST_TITLE = 'Перечень лиц, имеющих доступ к персональным данным'
const SYSTEM = 'Информационная система «Служба ИТ-поддержки» (заявки, Telegram-бот, веб-интерфейс)'

const headers = [
  '№ п/п',
  'ФИО',
  'Должность',
  'Роль в системе',
  'К каким ПДн имеет доступ',
  'С какого времени',
  'Основание',
  'Кем предоставлен доступ',
] as const

function cells(row: AccessListRow, i: number, tz: string): Array<string | number> {
  return [
    i + 1,
    row.fullName,
    [row.position, row.department].filter(Boolean).join(', ') || '—',
    staffRoleLabels[row.role],
    row.reach,
    formatDateTime(row.since, tz),
    row.basis,
    row.approvedBy ?? '—',
  ]
}

/** The PDF (A4): the operator, the system, the table, and a line for the person responsible to approve it. */
export function accessListPdf(list: AccessList, operator: SettingValue<'org.requisites'>, tz: string): Promise<Buffer> {
  return renderPdf(
    { title: ACCESS_LIST_TITLE, author: operator.name, createdAt: new Date(list.generatedAt) },
    (pdf) => {
      pdf.title(ACCESS_LIST_TITLE)
      pdf.paragraph('(постановление Правительства РФ от 01.11.2012 № 1119, п. 13)', { align: 'center' })
      pdf.fields([
        ['Оператор', operator.name],
        ['ИНН', operator.inn],
        ['ОГРН', operator.ogrn],
        ['Адрес', operator.address],
        ['Информационная система', SYSTEM],
        ['Составлен', formatDateTime(list.generatedAt, tz)],
        ['Всего лиц', list.rows.length],
      ])
      if (list.rows.length === 0) {
        pdf.paragraph('Работников с доступом к персональным данным в системе нет.')
      } else {
        // Six columns fit A4 upright: the person with their position, the access, and who gave it when.
        pdf.table(
          [
            '№ п/п',
            'ФИО, должность',
            'Роль в системе',
            'К каким ПДн имеет доступ',
            'С какого дня',
            'Основание, кем предоставлен',
          ],
          list.rows.map((row, i) => [
            i + 1,
            [row.fullName, row.position, row.department].filter(Boolean).join(', '),
            staffRoleLabels[row.role],
            row.reach,
            formatDateTime(row.since, tz).slice(0, 10),
            `${row.basis}; ${row.approvedBy ?? '—'}`,
          ]),
          [0.06, 0.19, 0.16, 0.27, 0.14, 0.18],
        )
      }
      pdf.paragraph(
        'Доступ определяется ролью учётной записи; дата и основание взяты из журнала аудита системы ' +
          '(назначение роли, создание, подтверждение или включение учётной записи).',
      )
      pdf.signatures([{ position: operator.responsible || 'Ответственный за организацию обработки ПДн', name: '' }])
    },
  )
}

export function accessListXlsx(list: AccessList, tz: string): Promise<Buffer> {
  return workbookBuffer([
    {
      name: 'Доступ к ПДн',
      columns: [
        { header: headers[0], width: 7 },
        { header: headers[1], width: 32 },
        { header: headers[2], width: 30 },
        { header: headers[3], width: 16 },
        { header: headers[4], width: 60 },
        { header: headers[5], width: 18, format: 'dd.mm.yyyy hh:mm' },
        { header: headers[6], width: 26 },
        { header: headers[7], width: 30 },
      ],
      rows: list.rows.map((row, i) => {
        const line: Array<string | number | Date> = cells(row, i, tz)
        line[5] = wallClock(row.since, tz)
        return line
      }),
    },
  ])
}

export function accessListCsv(list: AccessList, tz: string): string {
  return toCsv(
    headers,
    list.rows.map((row, i) => cells(row, i, tz)),
    { delimiter: ';' },
  )
}
