import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The login throttle (issue 8, items 6–7): failed password attempts counted per (address, login), per
 * address and per (address, user) for the current password on /profile, in the database so that every
 * instance sees the same counts, a restart does not forget them and `helpdesk users unlock` can clear
 * them. It replaces the account lockout of users.failed_logins / users.locked_until, which anyone could
 * trigger; those columns stay unused.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('login_throttle')
    /** `login:<address>:<login digest>`, `address:<address or /64>`, `password:<address>:<user id>`. */
    .addColumn('key', 'text', (c) => c.primaryKey())
    /** Whose attempts these are, for an unlock: the login's digest or `user:<id>`; null for an address. */
    .addColumn('subject', 'text')
    /** Failed attempts (an attempt counts when it starts and is given back when it succeeds). */
    .addColumn('failures', 'integer', (c) => c.notNull())
    /** No attempt for this key is checked before this time. */
    .addColumn('blocked_until', 'text')
    .addColumn('last_failure_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('login_throttle_subject_idx').on('login_throttle').column('subject').execute()
  await db.schema.createIndex('login_throttle_last_idx').on('login_throttle').column('last_failure_at').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('login_throttle').execute()
}
