import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The web's colour theme a person chose in the profile (issue 13): `system` follows the computer's light or dark
 * setting, `light` and `dark` hold whatever it is. Not personal data, like the language.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('theme', 'text', (c) => c.notNull().defaultTo('system'))
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('users').dropColumn('theme').execute()
}
