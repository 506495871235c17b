import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Linking Telegram to a web account (issue 9): the profile issues a short one-time code, the person sends
 * it to the bot (`/start link_<code>`) and the bot binds that chat to the account. One code per account:
 * a new one replaces the older (the primary key is the account). Only a keyed digest of the code is kept;
 * 15 minutes to live, one use. Guesses are counted per chat in login_throttle (0005).
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('telegram_links')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id'))
    .addColumn('code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('telegram_links').execute()
}
