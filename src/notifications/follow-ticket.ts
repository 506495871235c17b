import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { auditTicket, journalingDenials, loadVisibleTicket, requirePermission } from '#src/tickets/ticket-access.ts'
import type { Actor } from '#src/users/actor.ts'
import { addWatcher, listWatchers, removeWatcher } from './notification-store.ts'

export interface FollowTicketInput {
  ticketId: number
  /** true: «Следить»; false: «Не следить». */
  follow: boolean
}

export interface FollowOutcome {
  following: boolean
  watchers: Array<{ id: number; full_name: string }>
}

/**
 * A staff member starts or stops following a ticket: while they follow it, its replies, notes, status changes
 * and deadline breaches ring their bell (fan-out.ts). Following twice, or unfollowing what one does not follow,
 * changes nothing. A preference of the person, not a change of the ticket: journaled, not on the timeline.
 */
export async function followTicket(db: Db, actor: Actor, input: FollowTicketInput): Promise<FollowOutcome> {
  const action = input.follow ? 'ticket.follow' : 'ticket.unfollow'
  return journalingDenials(db, actor, { action, ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId, false)
      requirePermission(actor, 'ticket.view_internal', ticket, 'Следить за заявками могут только сотрудники ИТ')
      const userId = actor.id
      if (userId === null) throw new DomainError('forbidden', 'Следить за заявкой может только сотрудник')
      const changed = input.follow
        ? await addWatcher(tx, ticket.id, userId)
        : await removeWatcher(tx, ticket.id, userId)
      if (changed) {
        await auditTicket(
          tx,
          actor,
          ticket,
          action,
          input.follow
            ? `Пользователь ${userId} следит за заявкой № ${ticket.id}`
            : `Пользователь ${userId} больше не следит за заявкой № ${ticket.id}`,
        )
      }
      return { following: input.follow, watchers: await listWatchers(tx, ticket.id) }
    }),
  )
}
