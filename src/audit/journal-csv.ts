import type { Channel } from '#src/db/schema.ts'
import { type CsvDelimiter, toCsv } from '#src/export/csv.ts'
import { formatDateTime } from '#src/format/zone-days.ts'
import type { JournalEntry } from './read-journal.ts'

/** The journal as CSV: one layout for the console (`audit --export_csv`) and the web (/audit export). */

export const channelLabels: Record<Channel, string> = {
  web: 'веб',
  bot: 'бот',
  cli: 'консоль',
  api: 'API',
  system: 'система',
}

export const resultLabels = { success: 'успех', denied: 'отказ', error: 'ошибка' } as const

export function journalCsv(entries: readonly JournalEntry[], timeZone: string, delimiter: CsvDelimiter = ';'): string {
  const header = [
    '№',
    'Время (UTC)',
    `Время (${timeZone})`,
    'ID пользователя',
    'Пользователь',
    'Канал',
    'IP',
    'Действие',
    'Тип объекта',
    'Объект',
    'Субъект ПДн',
    'ПДн',
    'Результат',
    'Описание',
    'Подробности',
    'Хеш',
  ]
  const rows = entries.map((e) => [
    e.id,
    e.at,
    formatDateTime(e.at, timeZone),
    e.actor_id ?? 'system',
    e.actor_id === null ? 'система' : (e.actor_name ?? ''),
    channelLabels[e.channel],
    e.ip,
    e.action,
    e.object_type,
    e.object_id,
    e.subject_id,
    e.pdn_related ? 'да' : 'нет',
    resultLabels[e.result],
    e.description,
    e.details,
    e.hash,
  ])
  return toCsv(header, rows, { delimiter })
}
