import { setImmediate } from 'node:timers/promises'
import { sql } from 'kysely'
import { dialectOf } from '#src/db/database.ts'
import type { AuditRow, Db, Tx } from '#src/db/schema.ts'
import { containsText, escapeLike } from '#src/db/text-match.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { shownNameOrNull } from '#src/users/blocking.ts'
import { can } from '#src/users/permissions.ts'
import { auditDenied } from './denied.ts'
import { audit } from './journal.ts'

/** The journal viewer's filters (COMPLIANCE.md §4): last N, ПДн only, text, period, actor, action. */
export interface JournalFilter {
  /** At most this many rows, newest first; undefined = all that match. */
  limit?: number
  pdnOnly?: boolean
  /** Substring of the description or the action code, any case. */
  search?: string
  /** UTC instants: `from` inclusive, `to` exclusive. */
  from?: string
  to?: string
  /** A user id, or 'system' for entries without a person. */
  actorId?: number | 'system'
  /** An action code (`user.confirm`), or a prefix ending with a dot (`user.`). */
  action?: string
}

export interface JournalEntry extends AuditRow {
  /** The actor's name, resolved for display (the journal itself holds only the id). */
  actor_name: string | null
}

export interface ReadJournalOptions {
  /** Journaled as an export (the rows leave the system in a file). */
  purpose?: 'view' | 'export'
  /**
   * Where the rows are read: the read-only handle (`db/read-only.ts`), off the event loop. The reading is
   * journaled on `db` all the same, in a transaction of its own after the read; without it, both in one.
   */
  reads?: Db
}

/** Reads journal entries for an admin; the reading itself is journaled (`audit.read`, ПДн). */
export async function readJournal(
  db: Db,
  actor: Actor,
  filter: JournalFilter,
  options: ReadJournalOptions = {},
): Promise<JournalEntry[]> {
  const purpose = options.purpose ?? 'view'
  if (!can(actor, 'audit.view')) {
    await auditDenied(db, actor, { action: 'audit.read', pdn: true, description: 'Отказ в просмотре журнала аудита' })
    throw new DomainError('forbidden', 'Журнал аудита доступен только администратору')
  }
  const read = async (from: Tx) => {
    let query = matching(from, filter)
    if (filter.limit !== undefined) query = query.limit(filter.limit)
    return (await query.execute()).map(toEntry)
  }
  const reads = options.reads ?? db
  if (reads === db) {
    return db.transaction().execute(async (tx) => {
      const entries = await read(tx)
      await journalRead(tx, actor, purpose, filter, entries.length)
      return entries
    })
  }
  const entries = await read(reads)
  await db.transaction().execute((tx) => journalRead(tx, actor, purpose, filter, entries.length))
  return entries
}

export interface JournalExport {
  /** How many rows the export carries (already journaled). */
  count: number
  /** The rows, newest first, a page at a time; the event loop is let go between pages. */
  pages: AsyncIterable<JournalEntry[]>
}

/** Rows per query of an export: a page is read and formatted well within one event-loop turn. */
export const EXPORT_PAGE_SIZE = 1000

/**
 * An export of the journal read page by page, newest first, so that a big export never holds the event
 * loop: better-sqlite3 reads synchronously, and the journal only grows. Each query is bounded twice: at
 * most `pageSize` rows, from a window of at most `pageSize × 10` ids (a filter that matches rarely
 * would otherwise scan the whole journal in one query). The set is fixed first by the journal's last id,
 * so rows written meanwhile (this export's own journal row among them) are not in it; it is counted
 * and the export journaled with that count before a row leaves.
 */
export async function exportJournal(
  db: Db,
  actor: Actor,
  filter: JournalFilter,
  options: {
    pageSize?: number
    /** Where the rows are counted and read (a read-only handle); the export is journaled on `db`. */
    reads?: Db
  } = {},
): Promise<JournalExport> {
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? EXPORT_PAGE_SIZE))
  const window = pageSize * 10
  if (!can(actor, 'audit.view')) {
    await auditDenied(db, actor, { action: 'audit.read', pdn: true, description: 'Отказ в просмотре журнала аудита' })
    throw new DomainError('forbidden', 'Журнал аудита доступен только администратору')
  }
  const reads = options.reads ?? db
  const bounds = await reads
    .selectFrom('audit_log')
    .select((eb) => [eb.fn.min('id').as('first'), eb.fn.max('id').as('last')])
    .executeTakeFirst()
  const first = Number(bounds?.first ?? 1)
  const last = Number(bounds?.last ?? 0)
  const within = (top: number) =>
    matching(reads, filter)
      .where('audit_log.id', '<=', top)
      .where('audit_log.id', '>', top - window)
  let matched = 0
  for (let top = last; top >= first && (filter.limit === undefined || matched < filter.limit); top -= window) {
    const found = await reads
      .selectFrom(within(top).clearSelect().clearOrderBy().select('audit_log.id').as('m'))
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst()
    matched += Number(found?.n ?? 0)
    await setImmediate()
  }
  const count = filter.limit === undefined ? matched : Math.min(matched, filter.limit)
  await db.transaction().execute((tx) => journalRead(tx, actor, 'export', filter, count))
  const page = (top: number, limit: number) => {
    const read = within(top).limit(limit).execute()
    // Read ahead while the caller formats the page before: unawaited if the caller stops early.
    read.catch(() => {})
    return { top, limit, read }
  }
  async function* pages(): AsyncGenerator<JournalEntry[]> {
    let left = count
    let next = left > 0 && last >= first ? page(last, Math.min(pageSize, left)) : undefined
    while (next) {
      const { top, limit, read } = next
      const entries = (await read).map(toEntry)
      // A full page may leave rows in its window; a short one has emptied it.
      const below = entries.length === limit ? (entries[entries.length - 1]?.id ?? top) - 1 : top - window
      left -= entries.length
      // On the read-only threads the next page is read while this one is formatted.
      next = left > 0 && below >= first ? page(below, Math.min(pageSize, left)) : undefined
      if (entries.length > 0) yield entries
      // Other requests run between two queries.
      await setImmediate()
    }
  }
  return { count, pages: pages() }
}

/** The filtered journal, newest first, with the actor's name. */
function matching(db: Tx, filter: JournalFilter) {
  let query = db
    .selectFrom('audit_log')
    .leftJoin('users', 'users.id', 'audit_log.actor_id')
    .selectAll('audit_log')
    // A blocked person (ст. 21) is not named even here.
    .select(shownNameOrNull('users').as('actor_name'))
  if (filter.pdnOnly) query = query.where('audit_log.pdn_related', '=', 1)
  if (filter.from) query = query.where('audit_log.at', '>=', filter.from)
  if (filter.to) query = query.where('audit_log.at', '<', filter.to)
  if (filter.actorId === 'system') query = query.where('audit_log.actor_id', 'is', null)
  else if (filter.actorId !== undefined) query = query.where('audit_log.actor_id', '=', filter.actorId)
  if (filter.action) {
    const action = filter.action
    query = action.endsWith('.')
      ? query.where(sql<boolean>`audit_log.action like ${`${escapeLike(action)}%`} escape '\\'`)
      : query.where('audit_log.action', '=', action)
  }
  if (filter.search) {
    query = query.where(
      sql<boolean>`(${containsText(dialectOf(db), 'audit_log.description', filter.search)} or ${containsText(dialectOf(db), 'audit_log.action', filter.search)})`,
    )
  }
  return query.orderBy('audit_log.id', 'desc')
}

function toEntry(row: AuditRow & { actor_name: string | null }): JournalEntry {
  return { ...row, id: Number(row.id), pdn_related: Number(row.pdn_related) === 1 ? 1 : 0 }
}

/** The reading itself, journaled (ПДн): a view or an export, with what was asked and how many rows. */
async function journalRead(
  tx: Tx,
  actor: Actor,
  purpose: 'view' | 'export',
  filter: JournalFilter,
  count: number,
): Promise<void> {
  await audit(tx, actor, {
    action: purpose === 'export' ? 'audit.export' : 'audit.read',
    objectType: 'audit_log',
    pdn: true,
    description:
      purpose === 'export'
        ? `Выгрузка журнала аудита, записей: ${count}`
        : `Просмотр журнала аудита, записей: ${count}`,
    details: describeFilter(filter, count),
  })
}

/** What was asked, without the search text itself (it may contain a name). */
function describeFilter(filter: JournalFilter, count: number): Record<string, unknown> {
  return {
    count,
    limit: filter.limit ?? null,
    pdnOnly: filter.pdnOnly === true,
    search: filter.search ? true : undefined,
    from: filter.from,
    to: filter.to,
    actorId: filter.actorId,
    action: filter.action,
  }
}
