import { type Kysely, sql } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The unassigned tickets by status and group, in filing order: the queue «мои» reads for each of one's groups, and
 * the dashboard's «Не назначенные» (of one's groups, or of all for a curator with none). Partial (`where
 * assignee_id is null`): a few per cent of the tickets, so it stays small and an assignment takes the ticket out
 * of it. PostgreSQL found those tickets by intersecting two bitmaps, one of them every unassigned ticket there ever
 * was (38 000 at a million tickets): 10–25 ms a group, 50 ms the dashboard's list of all. From this index it reads
 * them alone: 0.2 ms a group, 5 ms the list of all, a count 0.4 ms. The condition has no parameter, so a prepared
 * statement's generic plan may use it too. SQLite's planner (which has no statistics) walks the unassigned tickets'
 * filing-time index instead: 1.5–7 ms a page of «мои», whichever way round this one's columns go; the index is
 * made on both all the same, one schema for both engines.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex('tickets_unassigned_idx')
    .on('tickets')
    .columns(['status', 'group_id', 'created_at', 'id'])
    .where(sql.ref('assignee_id'), 'is', null)
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('tickets_unassigned_idx').execute()
}
