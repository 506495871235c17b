import { checkFiles, insertAttachments } from '#src/attachments/attach-files.ts'
import type { StoredFile } from '#src/attachments/file-store.ts'
import type { Db, Ticket, TicketMessage, TicketSource } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { isStaff, limits, sourceOfChannel } from './rules.ts'
import {
  auditTicket,
  journalingDenials,
  loadVisibleTicket,
  othersThan,
  refuseLockedForRequester,
  requirePermission,
  requireText,
} from './ticket-access.ts'
import { indexMessage } from './ticket-search.ts'
import { recordTicketEvent } from './ticket-store.ts'

export interface AddMessageInput {
  ticketId: number
  body: string
  /** An internal note: staff only, never shown or sent to the requester. */
  internal: boolean
  /** Photos and files sent with it, already stored (attachments/file-store.ts); with files the text may be empty. */
  attachments?: readonly StoredFile[]
  /** Where it was written, when the actor's channel does not say it (the bot: Telegram or MAX). */
  source?: TicketSource
}

/**
 * The refusals addMessage would give before it writes anything (not visible: not_found; no right, or a
 * closed ticket for its requester), journaled as addMessage journals them. The web asks this before it
 * stores a message's files, so that a refused upload never reaches the disk; addMessage checks again.
 */
export async function checkAddMessage(
  db: Db,
  actor: Actor,
  input: Pick<AddMessageInput, 'ticketId' | 'internal'>,
): Promise<void> {
  const action = input.internal ? 'ticket.note' : 'ticket.message'
  await journalingDenials(db, actor, { action, ticketId: input.ticketId }, async () => {
    requireMayWrite(actor, await loadVisibleTicket(db, actor, input.ticketId, false), input.internal)
  })
}

/** The author's id, when the actor may write this kind of message to the ticket. */
function requireMayWrite(actor: Actor, ticket: Ticket, internal: boolean): number {
  requirePermission(
    actor,
    internal ? 'ticket.note' : 'ticket.message',
    ticket,
    internal ? 'Нет прав писать внутренние заметки' : 'Нет прав писать в эту заявку',
  )
  if (actor.id === null) throw new DomainError('forbidden', 'Сообщение может написать только пользователь')
  if (actor.id === ticket.requester_id && !internal) refuseLockedForRequester(ticket)
  return actor.id
}

/**
 * Adds an external message (requester ↔ IT) or an internal note to a ticket. Staff's messages go to the
 * requester; the requester's go to the assignee and bring a `waiting` ticket back into work.
 */
export async function addMessage(db: Db, actor: Actor, input: AddMessageInput): Promise<TicketMessage> {
  const action = input.internal ? 'ticket.note' : 'ticket.message'
  return journalingDenials(db, actor, { action, ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId)
      const authorId = requireMayWrite(actor, ticket, input.internal)
      const fromRequester = authorId === ticket.requester_id && !input.internal
      const files = input.attachments ?? []
      checkFiles(files)
      const body = files.length > 0 && !input.body.trim() ? '' : requireText(input.body, 'Сообщение', limits.body)

      const at = now()
      const message = await tx
        .insertInto('ticket_messages')
        .values({
          ticket_id: ticket.id,
          author_id: authorId,
          kind: input.internal ? 'internal' : 'external',
          body,
          source: input.source ?? sourceOfChannel(actor.channel),
          created_at: at,
          delivery_status: null,
          telegram_message_id: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      if (body !== '') await indexMessage(tx, ticket.id, body, input.internal)
      await insertAttachments(tx, { ticketId: ticket.id, messageId: message.id, uploaderId: authorId, at }, files)

      const staffReply = !input.internal && !fromRequester && isStaff(actor)
      const backToWork = fromRequester && ticket.status === 'waiting'
      await tx
        .updateTable('tickets')
        .set({
          updated_at: at,
          ...(staffReply && ticket.first_response_at === null ? { first_response_at: at } : {}),
          ...(backToWork ? { status: 'in_progress' as const } : {}),
        })
        .where('id', '=', ticket.id)
        .execute()

      await recordTicketEvent(tx, {
        ticketId: ticket.id,
        actorId: actor.id,
        kind: input.internal ? 'note' : 'message',
        to: message.id,
        at,
      })
      if (backToWork) {
        await recordTicketEvent(tx, {
          ticketId: ticket.id,
          actorId: actor.id,
          kind: 'status_changed',
          from: 'waiting',
          to: 'in_progress',
          details: { automatic: true },
          at,
        })
      }
      await auditTicket(
        tx,
        actor,
        ticket,
        action,
        input.internal
          ? `Внутренняя заметка № ${message.id} в заявке № ${ticket.id}`
          : `Сообщение № ${message.id} в заявке № ${ticket.id}`,
        {
          messageId: message.id,
          ...(files.length > 0 ? { attachments: files.length } : {}),
          ...(backToWork ? { status: 'in_progress' } : {}),
        },
      )

      if (input.internal) return message
      if (fromRequester) {
        await notifyUsers(tx, othersThan(actor, ticket.assignee_id), {
          kind: 'ticket_message',
          ticketId: ticket.id,
          messageId: message.id,
        })
        return message
      }
      const queued = await notifyUsers(tx, othersThan(actor, ticket.requester_id), {
        kind: 'ticket_message',
        ticketId: ticket.id,
        messageId: message.id,
      })
      if (queued === 0) return message
      // The requester will get it in Telegram: the ticket shows whether that worked.
      return tx
        .updateTable('ticket_messages')
        .set({ delivery_status: 'pending' })
        .where('id', '=', message.id)
        .returningAll()
        .executeTakeFirstOrThrow()
    }),
  )
}
