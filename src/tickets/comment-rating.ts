import type { Db, Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { limits } from './rules.ts'
import { auditTicket, journalingDenials, loadVisibleTicket, requirePermission, requireText } from './ticket-access.ts'
import { recordTicketEvent, saveTicket } from './ticket-store.ts'

/**
 * The requester adds the optional comment to a rating already given (the bot asks for the score first,
 * then for a comment). Once: a comment is never rewritten.
 */
export async function commentRating(
  db: Db,
  actor: Actor,
  input: { ticketId: number; comment: string },
): Promise<Ticket> {
  return journalingDenials(db, actor, { action: 'ticket.rate', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId)
      requirePermission(actor, 'ticket.rate', ticket, 'Оценить заявку может только её автор')
      if (ticket.rating === null) throw new DomainError('invalid_transition', 'Сначала поставьте оценку')
      if (ticket.rating_comment !== null) throw new DomainError('conflict', 'Комментарий к оценке уже есть')
      const comment = requireText(input.comment, 'Комментарий к оценке', limits.ratingComment)

      const at = now()
      const updated = await saveTicket(tx, ticket.id, { rating_comment: comment, updated_at: at })
      await recordTicketEvent(tx, {
        ticketId: ticket.id,
        actorId: actor.id,
        kind: 'rating_commented',
        to: ticket.rating,
        at,
      })
      await auditTicket(tx, actor, ticket, 'ticket.rate', `Комментарий к оценке заявки № ${ticket.id}`, {
        comment: true,
      })
      return updated
    }),
  )
}
