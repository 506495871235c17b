import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * «Дежурства и эскалация» (issue 14). `duty_shifts`: who of an executor group is on duty from `starts_at` to
 * `ends_at` (UTC instants); a swap is an edit of the shift's person. `ticket_escalations`: each step of a ticket's
 * escalation, at most one per ticket and level (the unique index is the claim: of two workers only one inserts
 * it), with the people told and, for a critical ticket filed at night, who pressed «Принял» and when.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('duty_shifts')
    .addColumn('id', 'integer', id)
    .addColumn('group_id', 'integer', (c) => c.notNull().references('executor_groups.id'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('starts_at', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'integer', (c) => c.references('users.id'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('duty_shifts_kind', sql`kind in ('day', 'night', 'other')`)
    .addCheckConstraint('duty_shifts_span', sql`starts_at < ends_at`)
    .execute()
  await db.schema.createIndex('duty_shifts_group_idx').on('duty_shifts').columns(['group_id', 'starts_at']).execute()
  await db.schema.createIndex('duty_shifts_ends_idx').on('duty_shifts').columns(['ends_at']).execute()

  await db.schema
    .createTable('ticket_escalations')
    .addColumn('id', 'integer', id)
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id'))
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('chain', 'text', (c) => c.notNull())
    .addColumn('notified', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'text')
    .addColumn('acknowledged_by', 'integer', (c) => c.references('users.id'))
    .addCheckConstraint('ticket_escalations_level', sql`level between 1 and 4`)
    .addCheckConstraint('ticket_escalations_chain', sql`chain in ('deadline', 'critical')`)
    .execute()
  await db.schema
    .createIndex('ticket_escalations_step_idx')
    .on('ticket_escalations')
    .columns(['ticket_id', 'level'])
    .unique()
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('ticket_escalations').execute()
  await db.schema.dropTable('duty_shifts').execute()
}
