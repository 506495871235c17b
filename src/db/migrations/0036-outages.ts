import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Outages («Массовый сбой», issue 14): a ticket becomes the parent incident of an outage — what staff call it
 * («МИС не работает в корпусе 2»), the place, the announcement sent to the affected staff, who declared it and when,
 * when it was resolved. The departments it affects and the categories («services») it covers are link tables; a
 * parent category covers its children. The people's tickets that joined it («У меня тоже») are ordinary tickets
 * linked to the parent by `ticket_links` (kind `parent`). One outage a ticket. `outage_opt_outs`: the people who
 * asked not to be sent such announcements («Не присылать такие объявления»).
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('outages')
    .addColumn('id', 'integer', id)
    .addColumn('ticket_id', 'integer', (c) => c.notNull().unique().references('tickets.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('place', 'text')
    .addColumn('announcement', 'text', (c) => c.notNull())
    .addColumn('recipients', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('declared_by', 'integer', (c) => c.references('users.id'))
    .addColumn('declared_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('resolved_by', 'integer', (c) => c.references('users.id'))
    .addCheckConstraint('outages_recipients', sql`recipients >= 0`)
    .execute()
  await db.schema.createIndex('outages_open_idx').on('outages').columns(['resolved_at', 'id']).execute()

  await db.schema
    .createTable('outage_departments')
    .addColumn('outage_id', 'integer', (c) => c.notNull().references('outages.id'))
    .addColumn('department_id', 'integer', (c) => c.notNull().references('departments.id'))
    .addPrimaryKeyConstraint('outage_departments_pk', ['outage_id', 'department_id'])
    .execute()
  await db.schema
    .createIndex('outage_departments_department_idx')
    .on('outage_departments')
    .columns(['department_id', 'outage_id'])
    .execute()

  await db.schema
    .createTable('outage_categories')
    .addColumn('outage_id', 'integer', (c) => c.notNull().references('outages.id'))
    .addColumn('category_id', 'integer', (c) => c.notNull().references('categories.id'))
    .addPrimaryKeyConstraint('outage_categories_pk', ['outage_id', 'category_id'])
    .execute()

  await db.schema
    .createTable('outage_opt_outs')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('outage_opt_outs').execute()
  await db.schema.dropTable('outage_categories').execute()
  await db.schema.dropTable('outage_departments').execute()
  await db.schema.dropTable('outages').execute()
}
