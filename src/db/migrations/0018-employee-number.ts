import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Importing a hospital (issue 11).
 * - `users.employee_number`: the табельный номер from the HR export, the stable key a repeated import matches
 *   a person by, so re-running the same file changes nothing. Unique when set; people registered through the
 *   bot have none. Personal data like the phone.
 * - `import_uploads`: a file uploaded on «Пользователи → Импорт», kept between its preview and the admin's
 *   «Импортировать» (keyed by the hash of a random key, for one person, for minutes), so that what is imported
 *   is exactly what was previewed, on whichever instance the confirmation lands.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('users').addColumn('employee_number', 'text').execute()
  // A plain unique index: both databases let any number of NULLs through one.
  await db.schema.createIndex('users_employee_number_idx').on('users').column('employee_number').unique().execute()
  await db.schema
    .createTable('import_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('import_uploads_expires_idx').on('import_uploads').column('expires_at').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('import_uploads').execute()
  await db.schema.dropIndex('users_employee_number_idx').execute()
  await db.schema.alterTable('users').dropColumn('employee_number').execute()
}
