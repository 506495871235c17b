import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The staff dashboard: when each person last looked at it (to show «что изменилось с последнего
 * визита»), and the indexes its «what changed» list and the report's «resolved per day» trend read by.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('dashboard_visits')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id'))
    /** The latest view of the dashboard. */
    .addColumn('seen_at', 'text', (c) => c.notNull())
    /** Where «what changed» starts: the end of the visit before the current one. */
    .addColumn('previous_seen_at', 'text')
    .execute()
  await db.schema.createIndex('ticket_events_created_idx').on('ticket_events').column('created_at').execute()
  await db.schema.createIndex('tickets_resolved_idx').on('tickets').column('resolved_at').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('tickets_resolved_idx').execute()
  await db.schema.dropIndex('ticket_events_created_idx').execute()
  await db.schema.dropTable('dashboard_visits').execute()
}
