import type { Db, Ticket, TicketStatus } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { statusLabels } from './rules.ts'
import { auditTicket, journalingDenials, loadVisibleTicket, othersThan, requirePermission } from './ticket-access.ts'
import { recordTicketEvent, saveTicket } from './ticket-store.ts'

export interface AssignTicketInput {
  ticketId: number
  /** null unassigns: the ticket goes back to `new`. */
  assigneeId: number | null
}

/** Statuses in which the assignee may change. */
const assignable: readonly TicketStatus[] = ['new', 'in_progress', 'waiting']

/** A curator assigns a ticket to an executor (or clears the assignee); the new assignee is told. */
export async function assignTicket(db: Db, actor: Actor, input: AssignTicketInput): Promise<Ticket> {
  const attempt = { action: 'ticket.assign', ticketId: input.ticketId }
  return journalingDenials(db, actor, attempt, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId)
      requirePermission(actor, 'ticket.assign', ticket, 'Нет прав назначать заявки')
      if (!assignable.includes(ticket.status)) {
        throw new DomainError(
          'invalid_transition',
          `Нельзя назначить исполнителя заявке в статусе «${statusLabels[ticket.status]}»`,
        )
      }
      if (input.assigneeId === ticket.assignee_id) return ticket
      if (input.assigneeId === null && ticket.status === 'waiting') {
        throw new DomainError(
          'invalid_transition',
          `Нельзя снять исполнителя с заявки в статусе «${statusLabels.waiting}»: сначала верните её в «${statusLabels.in_progress}»`,
        )
      }
      if (input.assigneeId !== null) {
        const assignee = await tx
          .selectFrom('users')
          .select(['id', 'role', 'status'])
          .where('id', '=', input.assigneeId)
          .executeTakeFirst()
        if (assignee?.status !== 'active' || assignee.role === 'requester') {
          throw new DomainError('validation', 'Исполнитель не найден или не может получать заявки')
        }
      }

      const at = now()
      const status: TicketStatus =
        input.assigneeId === null ? 'new' : ticket.status === 'new' ? 'in_progress' : ticket.status
      const updated = await saveTicket(tx, ticket.id, {
        assignee_id: input.assigneeId,
        status,
        first_response_at: input.assigneeId === null ? ticket.first_response_at : (ticket.first_response_at ?? at),
        updated_at: at,
      })
      await recordTicketEvent(tx, {
        ticketId: ticket.id,
        actorId: actor.id,
        kind: 'assigned',
        from: ticket.assignee_id,
        to: input.assigneeId,
        at,
      })
      if (status !== ticket.status) {
        await recordTicketEvent(tx, {
          ticketId: ticket.id,
          actorId: actor.id,
          kind: 'status_changed',
          from: ticket.status,
          to: status,
          at,
        })
      }
      await auditTicket(
        tx,
        actor,
        ticket,
        'ticket.assign',
        input.assigneeId === null
          ? `С заявки № ${ticket.id} снят исполнитель ${ticket.assignee_id}`
          : `Заявка № ${ticket.id} назначена пользователю ${input.assigneeId}`,
        { from: ticket.assignee_id, to: input.assigneeId, status },
      )
      if (input.assigneeId !== null) {
        await notifyUsers(tx, othersThan(actor, input.assigneeId), { kind: 'ticket_assigned', ticketId: ticket.id })
        if (ticket.status === 'new') {
          await notifyUsers(tx, othersThan(actor, ticket.requester_id), {
            kind: 'ticket_taken',
            ticketId: ticket.id,
            data: { assigneeId: input.assigneeId },
          })
        }
      }
      return updated
    }),
  )
}
