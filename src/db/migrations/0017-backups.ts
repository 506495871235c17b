import type { ColumnDefinitionBuilder, Kysely } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Every backup and its verification (issue 11): the nightly one of the worker and the console's, so that
 * the dashboard (and /metrics) can say how old the last good backup is, and a failure is on record. A row
 * is written when the backup starts (ok null) and completed when it ends; `verified_at` is set only when a
 * restore of it into a scratch location passed every check.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('backups')
    .addColumn('id', 'integer', id)
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('file', 'text')
    .addColumn('bytes', 'bigint')
    .addColumn('encrypted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('ok', 'integer')
    .addColumn('error', 'text')
    .addColumn('verified_at', 'text')
    .execute()
  await db.schema.createIndex('backups_started_at').on('backups').column('started_at').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('backups').execute()
}
