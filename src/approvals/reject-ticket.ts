import type { Db, Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import { limits } from '#src/tickets/rules.ts'
import { auditTicket, journalingDenials, othersThan, requireText } from '#src/tickets/ticket-access.ts'
import { recordTicketEvent, saveTicket } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { loadForDecision, settleApprovalBells } from './approval-store.ts'

export interface RejectApprovalInput {
  ticketId: number
  /** Why not: required, told to the requester. */
  reason: string
}

/**
 * «Отклонить»: the ticket is cancelled with the approver's reason, which the requester is told; IT never sees it
 * as new. Only its approver decides (approval-store.ts), once.
 */
export async function rejectTicket(db: Db, actor: Actor, input: RejectApprovalInput): Promise<Ticket> {
  const attempt = { action: 'ticket.reject_approval', ticketId: input.ticketId }
  return journalingDenials(db, actor, attempt, () =>
    transact(db, async (tx) => {
      const ticket = await loadForDecision(tx, actor, input.ticketId)
      const reason = requireText(input.reason, 'Причина отказа', limits.reason)
      const at = now()
      const updated = await saveTicket(tx, ticket.id, {
        status: 'cancelled',
        updated_at: at,
        cancelled_at: at,
        cancel_reason: reason,
      })
      await recordTicketEvent(tx, {
        ticketId: ticket.id,
        actorId: actor.id,
        kind: 'approval_rejected',
        from: 'approval',
        to: 'cancelled',
        details: { reason },
        at,
      })
      await auditTicket(tx, actor, ticket, 'ticket.reject_approval', `Заявка № ${ticket.id} не согласована`, {
        from: 'approval',
        to: 'cancelled',
        reason,
      })
      await settleApprovalBells(tx, ticket.id, at)
      await notifyUsers(tx, othersThan(actor, ticket.requester_id), {
        kind: 'ticket_approval_rejected',
        ticketId: ticket.id,
      })
      return updated
    }),
  )
}
