import type { ColumnDefinitionBuilder, Kysely } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Saved views of the ticket list (issue 13): a name and the list's query string, as the list's own parser
 * normalised it. Personal to their owner, or shared with all IT staff (`shared`, made so by a curator); the
 * navigation shows them under the four ready views, ordered by `position`. Names are unique per owner.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('saved_views')
    .addColumn('id', 'integer', id)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('query', 'text', (c) => c.notNull())
    /** Who saved it; a shared view stays theirs (its author), while every curator may change it. */
    .addColumn('owner_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('saved_views_owner_name_idx')
    .on('saved_views')
    .columns(['owner_id', 'name'])
    .unique()
    .execute()
  await db.schema.createIndex('saved_views_shared_idx').on('saved_views').columns(['shared', 'position']).execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('saved_views').execute()
}
