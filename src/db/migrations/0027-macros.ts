import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Canned responses («Шаблоны ответов», issue 13): a title, a body with placeholders (`{{заявитель.имя}}`), whether
 * it is an internal note, and optionally a status and a priority it sets. Whose it is: `owner_id` — one staff
 * member's own; `group_id` — shared with an executor group's members; neither — shared with all IT staff. A removed
 * macro is archived (`archived_at`), not deleted: the journal names it by id.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('macros')
    .addColumn('id', 'integer', id)
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('internal', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('owner_id', 'integer', (c) => c.references('users.id'))
    .addColumn('group_id', 'integer', (c) => c.references('executor_groups.id'))
    .addColumn('set_status', 'text')
    .addColumn('set_priority', 'text')
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('archived_at', 'text')
    .addCheckConstraint('macros_one_scope', sql`owner_id is null or group_id is null`)
    .addCheckConstraint(
      'macros_status',
      sql`set_status is null or set_status in ('in_progress', 'waiting', 'resolved')`,
    )
    .addCheckConstraint(
      'macros_priority',
      sql`set_priority is null or set_priority in ('low', 'normal', 'high', 'critical')`,
    )
    .execute()
  await db.schema.createIndex('macros_owner_idx').on('macros').column('owner_id').execute()
  await db.schema.createIndex('macros_group_idx').on('macros').column('group_id').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('macros').execute()
}
