import { type Kysely, sql } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The unassigned tickets of a group by status, in filing order: the queue «мои» reads for each of one's groups,
 * and the dashboard's «Не назначенные». Partial (`where assignee_id is null`): a few per cent of the tickets, so
 * it stays small and an assignment takes the ticket out of it. PostgreSQL found a group's waiting tickets by
 * intersecting two bitmaps, one of them every unassigned ticket there ever was (38 000 at a million tickets, 10–25
 * ms a group); from this index it reads them alone (1 ms). The condition has no parameter, so a prepared
 * statement's generic plan may use it too. SQLite's planner walks the group's filing-time index instead, as fast
 * there (1.5 ms a page); the index is made on both all the same, one schema for both engines.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex('tickets_unassigned_idx')
    .on('tickets')
    .columns(['group_id', 'status', 'created_at', 'id'])
    .where(sql.ref('assignee_id'), 'is', null)
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('tickets_unassigned_idx').execute()
}
