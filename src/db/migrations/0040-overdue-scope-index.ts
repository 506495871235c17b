import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The overdue tickets one answers for (the dashboard's «Просроченные», the list's «мои» + overdue) are those of
 * `tickets_resolution_due_idx` assigned to the person or unassigned in their groups: at a million tickets each of
 * the 13 000 overdue was read from the table for its assignee and group, 90–130 ms a count on SQLite. With both
 * in the index (after the columns it is searched and ordered by), the count reads the index alone: 1–2 ms. So
 * does «Просроченные» sorted by change, with `updated_at` in it too (SQLite 43 ms a page, 190 the slowest → 4 ms).
 * An assignment, a group's change or any change of the ticket now moves its entry on SQLite (on PostgreSQL an
 * update that changes an indexed column writes every index's entry anew anyway).
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('tickets_resolution_due_idx').execute()
  await db.schema
    .createIndex('tickets_resolution_due_idx')
    .on('tickets')
    .columns(['status', 'resolution_due_at', 'created_at', 'id', 'updated_at', 'assignee_id', 'group_id'])
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('tickets_resolution_due_idx').execute()
  await db.schema
    .createIndex('tickets_resolution_due_idx')
    .on('tickets')
    .columns(['status', 'resolution_due_at', 'created_at', 'id'])
    .execute()
}
