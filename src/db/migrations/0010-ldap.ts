import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * LDAP / Active Directory sign-in (issue 9): where an account's password is checked — here (`local`, the
 * default, which every existing account keeps) or by the directory (`ldap`, made at the first sign-in, never
 * with a local password) — and the directory entry it came from (its DN), for the journal and for IT.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('auth_source', 'text', (c) => c.notNull().defaultTo('local'))
    .execute()
  await db.schema.alterTable('users').addColumn('external_dn', 'text').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('users').dropColumn('external_dn').execute()
  await db.schema.alterTable('users').dropColumn('auth_source').execute()
}
