import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The daily summary of the ticket statistics (issue 12): a year's report read from per-day aggregates
 * instead of a year of tickets.
 * - `stats_daily`: per local day (the display time zone) and grain, the aggregates of the tickets created
 *   that day (counts, deadline outcomes, rating sums, histograms of the first-response and resolution
 *   times) and the count resolved that day. A grain (`status`, `category`, `department`, `assignee`) keeps
 *   one dimension (0 = none) and rolls up the others (-1, status `*`): the hospital-wide report, a few dozen
 *   rows a day. Filtered reports read the tickets (src/stats/daily-summary.ts says why).
 * - `stats_daily_days`: which days are summarised, in which zone.
 * - `stats_daily_dirty`: instants (a ticket's creation or resolution, before and after a change) whose day's
 *   summary is stale, written by triggers on `tickets` so that no writer can forget it; the report reads
 *   such days live and the worker recomputes them.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  const count = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(0)
  await db.schema
    .createTable('stats_daily')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('grain', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('department_id', 'integer', (c) => c.notNull())
    .addColumn('category_id', 'integer', (c) => c.notNull())
    .addColumn('group_id', 'integer', (c) => c.notNull())
    .addColumn('assignee_id', 'integer', (c) => c.notNull())
    .addColumn('created', 'integer', count)
    .addColumn('resolved', 'integer', count)
    .addColumn('rating_sum', 'integer', count)
    .addColumn('rating_count', 'integer', count)
    .addColumn('response_met', 'integer', count)
    .addColumn('response_missed', 'integer', count)
    .addColumn('resolution_met', 'integer', count)
    .addColumn('resolution_missed', 'integer', count)
    .addColumn('response_hist', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('resolution_hist', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('resolved_on_day', 'integer', count)
    .addPrimaryKeyConstraint('stats_daily_pk', [
      'day',
      'grain',
      'status',
      'department_id',
      'category_id',
      'group_id',
      'assignee_id',
    ])
    .execute()
  await db.schema
    .createTable('stats_daily_days')
    .addColumn('day', 'text', (c) => c.primaryKey())
    .addColumn('tz', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('stats_daily_dirty')
    .addColumn('id', 'integer', id)
    .addColumn('at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('stats_daily_dirty_at_idx').on('stats_daily_dirty').column('at').execute()

  // Only the columns the report reads make a change worth marking (not the title, the location, …).
  const watched = [
    'created_at',
    'status',
    'category_id',
    'department_id',
    'group_id',
    'assignee_id',
    'first_response_at',
    'resolved_at',
    'response_due_at',
    'resolution_due_at',
    'response_breached_at',
    'resolution_breached_at',
    'rating',
  ]
  if (pg) {
    await sql`create function stats_daily_mark() returns trigger language plpgsql as $$
      begin
        -- Nested: on PostgreSQL an insert has no OLD and a delete no NEW to read a field of.
        if tg_op in ('UPDATE', 'DELETE') then
          insert into stats_daily_dirty (at) values (old.created_at);
          if old.resolved_at is not null then insert into stats_daily_dirty (at) values (old.resolved_at); end if;
        end if;
        if tg_op = 'INSERT' then
          insert into stats_daily_dirty (at) values (new.created_at);
          if new.resolved_at is not null then insert into stats_daily_dirty (at) values (new.resolved_at); end if;
        elsif tg_op = 'UPDATE' then
          if new.created_at <> old.created_at then insert into stats_daily_dirty (at) values (new.created_at); end if;
          if new.resolved_at is not null and new.resolved_at is distinct from old.resolved_at then
            insert into stats_daily_dirty (at) values (new.resolved_at);
          end if;
        end if;
        return null;
      end $$`.execute(db)
    const changed = sql.raw(watched.map((c) => `old.${c} is distinct from new.${c}`).join(' or '))
    await sql`create trigger tickets_stats_daily_write after insert or delete on tickets
      for each row execute function stats_daily_mark()`.execute(db)
    await sql`create trigger tickets_stats_daily_update after update on tickets
      for each row when (${changed}) execute function stats_daily_mark()`.execute(db)
    return
  }
  const changed = sql.raw(watched.map((c) => `old.${c} is not new.${c}`).join(' or '))
  await sql`create trigger tickets_stats_daily_insert after insert on tickets begin
      insert into stats_daily_dirty (at) values (new.created_at);
      insert into stats_daily_dirty (at) select new.resolved_at where new.resolved_at is not null;
    end`.execute(db)
  await sql`create trigger tickets_stats_daily_delete after delete on tickets begin
      insert into stats_daily_dirty (at) values (old.created_at);
      insert into stats_daily_dirty (at) select old.resolved_at where old.resolved_at is not null;
    end`.execute(db)
  await sql`create trigger tickets_stats_daily_update after update on tickets when ${changed} begin
      insert into stats_daily_dirty (at) values (old.created_at);
      insert into stats_daily_dirty (at) select new.created_at where new.created_at is not old.created_at;
      insert into stats_daily_dirty (at) select old.resolved_at where old.resolved_at is not null;
      insert into stats_daily_dirty (at) select new.resolved_at
        where new.resolved_at is not null and new.resolved_at is not old.resolved_at;
    end`.execute(db)
}

export async function down(db: AnyDb): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await sql`drop trigger tickets_stats_daily_write on tickets`.execute(db)
    await sql`drop trigger tickets_stats_daily_update on tickets`.execute(db)
    await sql`drop function stats_daily_mark()`.execute(db)
  } else {
    for (const name of ['insert', 'delete', 'update']) {
      await sql`drop trigger ${sql.raw(`tickets_stats_daily_${name}`)}`.execute(db)
    }
  }
  await db.schema.dropTable('stats_daily_dirty').execute()
  await db.schema.dropTable('stats_daily_days').execute()
  await db.schema.dropTable('stats_daily').execute()
}
