import type { AuditRow } from '#src/db/schema.ts'
import { renderPdf } from '#src/documents/pdf.ts'
import type { SettingValue } from '#src/settings/settings.ts'

/**
 * The act of destruction of personal data in the form of Приказ РКН № 179 (п. 3: operator, the people who
 * destroyed, the subject, the categories, the system, the method, the reason, the date) and the extract
 * of the journal (п. 4: the subject, the categories, the system, the reason, the date, with the rows of
 * this destruction by id). The subject appears only as «Субъект № N»: the act outlives the data.
 */

export const SYSTEM_NAME = 'Информационная система «Служба ИТ-поддержки» (заявки, Telegram-бот, веб-интерфейс)'
export const DESTRUCTION_METHOD =
  'Обезличивание путём удаления идентифицирующих данных из базы данных информационной системы ' +
  '(перезапись освобождённых страниц базы данных нулями, удаление из журнала упреждающей записи и ' +
  'полнотекстового индекса) и удаление файлов с носителя сервера без возможности восстановления'

export interface CommissionMember {
  name: string
  position: string
}

export interface ActFacts {
  actId: number
  userId: number
  /** UTC ISO time of the destruction. */
  at: string
  operator: SettingValue<'org.requisites'>
  commission: readonly CommissionMember[]
  categories: readonly string[]
  reason: string
  /** Backup files made before the act (names), to be destroyed by their retention. */
  backups: readonly string[]
  /** How many files were removed (attachments, consent scans). */
  filesRemoved: number
  textsDeleted: boolean
  /** The display time zone (dates in the act are local). */
  tz: string
}

export function subjectLabel(userId: number): string {
  return `Субъект № ${userId}`
}

function localDate(iso: string, tz: string): string {
  return new Intl.DateTimeFormat('ru-RU', { timeZone: tz, day: '2-digit', month: '2-digit', year: 'numeric' }).format(
    new Date(iso),
  )
}

function localDateTime(iso: string, tz: string): string {
  return new Intl.DateTimeFormat('ru-RU', {
    timeZone: tz,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(new Date(iso))
}

function operatorLine(operator: ActFacts['operator']): string {
  const parts = [operator.name]
  if (operator.address) parts.push(`адрес: ${operator.address}`)
  if (operator.inn) parts.push(`ИНН ${operator.inn}`)
  if (operator.ogrn) parts.push(`ОГРН ${operator.ogrn}`)
  return parts.join(', ')
}

/** The act itself. */
export function renderDestructionAct(facts: ActFacts): Promise<Buffer> {
  const title = `Акт № ${facts.actId} об уничтожении персональных данных`
  return renderPdf({ title, author: facts.operator.shortName, createdAt: new Date(facts.at) }, (pdf) => {
    pdf.title(title)
    pdf.paragraph('Составлен по требованиям приказа Роскомнадзора от 28.10.2022 № 179', { align: 'center' })
    pdf.fields([
      ['Дата и время уничтожения', localDateTime(facts.at, facts.tz)],
      ['Дата составления акта', localDate(facts.at, facts.tz)],
    ])
    pdf.heading('1. Оператор персональных данных')
    pdf.paragraph(operatorLine(facts.operator))
    if (facts.operator.responsible)
      pdf.paragraph(`Ответственный за организацию обработки ПДн: ${facts.operator.responsible}`)
    pdf.heading('2. Комиссия, уничтожившая персональные данные')
    pdf.table(
      ['№', 'Фамилия, имя, отчество', 'Должность'],
      facts.commission.map((m, i) => [i + 1, m.name, m.position]),
      [0.08, 0.5, 0.42],
    )
    pdf.heading('3. Субъект персональных данных')
    pdf.paragraph(
      `${subjectLabel(facts.userId)} (идентификатор учётной записи в информационной системе; ` +
        'фамилия, имя и отчество уничтожены вместе с другими персональными данными)',
    )
    pdf.heading('4. Перечень категорий уничтоженных персональных данных')
    pdf.table(
      ['№', 'Категория'],
      facts.categories.map((c, i) => [i + 1, c]),
      [0.08, 0.92],
    )
    pdf.fields([
      ['Информационная система', SYSTEM_NAME],
      ['Материальный носитель', 'база данных и файловое хранилище сервера (без бумажных носителей)'],
      ['Удалено файлов', facts.filesRemoved],
      ['Тексты обращений', facts.textsDeleted ? 'удалены' : 'сохранены (не содержат идентифицирующих полей)'],
    ])
    pdf.heading('5. Способ уничтожения')
    pdf.paragraph(DESTRUCTION_METHOD)
    pdf.heading('6. Причина уничтожения')
    pdf.paragraph(facts.reason)
    pdf.heading('7. Резервные копии')
    if (facts.backups.length === 0) {
      pdf.paragraph('Резервных копий базы данных, созданных до уничтожения, в папке резервных копий нет.')
    } else {
      pdf.paragraph(
        'Резервные копии, созданные до уничтожения, содержат уничтоженные данные и подлежат уничтожению ' +
          'по истечении срока их хранения:',
      )
      pdf.table(
        ['№', 'Файл резервной копии'],
        facts.backups.map((b, i) => [i + 1, b]),
        [0.08, 0.92],
      )
    }
    pdf.heading('Подписи членов комиссии')
    pdf.signatures(facts.commission)
  })
}

/** The extract of the journal: the act's facts and the journal rows of this destruction, by id. */
export function renderJournalExtract(facts: ActFacts, rows: readonly AuditRow[]): Promise<Buffer> {
  const title = `Выгрузка из журнала регистрации событий к акту № ${facts.actId}`
  return renderPdf({ title, author: facts.operator.shortName, createdAt: new Date(facts.at) }, (pdf) => {
    pdf.title(title)
    pdf.fields([
      ['Оператор', operatorLine(facts.operator)],
      ['Субъект персональных данных', subjectLabel(facts.userId)],
      ['Категории уничтоженных данных', facts.categories.join('; ')],
      ['Информационная система', SYSTEM_NAME],
      ['Причина уничтожения', facts.reason],
      ['Дата уничтожения', localDateTime(facts.at, facts.tz)],
    ])
    pdf.heading('Записи журнала аудита')
    pdf.table(
      ['№ записи', 'Время', 'Действие', 'Описание', 'Хеш записи'],
      rows.map((r) => [
        Number(r.id),
        localDateTime(r.at, facts.tz),
        r.action,
        r.description,
        r.hash?.slice(0, 12) ?? '—',
      ]),
      [0.1, 0.19, 0.17, 0.38, 0.16],
    )
    pdf.paragraph(
      'Журнал не изменяется при уничтожении: записи содержат только идентификаторы, их целостность ' +
        'проверяется командой «helpdesk audit verify».',
    )
  })
}
