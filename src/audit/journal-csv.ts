import type { Channel } from '#src/db/schema.ts'
import { type CsvDelimiter, csvStream, toCsv } from '#src/export/csv.ts'
import { formatDateTime } from '#src/format/zone-days.ts'
import { consoleOperatorOf } from './journal.ts'
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

function journalHeader(timeZone: string): string[] {
  return [
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
}

function journalRow(e: JournalEntry, timeZone: string): unknown[] {
  return [
    e.id,
    e.at,
    formatDateTime(e.at, timeZone),
    e.actor_id ?? 'system',
    e.actor_id === null ? (consoleOperatorOf(e.details) ?? 'система') : (e.actor_name ?? ''),
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
  ]
}

export function journalCsv(entries: readonly JournalEntry[], timeZone: string, delimiter: CsvDelimiter = ';'): string {
  return toCsv(
    journalHeader(timeZone),
    entries.map((e) => journalRow(e, timeZone)),
    { delimiter },
  )
}

/** The same document as `journalCsv`, byte for byte, streamed from an export's pages (`exportJournal`). */
export function journalCsvStream(
  pages: AsyncIterable<readonly JournalEntry[]>,
  timeZone: string,
  delimiter: CsvDelimiter = ';',
): ReadableStream<Uint8Array> {
  async function* rows() {
    for await (const page of pages) yield page.map((e) => journalRow(e, timeZone))
  }
  return csvStream(journalHeader(timeZone), rows(), { delimiter })
}
