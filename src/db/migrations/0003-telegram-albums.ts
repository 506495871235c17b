import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Telegram sends an album as several messages sharing a `media_group_id`, one update each. A reply that
 * is an album must become one ticket message with all its files: the first part files the message, and
 * this table lets the later parts find it (by chat and group) and add their files to it.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('telegram_albums')
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('media_group_id', 'text', (c) => c.notNull())
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id'))
    .addColumn('message_id', 'integer', (c) => c.notNull().references('ticket_messages.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('telegram_albums_pk', ['chat_id', 'media_group_id'])
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('telegram_albums').execute()
}
