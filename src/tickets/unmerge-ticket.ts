import type { Db, Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { statusLabels } from './rules.ts'
import { auditTicket, journalingDenials, loadVisibleTicket, othersThan } from './ticket-access.ts'
import {
  activeMergeOf,
  endMerge,
  lockPair,
  MERGE_UNDO_HOURS,
  mergeEndedByReopening,
  mergeUndoUntil,
  parseMergePrevious,
} from './ticket-links-store.ts'
import { recordTicketEvent, saveTicket } from './ticket-store.ts'

export interface UnmergeTicketInput {
  /** The duplicate whose merge is undone. */
  ticketId: number
}

/**
 * Undoes a merge within MERGE_UNDO_HOURS (issue 13: from the journal or either ticket's page): the duplicate
 * gets back the status it had (and no close time; the merge left its assignee alone), its conversation leaves
 * the other ticket's timeline, both timelines and the journal say so, and the requester is told. Later it is
 * refused; a duplicate reopened since is merged no more (its reopening ended the merge: change-status.ts).
 */
export async function unmergeTicket(db: Db, actor: Actor, input: UnmergeTicketInput): Promise<Ticket> {
  return journalingDenials(db, actor, { action: 'ticket.unmerge', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const found = await activeMergeOf(tx, input.ticketId)
      if (!found) {
        const ticket = await loadVisibleTicket(tx, actor, input.ticketId, false)
        throw new DomainError(
          'conflict',
          (await mergeEndedByReopening(tx, ticket.id))
            ? `Заявка № ${ticket.id} изменилась после объединения: её переоткрыли, и объединение уже снято`
            : `Заявка № ${ticket.id} не объединена с другой заявкой`,
        )
      }
      const [duplicate, survivor] = await lockPair(
        tx,
        actor,
        input.ticketId,
        found.other_id,
        'Нет прав отменять объединение заявок',
      )
      // Read again under the tickets' locks: a concurrent undo has finished by now.
      const link = await activeMergeOf(tx, duplicate.id)
      if (link?.id !== found.id) throw new DomainError('conflict', 'Объединение уже отменено')
      const at = now()
      if (at > mergeUndoUntil(link.created_at)) {
        throw new DomainError(
          'conflict',
          `Объединение можно отменить только в течение ${MERGE_UNDO_HOURS} часов — этот срок прошёл`,
        )
      }
      if (duplicate.status !== 'closed' || duplicate.merged_into_id !== survivor.id) {
        throw new DomainError(
          'conflict',
          `Заявка № ${duplicate.id} изменилась после объединения (статус «${statusLabels[duplicate.status]}»): отменить его нельзя`,
        )
      }
      const previous = parseMergePrevious(link.previous)

      await saveTicket(tx, duplicate.id, { status: previous.status, closed_at: null })
      await recordTicketEvent(tx, {
        ticketId: duplicate.id,
        actorId: actor.id,
        kind: 'status_changed',
        from: 'closed',
        to: previous.status,
        details: { unmergedFrom: survivor.id },
        at,
      })
      const restored = await endMerge(tx, actor.id, link, at)
      await auditTicket(
        tx,
        actor,
        duplicate,
        'ticket.unmerge',
        `Отменено объединение заявки № ${duplicate.id} с заявкой № ${survivor.id}: статус снова «${statusLabels[previous.status]}»`,
        { from: survivor.id, linkId: link.id, status: previous.status },
      )
      await notifyUsers(tx, othersThan(actor, duplicate.requester_id), {
        kind: 'ticket_unmerged',
        ticketId: duplicate.id,
        data: { mergedInto: survivor.id },
      })
      return restored
    }),
  )
}
