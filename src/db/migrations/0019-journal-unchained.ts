import { type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * PostgreSQL writes journal rows unchained (issue 12, src/audit/journal.ts): a row takes its id from a
 * sequence and comes without `prev_hash` and `hash`, which the chainer fills in id order a moment later.
 * The append-only trigger lets exactly that through: an unsealed row sealed once, nothing else of it
 * changed; a sealed row stays as it is. SQLite chains as it writes (one writer at a time) and is unchanged.
 */
export async function up(db: AnyDb): Promise<void> {
  if (dialectOf(db) !== 'postgres') return
  await sql`alter table audit_log alter column prev_hash drop not null, alter column hash drop not null`.execute(db)
  await sql`alter table audit_log add constraint audit_log_sealed_whole
    check ((prev_hash is null) = (hash is null))`.execute(db)
  await sql`create sequence audit_log_id_seq as integer owned by audit_log.id`.execute(db)
  // Past every id the journal ever gave, archived rows included.
  await sql`select setval('audit_log_id_seq', greatest(last, 1), last > 0) from (select greatest(
      (select coalesce(max(id), 0) from audit_log),
      (select coalesce(max(last_id), 0) from audit_archives),
      (select coalesce((value::json ->> 'id')::integer, 0) from settings where key = 'audit.head')) as last) ids`.execute(
    db,
  )
  await sql`alter table audit_log alter column id set default nextval('audit_log_id_seq')`.execute(db)
  await sql`create or replace function audit_log_refuse() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and old.id <= (select coalesce(max(last_id), 0) from audit_archives) then
        return old;
      end if;
      if tg_op = 'UPDATE' and old.hash is null and new.hash is not null
          and to_jsonb(new) - 'prev_hash' - 'hash' = to_jsonb(old) - 'prev_hash' - 'hash' then
        return new;
      end if;
      raise exception 'audit_log is append-only';
    end $$`.execute(db)
}
