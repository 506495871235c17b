import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * The end of the journal's retention (issue 10, COMPLIANCE.md §4): rows older than `audit.retention_days`
 * are written to a signed archive file and only then leave the table. `audit_archives` records each archive
 * (its rows' ids, the hash of its last row, the file's name and SHA-256); the chain of what stays starts
 * from that hash. The journal's triggers now let a row go only when an archive covers it: nothing is
 * dropped silently. The archives' table itself is append-only, as the journal is.
 */
export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  await db.schema
    .createTable('audit_archives')
    .addColumn('id', 'integer', id)
    .addColumn('first_id', 'integer', (c) => c.notNull())
    .addColumn('last_id', 'integer', (c) => c.notNull().unique())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('last_hash', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('first_at', 'text', (c) => c.notNull())
    .addColumn('last_at', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute()
  if (pg) {
    await sql`create or replace function audit_log_refuse() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and old.id <= (select coalesce(max(last_id), 0) from audit_archives) then
          return old;
        end if;
        raise exception 'audit_log is append-only';
      end $$`.execute(db)
    await sql`create or replace function audit_archives_refuse() returns trigger language plpgsql as $$
      begin raise exception 'audit_archives is append-only'; end $$`.execute(db)
    await sql`create trigger audit_archives_no_change before update or delete on audit_archives
      for each row execute function audit_archives_refuse()`.execute(db)
    await sql`create trigger audit_archives_no_truncate before truncate on audit_archives
      for each statement execute function audit_archives_refuse()`.execute(db)
    await sql`alter table audit_archives enable always trigger audit_archives_no_change`.execute(db)
    await sql`alter table audit_archives enable always trigger audit_archives_no_truncate`.execute(db)
    return
  }
  await sql`drop trigger audit_log_no_delete`.execute(db)
  await sql`create trigger audit_log_no_delete before delete on audit_log
    when old.id > (select coalesce(max(last_id), 0) from audit_archives)
    begin select raise(abort, 'audit_log is append-only'); end`.execute(db)
  await sql`create trigger audit_archives_no_update before update on audit_archives
    begin select raise(abort, 'audit_archives is append-only'); end`.execute(db)
  await sql`create trigger audit_archives_no_delete before delete on audit_archives
    begin select raise(abort, 'audit_archives is append-only'); end`.execute(db)
}
