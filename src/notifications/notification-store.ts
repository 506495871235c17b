import { prepared } from '#src/db/prepared.ts'
import type { Db, TicketStatus, Tx, WebNotificationKind } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { shownName, shownNameOrNull } from '#src/users/blocking.ts'

/** Reads and writes of `ticket_watchers` and `web_notifications` (migration 0029). */

/** Who follows a ticket, by name (as anyone who may see them sees them), in the order they began. */
export async function listWatchers(tx: Tx, ticketId: number): Promise<Array<{ id: number; full_name: string }>> {
  return watchersOf.execute(tx, { ticketId })
}

/** Every staff view of a ticket asks it. */
const watchersOf = prepared((db, p: { ticketId: number }) =>
  db
    .selectFrom('ticket_watchers as w')
    .innerJoin('users', 'users.id', 'w.user_id')
    .select(['users.id', shownName('users').as('full_name')])
    .where('w.ticket_id', '=', p.ticketId)
    .orderBy('w.created_at')
    .orderBy('users.id'),
)

/**
 * Starts a person following a ticket; false when they already did. Two requests at once (a double click) do not
 * fail on the pair's key: the second changes nothing.
 */
export async function addWatcher(tx: Tx, ticketId: number, userId: number): Promise<boolean> {
  const result = await tx
    .insertInto('ticket_watchers')
    .values({ ticket_id: ticketId, user_id: userId, created_at: now() })
    .onConflict((oc) => oc.columns(['ticket_id', 'user_id']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

/** Stops a person following a ticket; false when they did not. */
export async function removeWatcher(tx: Tx, ticketId: number, userId: number): Promise<boolean> {
  const result = await tx
    .deleteFrom('ticket_watchers')
    .where('ticket_id', '=', ticketId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export async function watcherIds(tx: Tx, ticketId: number): Promise<number[]> {
  const rows = await tx.selectFrom('ticket_watchers').select('user_id').where('ticket_id', '=', ticketId).execute()
  return rows.map((r) => r.user_id)
}

/** How many unread notifications a person has: the bell's number (one indexed range count). */
export async function unreadCount(db: Tx, userId: number): Promise<number> {
  const row = await db
    .selectFrom('web_notifications')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Marks a person's unread notifications about a ticket read (they opened it); returns how many. */
export async function markTicketNotificationsRead(db: Db, userId: number, ticketId: number): Promise<number> {
  const result = await db
    .updateTable('web_notifications')
    .set({ read_at: now() })
    .where('user_id', '=', userId)
    .where('ticket_id', '=', ticketId)
    .where('read_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** A notification as it is shown: its row, and the ticket and event it is about, read now. */
export interface NotificationView {
  id: number
  kind: WebNotificationKind
  ticket_id: number | null
  created_at: string
  read_at: string | null
  ticket_title: string | null
  ticket_status: TicketStatus | null
  /** The event's kind (`message`, `note`, `status_changed`, …) and values (a status, a deadline's kind). */
  event_kind: string | null
  event_to: string | null
  actor_id: number | null
  actor_name: string | null
}

export interface NotificationQuery {
  unreadOnly?: boolean
  /** Those older than this id (the next page). */
  before?: number
  limit: number
}

export async function listNotificationViews(db: Tx, userId: number, query: NotificationQuery) {
  let select = db
    .selectFrom('web_notifications as n')
    .leftJoin('tickets as t', 't.id', 'n.ticket_id')
    .leftJoin('ticket_events as e', 'e.id', 'n.event_id')
    .leftJoin('users as a', 'a.id', 'e.actor_id')
    .select([
      'n.id',
      'n.kind',
      'n.ticket_id',
      'n.created_at',
      'n.read_at',
      't.title as ticket_title',
      't.status as ticket_status',
      'e.kind as event_kind',
      'e.to_value as event_to',
      'e.actor_id',
      shownNameOrNull('a').as('actor_name'),
    ])
    .where('n.user_id', '=', userId)
  if (query.unreadOnly) select = select.where('n.read_at', 'is', null)
  if (query.before !== undefined) select = select.where('n.id', '<', query.before)
  const rows: NotificationView[] = await select.orderBy('n.id', 'desc').limit(query.limit).execute()
  return rows
}
