import type { Db, Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { statusLabels } from './rules.ts'
import { auditTicket, journalingDenials, loadVisibleTicket, othersThan, requirePermission } from './ticket-access.ts'
import { recordTicketEvent, saveTicket } from './ticket-store.ts'

/** An executor takes an unassigned ticket into work (assigns it to themselves) and the requester is told. */
export async function takeTicket(db: Db, actor: Actor, input: { ticketId: number }): Promise<Ticket> {
  const attempt = { action: 'ticket.take', ticketId: input.ticketId }
  return journalingDenials(db, actor, attempt, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId)
      requirePermission(actor, 'ticket.take', ticket, 'Нет прав брать заявки в работу')
      if (actor.id === null) throw new DomainError('forbidden', 'Взять заявку может только сотрудник')
      if (ticket.status !== 'new' && ticket.status !== 'in_progress') {
        throw new DomainError(
          'invalid_transition',
          `Взять в работу можно только новую заявку, а заявка № ${ticket.id} в статусе «${statusLabels[ticket.status]}»`,
        )
      }
      if (ticket.assignee_id !== null) {
        throw new DomainError(
          'conflict',
          ticket.assignee_id === actor.id ? 'Заявка уже у вас в работе' : 'Заявку уже взял другой исполнитель',
        )
      }
      const at = now()
      const updated = await saveTicket(tx, ticket.id, {
        assignee_id: actor.id,
        status: 'in_progress',
        first_response_at: ticket.first_response_at ?? at,
        updated_at: at,
      })
      await recordTicketEvent(tx, { ticketId: ticket.id, actorId: actor.id, kind: 'taken', to: actor.id, at })
      if (ticket.status !== 'in_progress') {
        await recordTicketEvent(tx, {
          ticketId: ticket.id,
          actorId: actor.id,
          kind: 'status_changed',
          from: ticket.status,
          to: 'in_progress',
          at,
        })
      }
      await auditTicket(
        tx,
        actor,
        ticket,
        'ticket.take',
        `Заявка № ${ticket.id} взята в работу пользователем ${actor.id}`,
      )
      await notifyUsers(tx, othersThan(actor, ticket.requester_id), {
        kind: 'ticket_taken',
        ticketId: ticket.id,
        data: { assigneeId: actor.id },
      })
      return updated
    }),
  )
}
