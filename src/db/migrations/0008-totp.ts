import type { ColumnDefinitionBuilder, Kysely } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * TOTP recovery codes (issue 9). users.totp_secret / totp_enabled / totp_last_step exist since 0001: the
 * secret is now stored encrypted (AES-256-GCM under SECRET_KEY), a secret with totp_enabled = 0 is a
 * pending enrolment. Recovery codes are random, so a SHA-256 digest is enough; each is used once.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('totp_recovery_codes')
    .addColumn('id', 'integer', id)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('totp_recovery_codes_user_idx')
    .on('totp_recovery_codes')
    .columns(['user_id', 'code_hash'])
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('totp_recovery_codes').execute()
}
