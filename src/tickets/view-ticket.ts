import { sql } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import { prepared } from '#src/db/prepared.ts'
import type { Attachment, Db, Messenger, Ticket, TicketEvent, TicketMessage, Tx } from '#src/db/schema.ts'
import { journaledRead } from '#src/db/transaction.ts'
import { listWatchers } from '#src/notifications/notification-store.ts'
import { messengerOf, noticeChatOf } from '#src/notify/chat-key.ts'
import { messengerPreference } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { BLOCKED_TEXT, maskBlocked, shownName, shownNameOrNull } from '#src/users/blocking.ts'
import { can } from '#src/users/permissions.ts'
import { journalingDenials, loadVisibleTicket, ticketEntry } from './ticket-access.ts'
import { type MergedTicketView, type TicketLinkView, ticketLinksFor, withMerged } from './ticket-links-store.ts'

export interface TicketPerson {
  id: number
  full_name: string
}

export interface TicketRequester extends TicketPerson {
  /** Their data is blocked (ст. 21): the fields above say «Данные заблокированы»; the page shows a banner. */
  blocked: boolean
  department_name: string | null
  phone: string | null
  room: string | null
  position: string | null
  /** A reply reaches them in a messenger too (linked, and they have not blocked the bot there). */
  telegram: boolean
  /** Which messenger a reply reaches them in (issue 15); null: none. */
  messenger: Messenger | null
}

export interface TicketMessageView extends TicketMessage {
  author_name: string
}

export interface TicketEventView extends TicketEvent {
  actor_name: string | null
  /** Whom an `assigned` event names (its `to_value` is their id), as anyone who may see the event sees them. */
  target_name: string | null
}

export interface TicketDetail {
  ticket: Ticket
  requester: TicketRequester
  assignee: TicketPerson | null
  category: { id: number; name: string } | null
  /** The department the ticket is about (at filing the requester's; staff may change it). */
  department: { id: number; name: string } | null
  /** Oldest first; internal notes only for those who may see them. */
  messages: TicketMessageView[]
  /** Oldest first. */
  events: TicketEventView[]
  attachments: Attachment[]
  /** Staff following the ticket (src/notifications/); empty for those who do not see internal notes. */
  watchers: TicketPerson[]
  /** Its links to the tickets the reader may see (ticket-links-store.ts). */
  links: TicketLinkView[]
  /** Duplicates merged into it: their messages are among `messages`, their messages' files among `attachments`. */
  merged: MergedTicketView[]
  /** The device it is about (issue 14: filed from a sticker, or chosen by staff); absent or null: none. */
  equipment?: { id: number; inventory_number: string; kind: string; model: string | null } | null
}

/** Timeline entries for IT's eyes only: staff notes and the deadline bookkeeping. */
const internalEventKinds = ['note', 'deadline_breached', 'escalated', 'escalation_acknowledged']

/**
 * What the ticket refers to, in one read: its requester (with their department's name), its assignee, its category
 * and its department — a round trip each on PostgreSQL before. Those the ticket has none of are null (a null id
 * joins nothing).
 */
const ticketReferences = prepared(
  (db, p: { requesterId: number; assigneeId: number | null; categoryId: number | null; departmentId: number | null }) =>
    db
      .selectFrom('users')
      .leftJoin('departments', 'departments.id', 'users.department_id')
      .leftJoin('users as assignee', (join) => join.on('assignee.id', '=', p.assigneeId))
      .leftJoin('categories', (join) => join.on('categories.id', '=', p.categoryId))
      .leftJoin('departments as ticket_department', (join) => join.on('ticket_department.id', '=', p.departmentId))
      .select([
        'users.id',
        'users.full_name',
        'users.department_id',
        'departments.name as department_name',
        'users.phone',
        'users.room',
        'users.position',
        'users.blocked_at',
        'users.telegram_chat_id',
        'users.telegram_blocked_at',
        'users.max_user_id',
        'users.max_blocked_at',
        'users.messenger',
        'assignee.id as assignee_id',
        // Read only when the ids beside them are not null: the name is then never null.
        shownName('assignee').as('assignee_name'),
        'categories.id as category_id',
        sql.ref<string>('categories.name').as('category_name'),
        'ticket_department.id as ticket_department_id',
        sql.ref<string>('ticket_department.name').as('ticket_department_name'),
      ])
      .where('users.id', '=', p.requesterId),
)

const equipmentById = prepared((db, p: { id: number }) =>
  db.selectFrom('equipment').select(['id', 'inventory_number', 'kind', 'model']).where('id', '=', p.id),
)

/** A ticket's messages, events and files, oldest first: all of them for staff, or what its requester may see. */
function timelineQueries(internal: boolean) {
  return {
    messages: prepared((db, p: { ticketId: number }) => {
      const query = db
        .selectFrom('ticket_messages')
        .innerJoin('users', 'users.id', 'ticket_messages.author_id')
        .selectAll('ticket_messages')
        .select(shownName('users').as('author_name'))
        .where('ticket_messages.ticket_id', '=', p.ticketId)
      return (internal ? query : query.where('ticket_messages.kind', '=', 'external')).orderBy('ticket_messages.id')
    }),
    events: prepared((db, p: { ticketId: number }) => {
      const query = db
        .selectFrom('ticket_events')
        .leftJoin('users', 'users.id', 'ticket_events.actor_id')
        .selectAll('ticket_events')
        .select(shownNameOrNull('users').as('actor_name'))
        .where('ticket_events.ticket_id', '=', p.ticketId)
      return (internal ? query : query.where('ticket_events.kind', 'not in', internalEventKinds)).orderBy(
        'ticket_events.id',
      )
    }),
    attachments: prepared((db, p: { ticketId: number }) => {
      const query = db.selectFrom('attachments').selectAll().where('ticket_id', '=', p.ticketId)
      if (internal) return query.orderBy('id')
      // Files attached to an internal note are as internal as the note.
      return query
        .where((eb) =>
          eb.or([
            eb('message_id', 'is', null),
            eb(
              'message_id',
              'in',
              eb
                .selectFrom('ticket_messages')
                .select('id')
                .where('ticket_id', '=', p.ticketId)
                .where('kind', '=', 'external'),
            ),
          ]),
        )
        .orderBy('id')
    }),
  }
}

const staffTimeline = timelineQueries(true)
const requesterTimeline = timelineQueries(false)

/** Opens a ticket with its timeline; the read of the requester's data is journaled. */
export async function viewTicket(db: Db, actor: Actor, input: { ticketId: number }): Promise<TicketDetail> {
  const attempt = { action: 'ticket.view', ticketId: input.ticketId }
  return journalingDenials(db, actor, attempt, () =>
    journaledRead(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId, false)
      const internal = can(actor, 'ticket.view_internal', ticket)

      const references = await ticketReferences.first(tx, {
        requesterId: ticket.requester_id,
        assigneeId: ticket.assignee_id,
        categoryId: ticket.category_id,
        departmentId: ticket.department_id,
      })
      if (!references) throw new Error(`ticket ${ticket.id}: its requester ${ticket.requester_id} is missing`)
      const {
        assignee_id,
        assignee_name,
        category_id,
        category_name,
        ticket_department_id,
        ticket_department_name,
        ...requesterRow
      } = references
      // Reachable in Telegram: read before the mask, which hides a blocked person's chat behind a text.
      const chat =
        requesterRow.blocked_at === null
          ? noticeChatOf(requesterRow, await messengerPreference(tx, [requesterRow]))
          : undefined
      const messenger = chat === undefined ? null : messengerOf(chat)
      const {
        blocked_at,
        telegram_chat_id,
        telegram_blocked_at,
        max_user_id,
        max_blocked_at,
        messenger: lastUsed,
        department_id,
        ...shown
      } = maskBlocked(requesterRow)
      // `telegram`: reachable by the bot in some messenger (`messenger` says which), as before MAX.
      const requester = { ...shown, blocked: blocked_at !== null, telegram: messenger !== null, messenger }
      const assignee = assignee_id === null ? null : { id: assignee_id, full_name: assignee_name }
      const department =
        ticket_department_id === null ? null : { id: ticket_department_id, name: ticket_department_name }
      const category = category_id === null ? null : { id: category_id, name: category_name }

      const timeline = internal ? staffTimeline : requesterTimeline
      const messages = await timeline.messages.execute(tx, { ticketId: ticket.id })
      const events = await namedTargets(tx, await timeline.events.execute(tx, { ticketId: ticket.id }), [
        ...(assignee ? [assignee] : []),
        ...messages.map((m) => ({ id: m.author_id, full_name: m.author_name })),
      ])
      const attachments = await timeline.attachments.execute(tx, { ticketId: ticket.id })

      // The place is the requester's room when they filed it: theirs to hide while blocked.
      const shownTicket = requester.blocked && ticket.location !== null ? { ...ticket, location: BLOCKED_TEXT } : ticket
      // On SQLite in the reads' own transaction, one commit with the other work of the same turn (group
      // commit); on PostgreSQL a statement of its own (`journaledRead`). The page is returned only once its
      // journal row is durable.
      await audit(tx, actor, ticketEntry(shownTicket, 'ticket.view', `Просмотр заявки № ${ticket.id}`))
      const watchers = internal ? await listWatchers(tx, ticket.id) : []
      // Duplicates merged into this ticket (issue 13): their conversation on its timeline, and its links.
      const joined = await withMerged(tx, ticket.id, internal, { messages, attachments })
      const links = await ticketLinksFor(tx, actor, ticket.id)
      const equipment =
        ticket.equipment_id === null ? null : ((await equipmentById.first(tx, { id: ticket.equipment_id })) ?? null)
      return {
        ticket: shownTicket,
        requester,
        assignee,
        category,
        department,
        events,
        watchers,
        ...joined,
        links,
        equipment,
      }
    }),
  )
}

/**
 * Names the people `assigned` events point at: the requester's timeline read «назначил(а) исполнителя: № 7»
 * (issue 13), as only staff had the staff list to look the number up in. Most are the assignee, an author or
 * an actor already named on the page; only the others are read.
 */
async function namedTargets(
  tx: Tx,
  events: Array<Omit<TicketEventView, 'target_name'>>,
  named: readonly TicketPerson[],
): Promise<TicketEventView[]> {
  const names = new Map<number, string>(named.map((p) => [p.id, p.full_name]))
  for (const e of events) if (e.actor_id !== null && e.actor_name !== null) names.set(e.actor_id, e.actor_name)
  const targetOf = (e: Omit<TicketEventView, 'target_name'>) =>
    e.kind === 'assigned' && e.to_value ? Number(e.to_value) : Number.NaN
  const unknown = [...new Set(events.map(targetOf))].filter((id) => Number.isSafeInteger(id) && !names.has(id))
  if (unknown.length > 0) {
    const rows = await tx
      .selectFrom('users')
      .select(['id', shownName('users').as('full_name')])
      .where('id', 'in', unknown)
      .execute()
    for (const row of rows) names.set(row.id, row.full_name)
  }
  return events.map((e) => ({ ...e, target_name: names.get(targetOf(e)) ?? null }))
}
