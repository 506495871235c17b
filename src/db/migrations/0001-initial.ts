import { type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// Migrations are frozen history: they take Kysely<any> on purpose, never today's schema types.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyDb = Kysely<any>

export async function up(db: AnyDb): Promise<void> {
  const pg = dialectOf(db) === 'postgres'
  const id = (c: ColumnDefinitionBuilder) =>
    pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()
  const table = (name: string) => db.schema.createTable(name)
  const stamps = <T extends string>(t: CreateTableBuilder<T>) =>
    t.addColumn('created_at', 'text', (c) => c.notNull()).addColumn('updated_at', 'text', (c) => c.notNull())

  await stamps(
    table('departments')
      .addColumn('id', 'integer', id)
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0)),
  ).execute()

  await table('users')
    .addColumn('id', 'integer', id)
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('full_name', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.unique())
    .addColumn('password_hash', 'text')
    .addColumn('phone', 'text')
    .addColumn('position', 'text')
    .addColumn('room', 'text')
    .addColumn('department_id', 'integer', (c) => c.references('departments.id'))
    .addColumn('telegram_chat_id', 'text', (c) => c.unique())
    .addColumn('telegram_username', 'text')
    .addColumn('telegram_blocked_at', 'text')
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('ru'))
    .addColumn('totp_secret', 'text')
    .addColumn('totp_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('totp_last_step', 'integer')
    .addColumn('rejection_reason', 'text')
    .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .addColumn('confirmed_by', 'integer', (c) => c.references('users.id'))
    .addColumn('deactivated_at', 'text')
    .addColumn('pseudonymised_at', 'text')
    .addColumn('last_login_at', 'text')
    .addCheckConstraint('users_role', sql`role in ('requester', 'executor', 'curator', 'admin')`)
    .addCheckConstraint('users_status', sql`status in ('pending', 'active', 'rejected', 'deactivated')`)
    .execute()
  await db.schema.createIndex('users_status_idx').on('users').columns(['status', 'role']).execute()

  await stamps(
    table('executor_groups')
      .addColumn('id', 'integer', id)
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1)),
  ).execute()

  await table('group_members')
    .addColumn('group_id', 'integer', (c) => c.notNull().references('executor_groups.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
    .execute()
  await db.schema.createIndex('group_members_user_idx').on('group_members').column('user_id').execute()

  await stamps(
    table('categories')
      .addColumn('id', 'integer', id)
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('parent_id', 'integer', (c) => c.references('categories.id'))
      .addColumn('default_group_id', 'integer', (c) => c.references('executor_groups.id'))
      .addColumn('default_priority', 'text', (c) => c.notNull().defaultTo('normal'))
      .addColumn('response_minutes', 'integer')
      .addColumn('resolution_minutes', 'integer')
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0)),
  ).execute()

  await table('tickets')
    .addColumn('id', 'integer', id)
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('category_id', 'integer', (c) => c.references('categories.id'))
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requester_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('assignee_id', 'integer', (c) => c.references('users.id'))
    .addColumn('group_id', 'integer', (c) => c.references('executor_groups.id'))
    .addColumn('department_id', 'integer', (c) => c.references('departments.id'))
    .addColumn('location', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('first_response_at', 'text')
    .addColumn('resolved_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('cancelled_at', 'text')
    .addColumn('response_due_at', 'text')
    .addColumn('resolution_due_at', 'text')
    .addColumn('response_breached_at', 'text')
    .addColumn('resolution_breached_at', 'text')
    .addColumn('resolution', 'text')
    .addColumn('cancel_reason', 'text')
    .addColumn('rating', 'integer')
    .addColumn('rating_comment', 'text')
    .addColumn('rated_at', 'text')
    .addCheckConstraint(
      'tickets_status',
      sql`status in ('new', 'in_progress', 'waiting', 'resolved', 'closed', 'cancelled')`,
    )
    .addCheckConstraint('tickets_priority', sql`priority in ('low', 'normal', 'high', 'critical')`)
    .addCheckConstraint('tickets_rating', sql`rating is null or rating between 1 and 5`)
    .execute()
  for (const [name, columns] of [
    ['tickets_status_created_idx', ['status', 'created_at']],
    ['tickets_created_idx', ['created_at']],
    ['tickets_assignee_status_idx', ['assignee_id', 'status']],
    ['tickets_requester_created_idx', ['requester_id', 'created_at']],
    ['tickets_category_idx', ['category_id']],
    ['tickets_department_idx', ['department_id']],
    ['tickets_group_status_idx', ['group_id', 'status']],
    ['tickets_resolution_due_idx', ['status', 'resolution_due_at']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('tickets')
      .columns([...columns])
      .execute()
  }

  await table('ticket_messages')
    .addColumn('id', 'integer', id)
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id'))
    .addColumn('author_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivery_status', 'text')
    .addColumn('telegram_message_id', 'integer')
    .addCheckConstraint('ticket_messages_kind', sql`kind in ('external', 'internal')`)
    .execute()
  await db.schema.createIndex('ticket_messages_ticket_idx').on('ticket_messages').columns(['ticket_id', 'id']).execute()

  await table('ticket_events')
    .addColumn('id', 'integer', id)
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id'))
    .addColumn('actor_id', 'integer', (c) => c.references('users.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('from_value', 'text')
    .addColumn('to_value', 'text')
    .addColumn('details', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('ticket_events_ticket_idx').on('ticket_events').columns(['ticket_id', 'id']).execute()

  await table('attachments')
    .addColumn('id', 'integer', id)
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id'))
    .addColumn('message_id', 'integer', (c) => c.references('ticket_messages.id'))
    .addColumn('uploader_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('attachments_ticket_idx').on('attachments').column('ticket_id').execute()

  await table('audit_log')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'integer')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text')
    .addColumn('object_id', 'text')
    .addColumn('subject_id', 'integer')
    .addColumn('pdn_related', 'integer', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('details', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute()
  await db.schema.createIndex('audit_log_actor_idx').on('audit_log').columns(['actor_id', 'id']).execute()
  await db.schema.createIndex('audit_log_pdn_idx').on('audit_log').columns(['pdn_related', 'id']).execute()

  await table('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('revoked_at', 'text')
    .execute()
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute()

  await table('api_tokens')
    .addColumn('id', 'integer', id)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute()

  await table('consent_texts')
    .addColumn('id', 'integer', id)
    .addColumn('version', 'integer', (c) => c.notNull().unique())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await table('consent_records')
    .addColumn('id', 'integer', id)
    .addColumn('user_id', 'integer', (c) => c.references('users.id'))
    .addColumn('consent_text_id', 'integer', (c) => c.notNull().references('consent_texts.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('withdrawn_at', 'text')
    .execute()
  await db.schema.createIndex('consent_records_user_idx').on('consent_records').column('user_id').execute()

  await table('outbox')
    .addColumn('id', 'integer', id)
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('ticket_id', 'integer', (c) => c.references('tickets.id'))
    .addColumn('message_id', 'integer', (c) => c.references('ticket_messages.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .execute()
  await db.schema.createIndex('outbox_due_idx').on('outbox').columns(['status', 'next_attempt_at']).execute()

  await table('telegram_inbox')
    .addColumn('update_id', 'bigint', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute()

  await table('jobs')
    .addColumn('id', 'integer', id)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('unique_key', 'text', (c) => c.unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute()
  await db.schema.createIndex('jobs_due_idx').on('jobs').columns(['status', 'run_at']).execute()

  await table('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'integer', (c) => c.references('users.id'))
    .execute()

  await table('idempotency_keys')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'key'])
    .execute()

  await table('bot_conversations')
    .addColumn('chat_id', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await table('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute()

  // The audit chain's head (see audit/journal.ts): id 0 and the genesis hash.
  await db
    .insertInto('settings')
    .values({
      key: 'audit.head',
      value: JSON.stringify({ id: 0, hash: '0'.repeat(64) }),
      updated_at: '1970-01-01T00:00:00.000Z',
    })
    .execute()

  await createSearchIndex(db, pg)
  await protectAuditLog(db, pg)
}

/**
 * Full-text search over a ticket: its title and description, external messages, and internal notes
 * (kept apart so that a requester's search never matches a staff-only note).
 * SQLite: FTS5 with rowid = ticket id. PostgreSQL: tsvector columns with the `russian` configuration.
 */
async function createSearchIndex(db: AnyDb, pg: boolean): Promise<void> {
  if (!pg) {
    await sql`create virtual table ticket_fts using fts5(
      title, description, messages, notes, tokenize = 'unicode61 remove_diacritics 2'
    )`.execute(db)
    return
  }
  await sql`create table ticket_search (
    ticket_id integer primary key references tickets(id),
    public_text text not null default '',
    internal_text text not null default '',
    public_tsv tsvector generated always as (to_tsvector('russian', public_text)) stored,
    all_tsv tsvector generated always as (to_tsvector('russian', public_text || ' ' || internal_text)) stored
  )`.execute(db)
  await sql`create index ticket_search_public_idx on ticket_search using gin (public_tsv)`.execute(db)
  await sql`create index ticket_search_all_idx on ticket_search using gin (all_tsv)`.execute(db)
}

/** The journal is append-only: the database itself refuses to change or remove its rows. */
async function protectAuditLog(db: AnyDb, pg: boolean): Promise<void> {
  if (!pg) {
    await sql`create trigger audit_log_no_update before update on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`.execute(db)
    await sql`create trigger audit_log_no_delete before delete on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`.execute(db)
    return
  }
  await sql`create or replace function audit_log_refuse() returns trigger language plpgsql as $$
    begin raise exception 'audit_log is append-only'; end $$`.execute(db)
  await sql`create trigger audit_log_no_change before update or delete on audit_log
    for each row execute function audit_log_refuse()`.execute(db)
  await sql`create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_refuse()`.execute(db)
  await sql`alter table audit_log enable always trigger audit_log_no_change`.execute(db)
  await sql`alter table audit_log enable always trigger audit_log_no_truncate`.execute(db)
}

export async function down(): Promise<void> {
  throw new Error('The initial migration cannot be reverted; restore a backup instead.')
}
