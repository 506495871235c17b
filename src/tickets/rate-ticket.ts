import type { Db, Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { limits, statusLabels, textLength } from './rules.ts'
import { auditTicket, journalingDenials, loadVisibleTicket, requirePermission } from './ticket-access.ts'
import { recordTicketEvent, saveTicket } from './ticket-store.ts'

export interface RateTicketInput {
  ticketId: number
  /** 1..5. */
  score: number
  comment?: string | null
}

/** The requester rates the work on their resolved or closed ticket, once. */
export async function rateTicket(db: Db, actor: Actor, input: RateTicketInput): Promise<Ticket> {
  return journalingDenials(db, actor, { action: 'ticket.rate', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId)
      requirePermission(actor, 'ticket.rate', ticket, 'Оценить заявку может только её автор')
      if (ticket.status !== 'resolved' && ticket.status !== 'closed') {
        throw new DomainError(
          'invalid_transition',
          `Оценить можно решённую или закрытую заявку, а заявка № ${ticket.id} в статусе «${statusLabels[ticket.status]}»`,
        )
      }
      if (ticket.rating !== null) throw new DomainError('conflict', 'Заявка уже оценена')
      if (!Number.isInteger(input.score) || input.score < 1 || input.score > 5) {
        throw new DomainError('validation', 'Оценка — целое число от 1 до 5')
      }
      const comment = input.comment?.trim() || null
      if (comment !== null && textLength(comment) > limits.ratingComment) {
        throw new DomainError('validation', `Комментарий к оценке длиннее ${limits.ratingComment} символов`)
      }

      const at = now()
      const updated = await saveTicket(tx, ticket.id, {
        rating: input.score,
        rating_comment: comment,
        rated_at: at,
        updated_at: at,
      })
      await recordTicketEvent(tx, {
        ticketId: ticket.id,
        actorId: actor.id,
        kind: 'rated',
        to: input.score,
        details: comment === null ? null : { comment: true },
        at,
      })
      await auditTicket(tx, actor, ticket, 'ticket.rate', `Заявка № ${ticket.id} оценена на ${input.score}`, {
        score: input.score,
      })
      return updated
    }),
  )
}
