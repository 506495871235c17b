import type { Tx, WebNotificationKind } from '#src/db/schema.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import { staffRoles } from '#src/pdn/access-list.ts'
import { mentionedStaff } from './mentions.ts'
import { watcherIds } from './notification-store.ts'

/**
 * Who hears of a ticket event in the web (the bell), decided in the event's own transaction: `recordTicketEvent`
 * calls this for every event, so every way a ticket changes (web, API, bot, bulk, the deadline job) notifies
 * alike, and a notification commits with its event or not at all.
 *
 * - `assigned`: the new assignee («Вам назначена заявка»).
 * - `note`: the colleagues it @-mentions (mentions.ts), who also get a Telegram notice if linked.
 * - `message` from the requester: a `reply` to the assignee and the watchers.
 * - `deadline_breached`: a `deadline` to the assignee and the watchers.
 * - and a `watch` to the watchers for every other message, note, status change or (re)assignment.
 * The current assignee counts as a watcher (no row needed, and none left behind when the ticket moves on);
 * so does the previous one for the reassignment that took it away. Nobody is told of what they did themselves;
 * only active staff get a bell. One event gives a person at most one notification, the weightiest.
 *
 * `reply` and `watch` are news about a ticket rather than something addressed to the person: while one of
 * theirs about that ticket is unread, a later one replaces it (a new row, so that it comes first in the list,
 * ordered by id, as news should) instead of adding another; while something weightier about it is unread,
 * nothing is added.
 */

export interface NotifiedEvent {
  id: number
  ticketId: number
  actorId: number | null
  kind: string
  from: string | null
  to: string | null
  at: string
}

const watchedKinds: ReadonlySet<string> = new Set([
  'assigned',
  'taken',
  'message',
  'note',
  'status_changed',
  'deadline_breached',
])

/** Which notification wins when one event concerns a person twice. */
const weight: Record<WebNotificationKind, number> = {
  watch: 0,
  reply: 1,
  deadline: 2,
  assigned: 3,
  mention: 4,
  // Issue 14: given by approvals/ask-for-approval.ts, never by an event here.
  approval: 5,
}
const weak: readonly WebNotificationKind[] = ['watch', 'reply']

export async function notifyOfTicketEvent(tx: Tx, event: NotifiedEvent): Promise<void> {
  if (!watchedKinds.has(event.kind)) return
  const ticket = await tx
    .selectFrom('tickets')
    .select(['requester_id', 'assignee_id'])
    .where('id', '=', event.ticketId)
    .executeTakeFirst()
  if (!ticket) return

  const wanted = new Map<number, WebNotificationKind>()
  const give = (userId: number | null, kind: WebNotificationKind) => {
    if (userId === null || !Number.isSafeInteger(userId) || userId === event.actorId) return
    const had = wanted.get(userId)
    if (had === undefined || weight[kind] > weight[had]) wanted.set(userId, kind)
  }
  const idOf = (value: string | null) => (value === null ? null : Number(value))

  let mentioned: number[] = []
  if (event.kind === 'assigned') give(idOf(event.to), 'assigned')
  if (event.kind === 'note') {
    mentioned = (await mentionedStaff(tx, await noteBody(tx, event))).filter((id) => id !== event.actorId)
    for (const id of mentioned) give(id, 'mention')
  }
  const followerKind: WebNotificationKind =
    event.kind === 'deadline_breached'
      ? 'deadline'
      : event.kind === 'message' && event.actorId === ticket.requester_id
        ? 'reply'
        : 'watch'
  const followers = [...(await watcherIds(tx, event.ticketId)), ticket.assignee_id]
  if (event.kind === 'assigned') followers.push(idOf(event.from))
  for (const id of followers) give(id, followerKind)

  if (mentioned.length > 0) {
    // The note in the payload, not as the row's message: that one would mark the note «доставлено в Telegram».
    const noteId = idOf(event.to)
    await notifyUsers(tx, mentioned, { kind: 'ticket_mentioned', ticketId: event.ticketId, data: { noteId } })
  }
  if (wanted.size === 0) return
  const staff = await tx
    .selectFrom('users')
    .select('id')
    .where('id', 'in', [...wanted.keys()])
    .where('status', '=', 'active')
    .where('role', 'in', [...staffRoles])
    .execute()
  if (staff.length === 0) return
  const unread = await tx
    .selectFrom('web_notifications')
    .select(['id', 'user_id', 'kind'])
    .where('ticket_id', '=', event.ticketId)
    .where(
      'user_id',
      'in',
      staff.map((s) => s.id),
    )
    .where('read_at', 'is', null)
    .orderBy('id', 'desc')
    .execute()

  const inserts: Array<{ user_id: number; kind: WebNotificationKind }> = []
  const replaced: number[] = []
  for (const { id: userId } of staff) {
    let kind = wanted.get(userId)
    if (kind === undefined) continue
    const theirs = unread.filter((row) => row.user_id === userId)
    if (weak.includes(kind) && theirs.length > 0) {
      const news = theirs.filter((row) => weak.includes(row.kind))
      // Something weightier about this ticket waits to be read: it leads there anyway.
      if (news.length === 0) continue
      for (const row of news) {
        replaced.push(row.id)
        if (weight[row.kind] > weight[kind]) kind = row.kind
      }
    }
    inserts.push({ user_id: userId, kind })
  }
  if (replaced.length > 0) await tx.deleteFrom('web_notifications').where('id', 'in', replaced).execute()
  if (inserts.length === 0) return
  await tx
    .insertInto('web_notifications')
    .values(
      inserts.map((row) => ({
        ...row,
        ticket_id: event.ticketId,
        event_id: event.id,
        created_at: event.at,
        read_at: null,
      })),
    )
    .execute()
}

/** The text of the internal note an event records (its `to` is the message id). */
async function noteBody(tx: Tx, event: NotifiedEvent): Promise<string> {
  const id = Number(event.to)
  if (!Number.isSafeInteger(id)) return ''
  const row = await tx
    .selectFrom('ticket_messages')
    .select('body')
    .where('id', '=', id)
    .where('ticket_id', '=', event.ticketId)
    .where('kind', '=', 'internal')
    .executeTakeFirst()
  return row?.body ?? ''
}
