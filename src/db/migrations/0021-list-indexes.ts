import { type Kysely, sql } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * Ticket lists that do not grow with the table (issue 12). The list pages by keyset over (sort key, id)
 * and stops after a page: an index per filter × sort lets both engines walk straight to the page's first
 * row and read a page's worth of entries, instead of sorting every match.
 * - (filter column, created_at | updated_at, id) for each filter the list has: status, priority,
 *   department, group, assignee, category, requester; and (created_at | updated_at, id) for no filter.
 *   The id is spelt out: PostgreSQL's index does not carry it otherwise (SQLite's does, as the rowid).
 * - The priority and status sorts order by a rank (a `case`), indexed as that very expression: the text
 *   must stay the one `ticket-store.ts` writes (`case "tickets"."priority" when 'low' then 0 … end`;
 *   both engines match an index expression after resolving names). Within a status the newest first.
 * - The old (status, created_at), (created_at), (requester_id, created_at), (category_id) and
 *   (department_id) indexes are prefixes of the new ones and go.
 */
const filters = ['status', 'priority', 'department_id', 'group_id', 'assignee_id', 'category_id', 'requester_id']
const keys = ['created_at', 'updated_at']
const replaced = [
  'tickets_status_created_idx',
  'tickets_created_idx',
  'tickets_requester_created_idx',
  'tickets_category_idx',
  'tickets_department_idx',
]

const priorityRank = sql`(case "priority" when 'low' then 0 when 'normal' then 1 when 'high' then 2 when 'critical' then 3 end)`
const statusRank = sql`(case "status" when 'new' then 0 when 'in_progress' then 1 when 'waiting' then 2 when 'resolved' then 3 when 'closed' then 4 when 'cancelled' then 5 end)`

function indexName(columns: readonly string[]): string {
  return `tickets_list_${columns.map((c) => c.replace(/_id$|_at$/, '')).join('_')}_idx`
}

export async function up(db: AnyDb): Promise<void> {
  for (const key of keys) {
    for (const columns of [[key, 'id'], ...filters.map((filter) => [filter, key, 'id'])]) {
      await db.schema.createIndex(indexName(columns)).on('tickets').columns(columns).execute()
    }
  }
  await sql`create index tickets_list_priority_rank_idx on tickets (${priorityRank}, id)`.execute(db)
  await sql`create index tickets_list_status_rank_idx on tickets (${statusRank}, id desc)`.execute(db)
  for (const name of replaced) await db.schema.dropIndex(name).execute()
}

export async function down(db: AnyDb): Promise<void> {
  for (const [name, columns] of [
    ['tickets_status_created_idx', ['status', 'created_at']],
    ['tickets_created_idx', ['created_at']],
    ['tickets_requester_created_idx', ['requester_id', 'created_at']],
    ['tickets_category_idx', ['category_id']],
    ['tickets_department_idx', ['department_id']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('tickets')
      .columns([...columns])
      .execute()
  }
  await db.schema.dropIndex('tickets_list_priority_rank_idx').execute()
  await db.schema.dropIndex('tickets_list_status_rank_idx').execute()
  for (const key of keys) {
    for (const columns of [[key, 'id'], ...filters.map((filter) => [filter, key, 'id'])]) {
      await db.schema.dropIndex(indexName(columns)).execute()
    }
  }
}
