import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Consent (issue 10): a paper consent or a paper withdrawal carries the scan an admin uploaded — stored in
 * the file store by its SHA-256 (`evidence_file`), with the name and type it is served with; and a web
 * session opened for someone without consent to the current text leads to the consent page first
 * (`sessions.consent_due`, like the forced 2FA enrolment).
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('consent_records').addColumn('evidence_file', 'text').execute()
  await db.schema.alterTable('consent_records').addColumn('evidence_file_name', 'text').execute()
  await db.schema.alterTable('consent_records').addColumn('evidence_file_type', 'text').execute()
  await db.schema
    .createIndex('consent_records_evidence_file_idx')
    .on('consent_records')
    .column('evidence_file')
    .execute()
  await db.schema
    .alterTable('sessions')
    .addColumn('consent_due', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('consent_due').execute()
  await db.schema.dropIndex('consent_records_evidence_file_idx').execute()
  await db.schema.alterTable('consent_records').dropColumn('evidence_file_type').execute()
  await db.schema.alterTable('consent_records').dropColumn('evidence_file_name').execute()
  await db.schema.alterTable('consent_records').dropColumn('evidence_file').execute()
}
