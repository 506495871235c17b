import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Recurring work («Плановые работы», issue 14): a plan files a ticket on a cron schedule read in the hospital's
 * time zone (TZ_DISPLAY) — the monthly cartridge round, the ЭЦП certificates, the МИС server's backups. While a
 * plan is active `next_run_at` is the UTC instant of its next run; the worker moves it on with a compare-and-set,
 * so that two instances never file the same run twice. Paused: `next_run_at` is null. Each run is a row of
 * `plan_runs`: the occurrence it was due for (null for «Запустить сейчас»), how many occurrences a downtime
 * swallowed, the ticket it filed or why it could not.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('plans')
    .addColumn('id', 'integer', id)
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('category_id', 'integer', (c) => c.notNull().references('categories.id'))
    .addColumn('group_id', 'integer', (c) => c.notNull().references('executor_groups.id'))
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('schedule', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('requester_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('next_run_at', 'text')
    .addColumn('last_run_at', 'text')
    .addColumn('last_ticket_id', 'integer', (c) => c.references('tickets.id'))
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('plans_priority', sql`priority in ('low', 'normal', 'high', 'critical')`)
    .addCheckConstraint('plans_active', sql`active in (0, 1)`)
    .execute()
  await db.schema.createIndex('plans_due_idx').on('plans').columns(['active', 'next_run_at']).execute()

  await db.schema
    .createTable('plan_runs')
    .addColumn('id', 'integer', id)
    .addColumn('plan_id', 'integer', (c) => c.notNull().references('plans.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text')
    .addColumn('missed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ran_at', 'text', (c) => c.notNull())
    .addColumn('ticket_id', 'integer', (c) => c.references('tickets.id'))
    .addColumn('error', 'text')
    .addColumn('actor_id', 'integer', (c) => c.references('users.id'))
    .addCheckConstraint('plan_runs_kind', sql`kind in ('schedule', 'manual')`)
    .addCheckConstraint('plan_runs_due', sql`(kind = 'schedule') = (due_at is not null)`)
    .execute()
  // One run per occurrence, whatever the worker does: the compare-and-set on next_run_at is the lock, this the proof.
  await db.schema
    .createIndex('plan_runs_occurrence_idx')
    .on('plan_runs')
    .columns(['plan_id', 'due_at'])
    .unique()
    .execute()
  await db.schema.createIndex('plan_runs_plan_idx').on('plan_runs').columns(['plan_id', 'id']).execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('plan_runs').execute()
  await db.schema.dropTable('plans').execute()
}
