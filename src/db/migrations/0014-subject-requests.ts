import type { ColumnDefinitionBuilder, Kysely } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * A person's requests (152-ФЗ ст. 14, 20, 21; issue 10): what they asked, when and how it came, the legal
 * deadline in working days (computed once from the production calendar, moved by a recorded extension),
 * the status and the answer, and whether the admins were reminded. The documents of an access answer (the
 * PDF and the ZIP) are kept in the database beside the request, as the answer that was given.
 *
 * Blocking (ст. 21): while users.blocked_at is set, the person's data is neither shown nor sent anywhere.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('subject_requests')
    .addColumn('id', 'integer', id)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('received_on', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('due_on', 'text', (c) => c.notNull())
    .addColumn('extended_reason', 'text')
    .addColumn('answer', 'text')
    .addColumn('answered_on', 'text')
    .addColumn('reminded_at', 'text')
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('subject_requests_subject_idx').on('subject_requests').column('subject_id').execute()
  await db.schema
    .createIndex('subject_requests_open_idx')
    .on('subject_requests')
    .columns(['status', 'due_on'])
    .execute()
  await db.schema
    .createTable('subject_request_documents')
    .addColumn('id', 'integer', id)
    .addColumn('request_id', 'integer', (c) => c.notNull().references('subject_requests.id'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('content', pg ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('subject_request_documents_request_idx')
    .on('subject_request_documents')
    .column('request_id')
    .execute()
  await db.schema.alterTable('users').addColumn('blocked_at', 'text').execute()
  await db.schema.alterTable('users').addColumn('blocked_by', 'integer').execute()
  await db.schema.alterTable('users').addColumn('block_reason', 'text').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('users').dropColumn('block_reason').execute()
  await db.schema.alterTable('users').dropColumn('blocked_by').execute()
  await db.schema.alterTable('users').dropColumn('blocked_at').execute()
  await db.schema.dropTable('subject_request_documents').execute()
  await db.schema.dropTable('subject_requests').execute()
}
