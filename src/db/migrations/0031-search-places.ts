import { type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * A ticket's place (кабинет, корпус) is searched with its text (issue 13): new and changed tickets index it
 * with their description (ticket-search.ts `indexedDescription`); this adds the places of the tickets
 * indexed before. Down leaves them: an index that finds a little more harms nothing.
 */
export async function up(db: AnyDb): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await sql`update ticket_search s set public_text = s.public_text || E'\\n' || t.location
      from tickets t where t.id = s.ticket_id and coalesce(t.location, '') <> ''`.execute(db)
    return
  }
  await sql`update ticket_fts
    set description = description || char(10) || (select location from tickets where tickets.id = ticket_fts.rowid)
    where rowid in (select id from tickets where location is not null and location <> '')`.execute(db)
}

export async function down(): Promise<void> {}
