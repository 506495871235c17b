import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Destruction of a person's data (issue 10, COMPLIANCE.md §3): `destruction_queue` holds the destructions
 * asked for outright (a person's request) beside those the retention rules compute; `destruction_acts`
 * keeps each act of Приказ РКН № 179 and the extract of the journal as PDFs, for 3 years. On SQLite the
 * full-text index is switched to FTS5's secure-delete, so that a rewritten ticket leaves no old tokens.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('destruction_queue')
    .addColumn('id', 'integer', id)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('request_id', 'integer')
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer')
    .addColumn('done_at', 'text')
    .addColumn('act_id', 'integer')
    .execute()
  await db.schema.createIndex('destruction_queue_user_idx').on('destruction_queue').column('user_id').execute()
  await db.schema
    .createTable('destruction_acts')
    .addColumn('id', 'integer', id)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('commission', 'text', (c) => c.notNull())
    .addColumn('texts_deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('audit_ids', 'text', (c) => c.notNull())
    .addColumn('backups', 'text', (c) => c.notNull())
    .addColumn('act_pdf', pg ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('extract_pdf', pg ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('keep_until', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('destruction_acts_user_idx').on('destruction_acts').column('user_id').execute()
  if (!pg) await sql`insert into ticket_fts (ticket_fts, rank) values ('secure-delete', 1)`.execute(db)
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('destruction_acts').execute()
  await db.schema.dropTable('destruction_queue').execute()
}
