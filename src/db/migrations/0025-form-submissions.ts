import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Web forms that create something are sent once (issue 13: a double click on «Отправить заявку» filed two
 * tickets): each carries a token; the first request with it claims the row, a repeat waits for the first and
 * goes where it went (`location`, the redirect after the creation). Rows older than a day are deleted.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('form_submissions')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('location', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('form_submissions_pk', ['user_id', 'token'])
    .execute()
  await db.schema.createIndex('form_submissions_created_idx').on('form_submissions').column('created_at').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('form_submissions').execute()
}
