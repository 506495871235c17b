import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The person's e-mail (issue 9): filled and refreshed from the directory's `mail` at each LDAP sign-in,
 * shown beside the phone. Personal data like the phone; empty for accounts the directory does not vouch for.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('users').addColumn('email', 'text').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('users').dropColumn('email').execute()
}
