import { availableParallelism } from 'node:os'
import Database from 'better-sqlite3'
import type { Insertable } from 'kysely'
import { sql } from 'kysely'
import { dialectOf } from '#src/db/database.ts'
import type { Db, TicketEventsTable, TicketMessagesTable, TicketsTable, Tx } from '#src/db/schema.ts'

/**
 * The demo's bulk load: a year of tickets (a million of them for a benchmark) written much faster than
 * row-by-row inserts through Kysely, inside the demo's one transaction.
 *
 * SQLite: statements prepared once and reused on the connection's own handle (Kysely prepares every query
 * anew, and builds each multi-row insert through its query builder: together most of a demo's time).
 * PostgreSQL: one `insert … select from unnest(arrays)` per table and batch, sent while the next batch is
 * generated. Both: the secondary indexes of the loaded tables are dropped first and built again at the end
 * (a sort instead of a random index insert per row). All of it is in the transaction: a failed run leaves the
 * indexes as they were. PostgreSQL's tables are vacuumed and analyzed after the commit (`asBulkLoad`).
 */

export interface SearchRow {
  id: number
  title: string
  description: string
  external: string
  internal: string
}

export interface DemoBatch {
  tickets: Insertable<TicketsTable>[]
  messages: Insertable<TicketMessagesTable>[]
  events: Insertable<TicketEventsTable>[]
  search: SearchRow[]
}

export interface BulkWriter {
  /** Writes a batch; on PostgreSQL it may still be in flight when this returns (the next write waits for it). */
  write(batch: DemoBatch): Promise<void>
  /** Waits for the last batch, builds the dropped indexes again. */
  finish(): Promise<void>
}

const LOADED_TABLES = ['tickets', 'ticket_messages', 'ticket_events', 'ticket_search', 'stats_daily_dirty'] as const

type ColumnType = 'integer' | 'text'

const ticketColumns: ReadonlyArray<readonly [keyof TicketsTable, ColumnType]> = [
  ['id', 'integer'],
  ['title', 'text'],
  ['description', 'text'],
  ['category_id', 'integer'],
  ['priority', 'text'],
  ['status', 'text'],
  ['requester_id', 'integer'],
  ['assignee_id', 'integer'],
  ['group_id', 'integer'],
  ['department_id', 'integer'],
  ['location', 'text'],
  ['source', 'text'],
  ['created_by', 'integer'],
  ['created_at', 'text'],
  ['updated_at', 'text'],
  ['first_response_at', 'text'],
  ['resolved_at', 'text'],
  ['closed_at', 'text'],
  ['cancelled_at', 'text'],
  ['response_due_at', 'text'],
  ['resolution_due_at', 'text'],
  ['response_breached_at', 'text'],
  ['resolution_breached_at', 'text'],
  ['resolution', 'text'],
  ['cancel_reason', 'text'],
  ['rating', 'integer'],
  ['rating_comment', 'text'],
  ['rated_at', 'text'],
]

const messageColumns: ReadonlyArray<readonly [keyof TicketMessagesTable, ColumnType]> = [
  ['ticket_id', 'integer'],
  ['author_id', 'integer'],
  ['kind', 'text'],
  ['body', 'text'],
  ['source', 'text'],
  ['created_at', 'text'],
  ['delivery_status', 'text'],
  ['telegram_message_id', 'integer'],
]

const eventColumns: ReadonlyArray<readonly [keyof TicketEventsTable, ColumnType]> = [
  ['ticket_id', 'integer'],
  ['actor_id', 'integer'],
  ['kind', 'text'],
  ['from_value', 'text'],
  ['to_value', 'text'],
  ['details', 'text'],
  ['created_at', 'text'],
]

/**
 * The statistics' stale marks (migration 0020's triggers on `tickets`) of a load: a trigger wrote one per ticket
 * and per resolution, two million rows for a million tickets (on PostgreSQL 241 MB of dead rows once the summary
 * had read them). The load sets the triggers aside and marks each hour it touched once, at its earliest instant
 * (the summary reads the marks by the hour).
 */
function staleHours() {
  const hours = new Map<string, string>()
  const mark = (at: string | null | undefined) => {
    if (!at) return
    const hour = at.slice(0, 13)
    const earliest = hours.get(hour)
    if (earliest === undefined || at < earliest) hours.set(hour, at)
  }
  return {
    note(tickets: ReadonlyArray<Insertable<TicketsTable>>) {
      for (const t of tickets) {
        mark(t.created_at)
        mark(t.resolved_at)
      }
    },
    /** The marks to insert, one per hour, in time order. */
    marks: () => [...hours.keys()].sort().map((hour) => hours.get(hour) as string),
  }
}

/**
 * SQLite: runs the demo's transaction as a bulk load, both settings restored after (neither can change inside a
 * transaction, hence around it):
 * - foreign-key checks off: they cost a lookup in each parent table for every row (most of an insert's time);
 *   the generator writes only ids it has just read or written;
 * - a rollback journal instead of the WAL, when no other connection has the file open (SQLite refuses the
 *   change otherwise, and the load goes through the WAL as before): a million tickets wrote 2.5 GB to the
 *   WAL and the same again when it was checkpointed into the file (17 s of a 138 s run). With a rollback
 *   journal the new pages go to the file once; the journal keeps the few pages that existed before, so a
 *   failed load still leaves the database as it was;
 * - the full-text index merged into one segment after it.
 * PostgreSQL: the loaded tables (and `users`) are vacuumed and analyzed after the commit (a vacuum cannot run
 * inside it). Until a table is, its visibility map is empty and no count or list is answered from an index
 * alone: at a million tickets lists' p99 went 54–58 → 31–36 ms. Tables another role owns are skipped with a
 * warning (a production app role).
 */
export async function asBulkLoad<T>(db: Db, run: () => Promise<T>): Promise<T> {
  if (dialectOf(db) === 'postgres') {
    const result = await run()
    await sql`vacuum (analyze) ${sql.join(['users', ...LOADED_TABLES].map((t) => sql.table(t)))}`.execute(db)
    return result
  }
  const pragma = async (text: string) =>
    (await sql.raw(`pragma ${text}`).execute(db)).rows[0] as Record<string, unknown>
  const foreignKeys = Number((await pragma('foreign_keys'))?.foreign_keys ?? 0)
  const wal = (await pragma('journal_mode'))?.journal_mode === 'wal'
  if (foreignKeys) await pragma('foreign_keys = off')
  if (wal) await pragma('journal_mode = delete')
  try {
    const result = await run()
    // The search index, written in many flushes by the load and the live layer after it, is many segments,
    // which FTS5 merges a little at every later write: each new ticket's commit paid 0.2–0.6 ms for it, and
    // now and then one merged big segments for up to 0.9 s, the event loop held. Merged into one here (a
    // million tickets: 1.4 s), a create's flush writes its own small segment and little more.
    await sql`insert into ticket_fts (ticket_fts) values ('optimize')`.execute(db)
    return result
  } finally {
    if (wal) await pragma('journal_mode = wal')
    if (foreignKeys) await pragma('foreign_keys = on')
  }
}

export async function bulkWriter(tx: Tx, options: { deferIndexes: boolean }): Promise<BulkWriter> {
  return dialectOf(tx) === 'postgres' ? postgresWriter(tx, options) : sqliteWriter(tx, options)
}

/**
 * The better-sqlite3 handle under a Kysely transaction, to prepare statements once on the transaction's own
 * connection (SQLite has one). Kysely keeps it private: the handle is the `this` of the `prepare` its
 * driver calls for a query of our own.
 */
async function sqliteHandle(tx: Tx): Promise<Database.Database> {
  const prototype = Database.prototype as { prepare: (this: Database.Database, source: string) => unknown }
  const prepare = prototype.prepare
  let handle: Database.Database | undefined
  // Another database of the process may prepare meanwhile: only this query's text names the handle.
  const probe = `select 1 as demo_probe_${process.pid}_${Date.now()}`
  prototype.prepare = function (this: Database.Database, source: string) {
    if (source === probe) handle = this
    return prepare.call(this, source)
  }
  try {
    await sql.raw(probe).execute(tx)
  } finally {
    prototype.prepare = prepare
  }
  if (!handle?.inTransaction) throw new Error('demo: no SQLite transaction to load into')
  return handle
}

async function sqliteWriter(tx: Tx, options: { deferIndexes: boolean }): Promise<BulkWriter> {
  const db = await sqliteHandle(tx)
  const tables = LOADED_TABLES.map((t) => `'${t}'`).join(', ')
  const indexes = options.deferIndexes
    ? db
        .prepare<[], { name: string; sql: string }>(
          `select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${tables})`,
        )
        .all()
    : []
  for (const index of indexes) db.exec(`drop index "${index.name}"`)
  // The statistics' stale-day triggers are set aside (`staleHours`).
  const triggers = db
    .prepare<[], { name: string; sql: string }>(
      `select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'tickets' and name like 'tickets_stats_daily_%'`,
    )
    .all()
  for (const trigger of triggers) db.exec(`drop trigger "${trigger.name}"`)
  const stale = staleHours()
  // A larger page cache for the load (restored at the end): the transaction's pages stay in memory longer.
  const cacheSize = db.pragma('cache_size', { simple: true })
  db.pragma('cache_size = -262144')

  const insert = (table: string, columns: ReadonlyArray<readonly [string, ColumnType]>) =>
    db.prepare(
      `insert into ${table} (${columns.map(([c]) => c).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    )
  const ticket = insert('tickets', ticketColumns)
  const message = insert('ticket_messages', messageColumns)
  const event = insert('ticket_events', eventColumns)
  const search = db.prepare(
    'insert into ticket_fts (rowid, title, description, messages, notes) values (?, ?, ?, ?, ?)',
  )
  const ticketValues = (t: Insertable<TicketsTable>) => ticketColumns.map(([c]) => t[c] ?? null)

  return {
    async write(batch) {
      for (const t of batch.tickets) ticket.run(ticketValues(t))
      if (triggers.length > 0) stale.note(batch.tickets)
      for (const m of batch.messages)
        message.run(
          m.ticket_id,
          m.author_id,
          m.kind,
          m.body,
          m.source,
          m.created_at,
          m.delivery_status ?? null,
          m.telegram_message_id ?? null,
        )
      for (const e of batch.events)
        event.run(
          e.ticket_id,
          e.actor_id ?? null,
          e.kind,
          e.from_value ?? null,
          e.to_value ?? null,
          e.details ?? null,
          e.created_at,
        )
      for (const s of batch.search) search.run(s.id, s.title, s.description, s.external, s.internal)
    },
    async finish() {
      // The indexes' sorts on every core: SQLite's sorter runs in helper threads when allowed to. It sorts in
      // runs of the page cache's size: with the load's 256 MB, one long run in one thread; with 4 MB, small
      // runs sorted in the helpers and merged. A million tickets' indexes: 49 → 28 s, the demo 110 → 78 s.
      const threads = db.pragma('threads', { simple: true })
      db.pragma(`threads = ${Math.min(4, availableParallelism())}`)
      db.pragma('cache_size = -4000')
      for (const index of indexes) db.exec(index.sql)
      db.pragma(`threads = ${Number(threads)}`)
      for (const trigger of triggers) db.exec(trigger.sql)
      if (triggers.length > 0) {
        // Noted while loading: reading a million tickets' times back for them took 2 s.
        const insertMark = db.prepare('insert into stats_daily_dirty (at) values (?)')
        for (const at of stale.marks()) insertMark.run(at)
      }
      // No `analyze` here: SQLite never gathers statistics by itself, so a production database has none
      // and its queries are planned (and the list indexes chosen) without them; the demo stays like it.
      // A sampled `analyze` (analysis_limit) even made some list queries slower (0.2 → 4 ms on 100 000).
      db.pragma(`cache_size = ${Number(cacheSize)}`)
    },
  }
}

async function postgresWriter(tx: Tx, options: { deferIndexes: boolean }): Promise<BulkWriter> {
  let indexes: Array<{ name: string; definition: string }> = []
  if (options.deferIndexes) {
    // Only the indexes this role may drop (it owns their tables: a production app role owns nothing) and
    // that back no constraint (a primary key or unique stays).
    const found = await sql<{ name: string; definition: string }>`
      select i.indexname as name, i.indexdef as definition
      from pg_indexes i join pg_tables t on t.schemaname = i.schemaname and t.tablename = i.tablename
      where i.schemaname = current_schema()
        and i.tablename in (${sql.join(LOADED_TABLES.map((t) => sql.lit(t)))})
        and pg_has_role(current_user, t.tableowner, 'USAGE')
        and not exists (select 1 from pg_constraint c
          where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`.execute(tx)
    indexes = found.rows
    for (const index of indexes) await sql`drop index ${sql.id(index.name)}`.execute(tx)
  }
  // Index builds at the end sort in memory rather than on disk; the commit is the demo's one and only.
  await sql`set local maintenance_work_mem = '256MB'`.execute(tx)
  // The statistics' stale-day triggers are set aside (`staleHours`) for the transaction, where this role may
  // (it owns `tickets`; a production app role does not, and its load marks every ticket as before).
  const triggers = (
    await sql<{ name: string }>`
      select t.tgname as name from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where c.oid = 'tickets'::regclass and t.tgname like 'tickets_stats_daily_%' and not t.tgisinternal
        and pg_has_role(current_user, c.relowner, 'USAGE')`.execute(tx)
  ).rows.map((row) => row.name)
  for (const name of triggers) await sql`alter table tickets disable trigger ${sql.id(name)}`.execute(tx)
  const stale = staleHours()

  const unnest = <R>(table: string, columns: ReadonlyArray<readonly [keyof R & string, ColumnType]>, rows: R[]) => {
    if (rows.length === 0) return Promise.resolve()
    const arrays = columns.map(([column, type]) => {
      const values = rows.map((row) => (row[column] as unknown) ?? null)
      return sql`${values}::${sql.raw(type)}[]`
    })
    return sql`insert into ${sql.table(table)} (${sql.join(columns.map(([c]) => sql.id(c)))})
      select * from unnest(${sql.join(arrays)})`
      .execute(tx)
      .then(() => undefined)
  }
  let inFlight: Promise<unknown> = Promise.resolve()
  return {
    async write(batch) {
      await inFlight
      const search = batch.search.map((s) => ({
        ticket_id: s.id,
        public_text: `${s.title}\n${s.description}\n${s.external}`,
        internal_text: s.internal,
      }))
      if (triggers.length > 0) stale.note(batch.tickets)
      // One connection runs them in order; the caller generates the next batch meanwhile.
      inFlight = Promise.all([
        unnest('tickets', ticketColumns, batch.tickets),
        unnest('ticket_messages', messageColumns, batch.messages),
        unnest('ticket_events', eventColumns, batch.events),
        unnest(
          'ticket_search',
          [
            ['ticket_id', 'integer'],
            ['public_text', 'text'],
            ['internal_text', 'text'],
          ],
          search,
        ),
      ])
      // An early failure is reported by the next write or by finish, never left unheard.
      inFlight.catch(() => {})
    },
    async finish() {
      await inFlight
      for (const index of indexes) await sql.raw(index.definition).execute(tx)
      for (const name of triggers) await sql`alter table tickets enable trigger ${sql.id(name)}`.execute(tx)
      if (triggers.length > 0)
        await unnest(
          'stats_daily_dirty',
          [['at', 'text']],
          stale.marks().map((at) => ({ at })),
        )
    },
  }
}
