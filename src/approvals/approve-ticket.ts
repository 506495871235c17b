import type { Db, Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { notifyPeople, notifyUsers } from '#src/notify/outbox.ts'
import { ticketDeadlines } from '#src/tickets/deadline-terms.ts'
import { auditTicket, journalingDenials, othersThan } from '#src/tickets/ticket-access.ts'
import { groupStaffToTell, recordTicketEvent, saveTicket } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { loadForDecision, settleApprovalBells } from './approval-store.ts'

export interface DecideApprovalInput {
  ticketId: number
}

/**
 * «Согласовать»: the ticket becomes `new`, its deadlines count from now, and IT hears of it as of a new ticket (the
 * group's notice); the requester is told. Only its approver decides (approval-store.ts), once.
 */
export async function approveTicket(db: Db, actor: Actor, input: DecideApprovalInput): Promise<Ticket> {
  const attempt = { action: 'ticket.approve', ticketId: input.ticketId }
  return journalingDenials(db, actor, attempt, () =>
    transact(db, async (tx) => {
      const ticket = await loadForDecision(tx, actor, input.ticketId)
      const at = now()
      const category =
        ticket.category_id === null
          ? null
          : ((await tx.selectFrom('categories').selectAll().where('id', '=', ticket.category_id).executeTakeFirst()) ??
            null)
      const deadlines = await ticketDeadlines(tx, at, ticket.priority, category)
      const updated = await saveTicket(tx, ticket.id, {
        status: 'new',
        updated_at: at,
        response_due_at: deadlines.responseDueAt,
        resolution_due_at: deadlines.resolutionDueAt,
      })
      await recordTicketEvent(tx, {
        ticketId: ticket.id,
        actorId: actor.id,
        kind: 'approved',
        from: 'approval',
        to: 'new',
        at,
      })
      await auditTicket(tx, actor, ticket, 'ticket.approve', `Заявка № ${ticket.id} согласована`, {
        from: 'approval',
        to: 'new',
      })
      await settleApprovalBells(tx, ticket.id, at)
      await notifyUsers(tx, othersThan(actor, ticket.requester_id), { kind: 'ticket_approved', ticketId: ticket.id })
      if (ticket.group_id !== null) {
        const staff = await groupStaffToTell(tx, ticket.group_id, actor)
        await notifyPeople(tx, [{ people: staff, notice: { kind: 'ticket_new_for_group', ticketId: ticket.id } }])
      }
      return updated
    }),
  )
}
