import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The daily summary for reports filtered by one dimension (issue 12: a department's year took 1.1 s at a million
 * tickets, an executor's own 2 s, both read live from the tickets). The summary gains grains of two dimensions
 * (src/stats/daily-summary.ts): the filter's with the status, and with each other breakdown. A filtered report
 * reads its own value's rows by these indexes, one per dimension a report is filtered by.
 *
 * The days summarised so far have none of the new rows: they are forgotten, and the worker summarises them
 * again in its short turns (reports read those days live meanwhile, as before).
 */
const filtered = [
  ['stats_daily_department_idx', 'department_id'],
  ['stats_daily_category_idx', 'category_id'],
  ['stats_daily_group_idx', 'group_id'],
  ['stats_daily_assignee_idx', 'assignee_id'],
] as const

export async function up(db: AnyDb): Promise<void> {
  for (const [name, column] of filtered) {
    await db.schema.createIndex(name).on('stats_daily').columns(['grain', column, 'day']).execute()
  }
  await db.deleteFrom('stats_daily').execute()
  await db.deleteFrom('stats_daily_days').execute()
}

export async function down(db: AnyDb): Promise<void> {
  for (const [name] of filtered) await db.schema.dropIndex(name).execute()
  await db.deleteFrom('stats_daily').where('grain', 'like', '%+%').execute()
}
