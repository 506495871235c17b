import type { Kysely } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Telegram bookkeeping: which sent message was about which ticket (so that a person's reply to it lands
 * on that ticket), and one-time web login links sent by `/login`.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  await db.schema
    .createTable('telegram_messages')
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'bigint', (c) => c.notNull())
    .addColumn('ticket_id', 'integer', (c) => c.references('tickets.id'))
    .addColumn('outbox_id', 'integer', (c) => c.references('outbox.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('telegram_messages_pk', ['chat_id', 'message_id'])
    .execute()

  await db.schema
    .createTable('login_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute()

  await db.schema
    .alterTable('outbox')
    .addColumn('telegram_message_id', pg ? 'bigint' : 'integer')
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('outbox').dropColumn('telegram_message_id').execute()
  await db.schema.dropTable('login_links').execute()
  await db.schema.dropTable('telegram_messages').execute()
}
