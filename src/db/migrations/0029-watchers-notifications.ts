import type { Kysely } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Watchers and the web's notifications (issue 13, src/notifications/).
 * - `ticket_watchers`: staff following a ticket, one row per (ticket, person).
 * - `web_notifications`: what the bell counts. A row names only ids and a kind: its text is rendered from the
 *   ticket and the event when it is shown, so it holds no copy of anybody's data (a destroyed subject leaves
 *   nothing behind here). Read by (user_id, read_at, id): the unread count and the unread newest first.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  await db.schema
    .createTable('ticket_watchers')
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ticket_watchers_pk', ['ticket_id', 'user_id'])
    .execute()
  await db.schema
    .createIndex('ticket_watchers_user_idx')
    .on('ticket_watchers')
    .columns(['user_id', 'ticket_id'])
    .execute()

  await db.schema
    .createTable('web_notifications')
    .addColumn('id', 'integer', (c) =>
      pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('ticket_id', 'integer', (c) => c.references('tickets.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('event_id', 'integer', (c) => c.references('ticket_events.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text')
    .execute()
  await db.schema
    .createIndex('web_notifications_user_idx')
    .on('web_notifications')
    .columns(['user_id', 'read_at', 'id'])
    .execute()
  // The page of one's notifications, newest first, read or not.
  await db.schema
    .createIndex('web_notifications_user_id_idx')
    .on('web_notifications')
    .columns(['user_id', 'id'])
    .execute()
  // The live bell asks which of a poll's events brought someone a notification.
  await db.schema.createIndex('web_notifications_event_idx').on('web_notifications').column('event_id').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('web_notifications').execute()
  await db.schema.dropTable('ticket_watchers').execute()
}
