import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * One-time «установить пароль» links (issue 9): an account made on the web or by the CLI, or one whose
 * password an admin resets, gets a link instead of a typed password. Only the token's sha256 is kept;
 * 24 hours to live, one use.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('password_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    /** Who issued it (an admin or curator); null for the CLI. */
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute()
  await db.schema.createIndex('password_links_user_idx').on('password_links').column('user_id').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('password_links').execute()
}
