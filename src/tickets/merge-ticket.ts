import type { Db, Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { lockedStatuses, statusLabels } from './rules.ts'
import { auditTicket, journalingDenials, othersThan, requirePermission } from './ticket-access.ts'
import { activeMergeOf, lockPair, MERGE_UNDO_HOURS } from './ticket-links-store.ts'
import { recordTicketEvent, saveTicket } from './ticket-store.ts'

export interface MergeTicketInput {
  /** The duplicate. */
  ticketId: number
  /** The ticket that stays: the duplicate's conversation is shown on it, and the answer comes by it. */
  intoId: number
}

/** What a merge changed on the duplicate, kept on its link so that the undo restores exactly this. */
export interface MergePrevious {
  status: Ticket['status']
  closed_at: string | null
  assignee_id: number | null
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
      const [duplicate, survivor] = await lockPair(tx, actor, input.ticketId, input.intoId)
      requirePermission(actor, 'ticket.update', duplicate, 'Нет прав объединять заявки')
      requirePermission(actor, 'ticket.update', survivor, 'Нет прав объединять заявки')
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
      const previous: MergePrevious = {
        status: duplicate.status,
        closed_at: duplicate.closed_at,
        assignee_id: duplicate.assignee_id,
      }
      const link = await tx
        .insertInto('ticket_links')
        .values({
          ticket_id: duplicate.id,
          other_id: survivor.id,
          kind: 'duplicate',
          created_by: actor.id,
          created_at: at,
          undone_at: null,
          undone_by: null,
          previous: JSON.stringify(previous),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
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
      await recordTicketEvent(tx, {
        ticketId: duplicate.id,
        actorId: actor.id,
        kind: 'merged',
        to: survivor.id,
        details: { linkId: link.id },
        at,
      })
      await recordTicketEvent(tx, {
        ticketId: survivor.id,
        actorId: actor.id,
        kind: 'merged_in',
        to: duplicate.id,
        details: { linkId: link.id },
        at,
      })
      await auditTicket(
        tx,
        actor,
        duplicate,
        'ticket.merge',
        `Заявка № ${duplicate.id} объединена с заявкой № ${survivor.id} как дубликат (отменить можно ${MERGE_UNDO_HOURS} ч)`,
        { into: survivor.id, linkId: link.id, from: duplicate.status },
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
