import { zipSync } from 'fflate'
import { renderPdf } from '#src/documents/pdf.ts'
import { formatDateTime } from '#src/format/zone-days.ts'
import type { SettingValue } from '#src/settings/settings.ts'
import type { SubjectData, SubjectFile } from './subject-data.ts'

export interface AccessAnswerDocuments {
  pdf: Buffer
  zip: Uint8Array
}

export interface AccessAnswerContext {
  org: SettingValue<'org.requisites'>
  retentionYears: number
  /** When the answer is made: the documents' dates (the same input gives the same bytes). */
  createdAt: Date
  timeZone: string
  /** The request answered, when there is one. */
  requestId?: number | null
}

const consentChannels: Record<string, string> = { bot: 'Telegram-бот', web: 'сайт', paper: 'на бумаге' }
const consentStatuses: Record<string, string> = { given: 'дано', refused: 'не дано', withdrawn: 'отозвано' }

/**
 * The access answer (ст. 14 ч. 7): one PDF the person reads, and a ZIP with the same data as JSON and the
 * files they sent. Built from SubjectData alone, which holds no other person's name.
 */
export async function renderAccessAnswer(
  data: SubjectData,
  files: readonly SubjectFile[],
  context: AccessAnswerContext,
): Promise<AccessAnswerDocuments> {
  const when = (iso: string | null) => (iso === null ? null : formatDateTime(iso, context.timeZone).slice(0, 16))
  const { org } = context
  const p = data.profile
  const pdf = await renderPdf(
    { title: 'Сведения о персональных данных', author: org.shortName, createdAt: context.createdAt },
    (doc) => {
      doc
        .title('Сведения о персональных данных, обрабатываемых оператором')
        .paragraph(
          `Ответ на запрос субъекта персональных данных${context.requestId ? ` № ${context.requestId}` : ''} ` +
            `(статья 14 Федерального закона от 27.07.2006 № 152-ФЗ «О персональных данных»). ` +
            `Сформирован ${when(context.createdAt.toISOString())}.`,
        )
        .heading('Оператор')
        .fields([
          ['Наименование', org.name],
          ['ИНН', org.inn],
          ['ОГРН', org.ogrn],
          ['Адрес', org.address],
          ['Ответственный за организацию обработки ПДн', org.responsible],
        ])
        .heading('Обработка')
        .paragraph(
          'Цель обработки: приём и исполнение заявок сотрудников больницы в службу ИТ-поддержки, связь с ' +
            'заявителем. Правовое основание: согласие субъекта (ст. 6 ч. 1 п. 1, ст. 9 152-ФЗ). Способ: ' +
            'автоматизированная обработка в информационной системе «Служба ИТ-поддержки» (сбор, запись, ' +
            'систематизация, хранение, уточнение, использование, блокирование, уничтожение). Персональные данные ' +
            'третьим лицам не передаются, трансграничная передача не осуществляется. ' +
            `Срок хранения заявок после закрытия: ${context.retentionYears} лет; при отзыве согласия данные ` +
            'уничтожаются (обезличиваются) в течение 30 дней. Вы вправе требовать уточнения, блокирования или ' +
            'уничтожения своих данных и отозвать согласие, обратившись к оператору.',
        )
        .heading('1. Ваши данные')
        .fields([
          ['Номер в системе', p.id],
          ['ФИО', p.fullName],
          ['Телефон', p.phone],
          ['Электронная почта', p.email],
          ['Табельный номер', p.employeeNumber],
          ['Отделение', p.department],
          ['Должность', p.position],
          ['Кабинет', p.room],
          ['Логин', p.login],
          ['Telegram', p.telegramUsername ? `@${p.telegramUsername}` : p.telegramLinked ? 'привязан' : null],
          ['Роль', p.role],
          ['Зарегистрирован', when(p.createdAt)],
          ['Данные заблокированы', p.blockedAt ? when(p.blockedAt) : 'нет'],
        ])
        .heading('2. Согласия на обработку')
      if (data.consents.length === 0) doc.paragraph('Записей о согласии нет.')
      else {
        doc.table(
          ['Версия', 'Способ', 'Состояние', 'Дано', 'Отозвано'],
          data.consents.map((c) => [
            c.version,
            consentChannels[c.channel] ?? c.channel,
            consentStatuses[c.status] ?? c.status,
            when(c.givenAt),
            when(c.withdrawnAt),
          ]),
          [0.12, 0.22, 0.18, 0.24, 0.24],
        )
      }
      doc.heading('3. Ваши заявки и сообщения')
      if (data.tickets.length === 0) doc.paragraph('Заявок нет.')
      for (const t of data.tickets) {
        doc.fields([
          ['Заявка', `№ ${t.id} от ${when(t.createdAt)} · ${t.status}`],
          ['Тема', t.title],
          ['Категория', t.category],
          ['Место', t.location],
        ])
        doc.paragraph(t.description)
        if (t.resolution) doc.paragraph(`Результат: ${t.resolution}`)
        for (const m of t.messages) doc.paragraph(`${when(m.at)} — ${m.author}: ${m.text}`)
      }
      if (data.otherMessages.length > 0) {
        doc.heading('Ваши сообщения в других заявках')
        for (const m of data.otherMessages) doc.paragraph(`Заявка № ${m.ticketId}, ${when(m.at)}: ${m.text}`)
      }
      doc.heading('4. Файлы, которые Вы отправили')
      if (data.files.length === 0) doc.paragraph('Файлов нет.')
      else {
        doc.table(
          ['№', 'Заявка', 'Имя файла', 'Размер, байт', 'Отправлен'],
          data.files.map((f) => [f.id, f.ticketId, f.name, f.size, when(f.sentAt)]),
          [0.08, 0.1, 0.46, 0.14, 0.22],
        )
        doc.paragraph('Сами файлы — в архиве ZIP, приложенном к ответу (папка files).')
      }
      doc.heading('5. Кто обращался к Вашим данным')
      doc.paragraph('Другие лица указаны по их роли в системе, без имён (их данные — тоже персональные).')
      if (data.accessLog.length === 0) doc.paragraph('Обращений нет.')
      else {
        doc.table(
          ['Когда', 'Кто', 'Что сделано'],
          data.accessLog.map((j) => [
            when(j.at),
            j.who,
            j.result === 'success' ? j.description : `${j.description} (отказано)`,
          ]),
          [0.2, 0.28, 0.52],
        )
      }
      doc.signatures([{ position: org.responsible || 'Ответственный за организацию обработки ПДн', name: '' }])
    },
  )
  // Dates inside the archive come from the answer, so the same data gives the same bytes.
  const mtime = context.createdAt
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {
    'data.json': [new TextEncoder().encode(`${JSON.stringify(data, null, 2)}\n`), { mtime }],
  }
  for (const f of files) entries[f.path] = [f.bytes, { mtime }]
  return { pdf, zip: zipSync(entries, { level: 6 }) }
}
