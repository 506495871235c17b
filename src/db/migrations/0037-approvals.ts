import { type Kysely, sql } from 'kysely'
import { dialectOf, sqliteHandleOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * «Согласование» (issue 14): access requests (МИС, 1С, ЭЦП, VPN) wait for the head of the requester's department
 * before IT sees them. A ticket gets the status `approval`, before `new`; a category `requires_approval`; a department
 * its head (`head_user_id`, null: the curators decide).
 *
 * The status's CHECK constraint (`tickets_status`, 0001) is widened. PostgreSQL drops and re-adds it. SQLite cannot
 * alter a constraint: its documented procedure for changing one in place (lang_altertable.html §7) rewrites the
 * table's SQL in sqlite_schema under `writable_schema` and bumps `schema_version`. Widening the allowed set is safe
 * for the rows already there; nothing else (indexes, triggers, the FTS tables, the foreign keys pointing at tickets)
 * is touched, which the 12-step rebuild could not promise. better-sqlite3 opens connections in defensive mode, which
 * refuses writes to sqlite_schema: it is left for these three statements only.
 *
 * The list's status-rank index (0021) indexes the exact expression the list sorts by (tickets/ticket-store.ts
 * `statusKey`), which now ranks `approval` first: it is re-created with that text.
 */
const before = "status in ('new', 'in_progress', 'waiting', 'resolved', 'closed', 'cancelled')"
const after = "status in ('approval', 'new', 'in_progress', 'waiting', 'resolved', 'closed', 'cancelled')"

const rankBefore = sql`(case "status" when 'new' then 0 when 'in_progress' then 1 when 'waiting' then 2 when 'resolved' then 3 when 'closed' then 4 when 'cancelled' then 5 end)`
const rankAfter = sql`(case "status" when 'approval' then -1 when 'new' then 0 when 'in_progress' then 1 when 'waiting' then 2 when 'resolved' then 3 when 'closed' then 4 when 'cancelled' then 5 end)`

export async function up(db: AnyDb): Promise<void> {
  await widenStatus(db, before, after)
  await sql`drop index tickets_list_status_rank_idx`.execute(db)
  await sql`create index tickets_list_status_rank_idx on tickets (${rankAfter}, id desc)`.execute(db)

  await db.schema
    .alterTable('departments')
    .addColumn('head_user_id', 'integer', (c) => c.references('users.id'))
    .execute()
  await db.schema
    .alterTable('categories')
    .addColumn('requires_approval', 'integer', (c) => c.notNull().defaultTo(0).check(sql`requires_approval in (0, 1)`))
    .execute()
  // The heads' pages look tickets up by their requester's department, among those awaiting approval.
  await db.schema.createIndex('departments_head_idx').on('departments').column('head_user_id').execute()
}

export async function down(db: AnyDb): Promise<void> {
  const waiting = await db.selectFrom('tickets').select('id').where('status', '=', 'approval').executeTakeFirst()
  if (waiting) throw new Error('Tickets await approval: decide on them before going back past migration 0037')
  await db.schema.dropIndex('departments_head_idx').execute()
  await db.schema.alterTable('categories').dropColumn('requires_approval').execute()
  await db.schema.alterTable('departments').dropColumn('head_user_id').execute()
  await sql`drop index tickets_list_status_rank_idx`.execute(db)
  await sql`create index tickets_list_status_rank_idx on tickets (${rankBefore}, id desc)`.execute(db)
  await widenStatus(db, after, before)
}

/** Replaces the tickets_status constraint's condition `from` with `to`. */
async function widenStatus(db: AnyDb, from: string, to: string): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await sql`alter table tickets drop constraint tickets_status`.execute(db)
    await sql`alter table tickets add constraint tickets_status check (${sql.raw(to)})`.execute(db)
    return
  }
  const raw = sqliteHandleOf(db)
  if (!raw) throw new Error('Migration 0037 needs a SQLite handle opened by openDatabase')
  const table = await sql<{
    sql: string
  }>`select sql from sqlite_schema where type = 'table' and name = 'tickets'`.execute(db)
  const text = table.rows[0]?.sql ?? ''
  if (text.split(from).length !== 2) throw new Error(`Migration 0037: the tickets table's SQL does not hold «${from}»`)
  const version = await sql<{ schema_version: number }>`pragma schema_version`.execute(db)
  const next = Number(version.rows[0]?.schema_version) + 1
  raw.unsafeMode(true)
  try {
    await sql`pragma writable_schema = on`.execute(db)
    await sql`update sqlite_schema set sql = ${text.replace(from, to)} where type = 'table' and name = 'tickets'`.execute(
      db,
    )
    await sql.raw(`pragma schema_version = ${next}`).execute(db)
    await sql`pragma writable_schema = off`.execute(db)
  } finally {
    raw.unsafeMode(false)
  }
  const check = await sql<{ integrity_check: string }>`pragma integrity_check(tickets)`.execute(db)
  const verdict = check.rows.map((row) => row.integrity_check).join('; ')
  if (verdict !== 'ok') throw new Error(`Migration 0037: integrity check after the tickets table's change: ${verdict}`)
}
