import { z } from 'zod'
import type { Db, Ticket } from '#src/db/schema.ts'
import { ticketStatuses } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { statusLabels } from './rules.ts'
import { auditTicket, journalingDenials, loadVisibleTicket, othersThan, requirePermission } from './ticket-access.ts'
import { activeMergeOf, lockPair, MERGE_UNDO_HOURS, mergeUndoUntil } from './ticket-links-store.ts'
import { recordTicketEvent, saveTicket } from './ticket-store.ts'

export interface UnmergeTicketInput {
  /** The duplicate whose merge is undone. */
  ticketId: number
}

/** The duplicate as the merge found it (merge-ticket.ts MergePrevious), read back from its link. */
const previousSchema = z.object({
  status: z.enum(ticketStatuses),
  closed_at: z.string().nullable(),
  assignee_id: z.number().int().nullable(),
})

/**
 * Undoes a merge within MERGE_UNDO_HOURS (issue 13: from the journal or either ticket's page): the duplicate
 * gets back exactly the status, close time and assignee it had, its conversation leaves the other ticket's
 * timeline, both timelines and the journal say so, and the requester is told. Later — or once the duplicate was
 * changed since (reopened, say) — it is refused.
 */
export async function unmergeTicket(db: Db, actor: Actor, input: UnmergeTicketInput): Promise<Ticket> {
  return journalingDenials(db, actor, { action: 'ticket.unmerge', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const found = await activeMergeOf(tx, input.ticketId)
      if (!found) {
        const ticket = await loadVisibleTicket(tx, actor, input.ticketId, false)
        throw new DomainError('conflict', `Заявка № ${ticket.id} не объединена с другой заявкой`)
      }
      const [duplicate, survivor] = await lockPair(tx, actor, input.ticketId, found.other_id)
      requirePermission(actor, 'ticket.update', duplicate, 'Нет прав отменять объединение заявок')
      requirePermission(actor, 'ticket.update', survivor, 'Нет прав отменять объединение заявок')
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
      const previous = previousSchema.parse(JSON.parse(link.previous ?? 'null'))

      const restored = await saveTicket(tx, duplicate.id, {
        status: previous.status,
        closed_at: previous.closed_at,
        assignee_id: previous.assignee_id,
        merged_into_id: null,
        updated_at: at,
      })
      await saveTicket(tx, survivor.id, { updated_at: at })
      await tx
        .updateTable('ticket_links')
        .set({ undone_at: at, undone_by: actor.id })
        .where('id', '=', link.id)
        .execute()
      await recordTicketEvent(tx, {
        ticketId: duplicate.id,
        actorId: actor.id,
        kind: 'status_changed',
        from: 'closed',
        to: previous.status,
        details: { unmergedFrom: survivor.id },
        at,
      })
      if (duplicate.assignee_id !== previous.assignee_id) {
        await recordTicketEvent(tx, {
          ticketId: duplicate.id,
          actorId: actor.id,
          kind: 'assigned',
          from: duplicate.assignee_id,
          to: previous.assignee_id,
          at,
        })
      }
      await recordTicketEvent(tx, {
        ticketId: duplicate.id,
        actorId: actor.id,
        kind: 'unmerged',
        to: survivor.id,
        details: { linkId: link.id },
        at,
      })
      await recordTicketEvent(tx, {
        ticketId: survivor.id,
        actorId: actor.id,
        kind: 'unmerged_in',
        to: duplicate.id,
        details: { linkId: link.id },
        at,
      })
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
