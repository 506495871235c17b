import type { Readable } from 'node:stream'
import { setImmediate } from 'node:timers/promises'
import { audit } from '#src/audit/journal.ts'
import type { Db, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { csvStream } from '#src/export/csv.ts'
import { wallClock, workbookStream, XLSX_TYPE } from '#src/stats/workbook.ts'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import {
  countTickets,
  listTicketPage,
  MAX_PER_PAGE,
  type TicketFilter,
  type TicketListItem,
} from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { dateTime } from './format.ts'
import { inLanguage, language, msg, t } from './i18n.ts'
import { parseListQuery, toFilter } from './ticket-query.ts'

/**
 * The ticket list's exports (issue 13): every matching row, CSV or XLSX, read page after page by the
 * list's keyset cursor as the file is written, so that neither the rows nor the file sit in memory and
 * the event loop is let go between two pages. Up to a limit the download streams in its request; past it
 * the file is made in the background (ticket-export-job.ts).
 */

export const exportFormats = ['csv', 'xlsx'] as const
export type ExportFormat = (typeof exportFormats)[number]

/** Exports of more rows than this are made in the background unless the config says otherwise. */
export const EXPORT_STREAM_LIMIT = 50_000

/** A cap no list reaches: an export counts every matching row. */
const COUNT_ALL = 1_000_000_000

export const exportTypes: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: XLSX_TYPE,
}

/** What an export reads: whose list, with which filters, on which handle; dates shown in `tz`. */
export interface ExportSource {
  /** The read-only handle (threads on SQLite) or the main one. */
  reads: Db
  actor: Actor
  filter: TicketFilter
  tz: string
  /**
   * Told when reading the rows fails after the answer began: the download can only be cut short then, so
   * the route logs why (a background job's failure is the worker's to log and retry).
   */
  failed?: (error: unknown) => void
}

/** The list's filters for an export, from the list's address: from the first page, whatever page it showed. */
export function exportFilter(params: URLSearchParams, tz: string, staff: boolean): TicketFilter {
  // The list's own default too: staff without a status in the address export the open tickets they see.
  const filter = toFilter(parseListQuery(params, { staff }), tz, MAX_PER_PAGE)
  // «По релевантности» weighs only the newest thousand matches: a file carries every one, by number.
  return { ...filter, cursor: undefined, ...(filter.sort === 'relevance' ? { sort: '-id' as const } : {}) }
}

/** How many tickets the export will carry: all that match (the list's own count stops at 1 000). */
export async function countExported(source: Pick<ExportSource, 'reads' | 'actor' | 'filter'>): Promise<number> {
  return (await countTickets(source.reads, source.actor, source.filter, COUNT_ALL)).count
}

/**
 * Journals an export (ПДн) as it starts: every matching row leaves, so «N из N»; one made in the
 * background says so. The details keep the shape of the capped exports before (count, total, …).
 */
export async function journalExport(
  db: Tx,
  actor: Actor,
  export_: { format: ExportFormat; rows: number; background?: boolean },
): Promise<void> {
  const { format, rows } = export_
  await audit(db, actor, {
    action: 'ticket.export',
    objectType: 'ticket',
    pdn: true,
    description: `Выгрузка списка заявок в ${format.toUpperCase()}: ${rows} из ${rows}${export_.background ? ' (в фоне)' : ''}`,
    details: { count: rows, total: rows, total_capped: false, format },
  })
}

/** `tickets-2026-11-20.csv`: the day the export was made. */
export function exportFileName(format: ExportFormat, at: string = now()): string {
  return `tickets-${at.slice(0, 10)}.${format}`
}

/** The export as CSV for Russian Excel (`;`, BOM): headers as they are, dates as the pages show them. */
export function ticketCsv(source: ExportSource): ReadableStream<Uint8Array> {
  const rows = mapPages(exportPages(source), (row) =>
    exportRow(
      row,
      (iso) => (iso === null ? '' : dateTime(iso, source.tz)),
      (label) => label,
    ),
  )
  return csvStream(
    exportColumns.map((column) => column.header),
    rows,
    { delimiter: ';' },
  )
}

/** The export as a workbook: headers and labels in the person's language, real dates of the display zone. */
export function ticketXlsx(source: ExportSource): Readable {
  const translate = translator()
  const rows = mapPages(exportPages(source), (row) =>
    exportRow(row, (iso) => (iso === null ? null : wallClock(iso, source.tz)), translate),
  )
  return workbookStream([
    {
      name: translate('Заявки'),
      columns: exportColumns.map((column) => ({ ...column, header: translate(column.header) })),
      rows,
    },
  ])
}

/**
 * t() in the language of the moment it is made: rows are made as the reader takes them, which may be
 * outside the request's language scope (the server's writer pulling the body). Each text once.
 */
function translator(): (text: string) => string {
  const lang = language()
  const done = new Map<string, string>()
  return (text) => {
    let translated = done.get(text)
    if (translated === undefined) {
      translated = inLanguage(lang, () => t(text))
      done.set(text, translated)
    }
    return translated
  }
}

interface ExportTicket {
  ticket: TicketListItem
  group: string | null
}

/**
 * The export's tickets page after page, each page read when the writer asks for it (`readPages`); a failure
 * is told to `source.failed` on its way to the writer, which can only cut the file short.
 */
async function* exportPages(source: ExportSource): AsyncGenerator<ExportTicket[]> {
  try {
    yield* readPages(source)
  } catch (error) {
    source.failed?.(error)
    throw error
  }
}

/**
 * The keyset cursor makes page 500 cost what page 1 does. One instant for the whole walk, so that
 * «просрочена» means the same on every page. Group names are read for the groups a page brings that were not
 * seen yet (a handful in a hospital: the list's own query does not join them).
 */
async function* readPages(source: ExportSource): AsyncGenerator<ExportTicket[]> {
  const { reads, actor, filter } = source
  const at = now()
  const groups = new Map<number, string>()
  for (let cursor: string | undefined; ; ) {
    const page = await listTicketPage(reads, actor, { ...filter, cursor }, at)
    const unseen = [
      ...new Set(page.items.flatMap((ticket) => (ticket.group_id === null ? [] : [ticket.group_id]))),
    ].filter((id) => !groups.has(id))
    if (unseen.length > 0) {
      const named = await reads.selectFrom('executor_groups').select(['id', 'name']).where('id', 'in', unseen).execute()
      for (const group of named) groups.set(group.id, group.name)
    }
    yield page.items.map((ticket) => ({
      ticket,
      group: ticket.group_id === null ? null : (groups.get(ticket.group_id) ?? null),
    }))
    if (page.next === null) return
    cursor = page.next
    // better-sqlite3 answers synchronously: without this, a thousand pages are one stall of the event loop.
    await setImmediate()
  }
}

async function* mapPages<T, R>(pages: AsyncIterable<T[]>, map: (item: T) => R): AsyncGenerator<R[]> {
  for await (const page of pages) yield page.map(map)
}

const moment = 'dd.mm.yyyy hh:mm'

/** The export's columns, shared by the CSV (headers as they are) and the XLSX (headers translated). */
const exportColumns = [
  { header: msg('№'), width: 8 },
  { header: msg('Заголовок'), width: 48 },
  { header: msg('Статус'), width: 14 },
  { header: msg('Приоритет'), width: 12 },
  { header: msg('Категория'), width: 22 },
  { header: msg('Заявитель'), width: 28 },
  { header: msg('Отделение'), width: 24 },
  { header: msg('Исполнитель'), width: 24 },
  { header: msg('Создана'), width: 17, format: moment },
  { header: msg('Срок решения'), width: 17, format: moment },
  { header: msg('Просрочена'), width: 11 },
  // Issue 13: after the columns people already had, so that their sheets' formulas keep their places.
  { header: msg('Результат'), width: 48 },
  { header: msg('Решена'), width: 17, format: moment },
  { header: msg('Группа'), width: 22 },
]

/** One ticket as a row of `exportColumns`: dates and labels as each format writes them. */
function exportRow<D>(row: ExportTicket, date: (iso: string | null) => D, label: (text: string) => string) {
  const { ticket } = row
  return [
    ticket.id,
    ticket.title,
    label(statusLabels[ticket.status]),
    label(priorityLabels[ticket.priority]),
    ticket.category_name,
    ticket.requester_name,
    ticket.department_name,
    ticket.assignee_name,
    date(ticket.created_at),
    date(ticket.resolution_due_at),
    ticket.overdue ? label(msg('да')) : null,
    ticket.resolution,
    date(ticket.resolved_at),
    row.group,
  ]
}
