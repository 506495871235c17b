import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Links between tickets (issue 13): related tickets, a parent and its children, and a duplicate merged into
 * another. A link is never deleted: undoing it (unlinking, or a merge undone within a day) stamps `undone_at`
 * and `undone_by`, so the partial unique indexes below look at the active links only:
 * - two tickets are related or parent and child once at most, in either direction (a merge is apart);
 * - a ticket has one parent at most, and is merged into one ticket at most.
 * `previous` keeps what a merge changed on the duplicate (its status, close time, assignee), for an exact undo.
 * `tickets.merged_into_id` names the ticket a duplicate was merged into: the bot sends the requester's later
 * replies there, and that ticket's timeline shows the duplicate's conversation.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('ticket_links')
    .addColumn('id', 'integer', id)
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id'))
    .addColumn('other_id', 'integer', (c) => c.notNull().references('tickets.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('undone_at', 'text')
    .addColumn('undone_by', 'integer', (c) => c.references('users.id'))
    .addColumn('previous', 'text')
    .addCheckConstraint('ticket_links_kind_check', sql`kind in ('related', 'parent', 'duplicate')`)
    .addCheckConstraint('ticket_links_not_self_check', sql`ticket_id <> other_id`)
    .execute()
  await db.schema.createIndex('ticket_links_ticket_idx').on('ticket_links').columns(['ticket_id', 'kind']).execute()
  await db.schema.createIndex('ticket_links_other_idx').on('ticket_links').columns(['other_id', 'kind']).execute()
  const low = pg ? sql`least(ticket_id, other_id)` : sql`min(ticket_id, other_id)`
  const high = pg ? sql`greatest(ticket_id, other_id)` : sql`max(ticket_id, other_id)`
  await sql`create unique index ticket_links_pair_uq on ticket_links (${low}, ${high})
    where undone_at is null and kind <> 'duplicate'`.execute(db)
  await sql`create unique index ticket_links_parent_uq on ticket_links (other_id)
    where undone_at is null and kind = 'parent'`.execute(db)
  await sql`create unique index ticket_links_duplicate_uq on ticket_links (ticket_id)
    where undone_at is null and kind = 'duplicate'`.execute(db)
  await db.schema
    .alterTable('tickets')
    .addColumn('merged_into_id', 'integer', (c) => c.references('tickets.id'))
    .execute()
  await db.schema.createIndex('tickets_merged_into_idx').on('tickets').column('merged_into_id').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('tickets_merged_into_idx').execute()
  await db.schema.alterTable('tickets').dropColumn('merged_into_id').execute()
  await db.schema.dropTable('ticket_links').execute()
}
