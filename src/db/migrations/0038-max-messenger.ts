import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The second messenger, MAX (issue 15). A person may be reachable in Telegram, in MAX or in both:
 * `users.max_user_id` is their MAX account (a dialog with the bot is addressed by it), `max_blocked_at` is set when
 * they stopped the bot, `messenger` is the one they wrote from last (notices go there unless the hospital prefers
 * one). `max_inbox` is the exactly-once inbox of MAX updates: MAX gives an update no id, so the key is the
 * message's `mid`, the press's `callback_id`, or the type, chat and timestamp (src/max/max-updates.ts).
 * `max_messages` numbers MAX's string message ids, so that the bot's tables keyed by a message id
 * (telegram_messages, outbox.telegram_message_id, editMessageId) serve both messengers. `max_poll_state` keeps the
 * long poll's marker, written in the transaction of the batch it confirms.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema.alterTable('users').addColumn('max_user_id', 'text').execute()
  await db.schema.alterTable('users').addColumn('max_blocked_at', 'text').execute()
  await db.schema
    .alterTable('users')
    .addColumn('messenger', 'text', (c) => c.check(sql`messenger in ('telegram', 'max')`))
    .execute()
  await db.schema.createIndex('users_max_user_id_key').on('users').column('max_user_id').unique().execute()
  // Everyone reachable today was reached in Telegram.
  await sql`update users set messenger = 'telegram' where telegram_chat_id is not null`.execute(db)

  await db.schema
    .createTable('max_inbox')
    .addColumn('update_key', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('max_inbox_received_idx').on('max_inbox').column('received_at').execute()

  await db.schema
    .createTable('max_messages')
    .addColumn('id', 'integer', id)
    .addColumn('mid', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('max_poll_state')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('marker', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('max_poll_state').execute()
  await db.schema.dropTable('max_messages').execute()
  await db.schema.dropTable('max_inbox').execute()
  await db.schema.dropIndex('users_max_user_id_key').execute()
  await db.schema.alterTable('users').dropColumn('messenger').execute()
  await db.schema.alterTable('users').dropColumn('max_blocked_at').execute()
  await db.schema.alterTable('users').dropColumn('max_user_id').execute()
}
