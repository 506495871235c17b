import { type Kysely, sql } from 'kysely'
import { dialectOf } from '../database.ts'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen history, typed against no schema
type AnyDb = Kysely<any>

/**
 * PostgreSQL's planner takes a ticket's status and its assignee for independent, and they are not: every new
 * ticket is unassigned. At a million tickets it expected 42 unassigned new ones of 5 216, read them all
 * through a count index and sorted them, 42 ms for the first page of «Не назначенные»; knowing the pairs (a
 * most-common-values list over both columns), it reads the newest 26 backwards along the status + creation
 * index: 0.4 ms. ANALYZE fills them (here, then autovacuum's and the demo's after a bulk load).
 */
export async function up(db: AnyDb): Promise<void> {
  if (dialectOf(db) !== 'postgres') return
  await sql`create statistics tickets_status_assignee_stats (mcv) on status, assignee_id from tickets`.execute(db)
  // At once, not at autovacuum's next turn: a second or so at a million tickets (ANALYZE reads a sample).
  await sql`analyze tickets`.execute(db)
}

export async function down(db: AnyDb): Promise<void> {
  if (dialectOf(db) !== 'postgres') return
  await sql`drop statistics tickets_status_assignee_stats`.execute(db)
}
