import { sql } from 'kysely'
import { dialectOf } from '#src/db/database.ts'
import type { AuditRow, Db } from '#src/db/schema.ts'
import { containsText, escapeLike } from '#src/db/text-match.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
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
  return db.transaction().execute(async (tx) => {
    let query = tx
      .selectFrom('audit_log')
      .leftJoin('users', 'users.id', 'audit_log.actor_id')
      .selectAll('audit_log')
      .select('users.full_name as actor_name')
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
        sql<boolean>`(${containsText(dialectOf(tx), 'audit_log.description', filter.search)} or ${containsText(dialectOf(tx), 'audit_log.action', filter.search)})`,
      )
    }
    query = query.orderBy('audit_log.id', 'desc')
    if (filter.limit !== undefined) query = query.limit(filter.limit)
    const rows = await query.execute()
    const entries: JournalEntry[] = rows.map((row) => ({
      ...row,
      id: Number(row.id),
      pdn_related: Number(row.pdn_related) === 1 ? 1 : 0,
    }))
    await audit(tx, actor, {
      action: purpose === 'export' ? 'audit.export' : 'audit.read',
      objectType: 'audit_log',
      pdn: true,
      description:
        purpose === 'export'
          ? `Выгрузка журнала аудита, записей: ${entries.length}`
          : `Просмотр журнала аудита, записей: ${entries.length}`,
      details: describeFilter(filter, entries.length),
    })
    return entries
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
