import type { Db, Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { lockedStatuses, statusLabels } from './rules.ts'
import { auditTicket, journalingDenials, othersThan } from './ticket-access.ts'
import { activeMergeOf, insertLink, lockPair, MERGE_UNDO_HOURS, recordLinkEvents } from './ticket-links-store.ts'
import { recordTicketEvent, saveTicket } from './ticket-store.ts'

export interface MergeTicketInput {
  /** The duplicate. */
  ticketId: number
  /** The ticket that stays: the duplicate's conversation is shown on it, and the answer comes by it. */
  intoId: number
}

/**
 * Marks a ticket as a duplicate of another of the same requester (issue 13): the duplicate is closed with a
 * «объединена» event, its conversation appears on the other ticket's timeline (its rows stay where they are),
 * the requester is told in the bot which number the answer will come by, and their later replies to the
 * duplicate land on the other ticket. Undone within MERGE_UNDO_HOURS by unmergeTicket.
 */
export async function mergeTicket(db: Db, actor: Actor, input: MergeTicketInput): Promise<Ticket> {
  return journalingDenials(db, actor, { action: 'ticket.merge', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      if (input.intoId === input.ticketId) {
        throw new DomainError('validation', 'Заявку нельзя объединить саму с собой')
      }
      const [duplicate, survivor] = await lockPair(
        tx,
        actor,
        input.ticketId,
        input.intoId,
        'Нет прав объединять заявки',
      )
      const merged = await activeMergeOf(tx, duplicate.id)
      if (merged) {
        throw new DomainError('conflict', `Заявка № ${duplicate.id} уже объединена с заявкой № ${merged.other_id}`)
      }
      if (lockedStatuses.includes(duplicate.status)) {
        throw new DomainError(
          'invalid_transition',
          `Заявка № ${duplicate.id} в статусе «${statusLabels[duplicate.status]}»: объединять нечего`,
        )
      }
      if (lockedStatuses.includes(survivor.status)) {
        throw new DomainError(
          'invalid_transition',
          `Заявка № ${survivor.id} в статусе «${statusLabels[survivor.status]}»: объединить можно только с открытой заявкой`,
        )
      }
      // The requester follows the answer on the other ticket: it must be theirs too (they see only their own).
      if (duplicate.requester_id !== survivor.requester_id) {
        throw new DomainError(
          'conflict',
          `Объединить можно только заявки одного заявителя: заявку № ${survivor.id} подал другой человек — свяжите их как связанные`,
        )
      }

      const at = now()
      // Only the status is the merge's to undo: an open ticket has no close time, and the assignee stays.
      const linkId = await insertLink(
        tx,
        { ticketId: duplicate.id, otherId: survivor.id, kind: 'duplicate', actorId: actor.id, at },
        { status: duplicate.status },
      )
      const updated = await saveTicket(tx, duplicate.id, {
        status: 'closed',
        closed_at: at,
        merged_into_id: survivor.id,
        updated_at: at,
      })
      await saveTicket(tx, survivor.id, { updated_at: at })
      await recordTicketEvent(tx, {
        ticketId: duplicate.id,
        actorId: actor.id,
        kind: 'status_changed',
        from: duplicate.status,
        to: 'closed',
        details: { mergedInto: survivor.id },
        at,
      })
      await recordLinkEvents(tx, { actorId: actor.id, linkId, at }, [
        { ticketId: duplicate.id, kind: 'merged', to: survivor.id },
        { ticketId: survivor.id, kind: 'merged_in', to: duplicate.id },
      ])
      await auditTicket(
        tx,
        actor,
        duplicate,
        'ticket.merge',
        `Заявка № ${duplicate.id} объединена с заявкой № ${survivor.id} как дубликат (отменить можно ${MERGE_UNDO_HOURS} ч)`,
        { into: survivor.id, linkId, from: duplicate.status },
      )
      await notifyUsers(tx, othersThan(actor, duplicate.requester_id), {
        kind: 'ticket_merged',
        ticketId: duplicate.id,
        data: { mergedInto: survivor.id },
      })
      return updated
    }),
  )
}
