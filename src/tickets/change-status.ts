import type { Db, Ticket, TicketStatus, TicketUpdate } from '#src/db/schema.ts'
import { ticketStatuses } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { type NoticeKind, notifyUsers } from '#src/notify/outbox.ts'
import { endOutageOfTicket } from '#src/outages/end-outage.ts'
import type { Actor } from '#src/users/actor.ts'
import { canTransition, isStaff, limits, statusChangeAction, statusLabels } from './rules.ts'
import {
  auditTicket,
  journalingDenials,
  loadVisibleTicket,
  othersThan,
  requirePermission,
  requireText,
} from './ticket-access.ts'
import { activeMergeOf, endMerge, lockMergedIntoFirst } from './ticket-links-store.ts'
import { recordTicketEvent, saveTicket } from './ticket-store.ts'

export interface ChangeStatusInput {
  ticketId: number
  status: TicketStatus
  /** The result (результат), required to resolve. */
  resolution?: string
  /** Why, required to cancel. */
  reason?: string
}

/**
 * Moves a ticket along PRODUCT.md §3: take into work, wait for the requester, resolve with a result,
 * confirm (close), reopen, cancel with a reason. The requester is told of each step that concerns them.
 */
export async function changeStatus(db: Db, actor: Actor, input: ChangeStatusInput): Promise<Ticket> {
  // The journal's action code depends on the current status, known once the ticket is loaded.
  const attempt = { action: auditActionFor(null, input.status), ticketId: input.ticketId }
  return journalingDenials(db, actor, attempt, () =>
    transact(db, async (tx) => {
      await lockMergedIntoFirst(tx, input.ticketId)
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId)
      const from = ticket.status
      const to = input.status
      if (!ticketStatuses.includes(to)) throw new DomainError('validation', 'Неизвестный статус заявки')
      const reopening = (from === 'resolved' || from === 'closed') && to === 'in_progress'
      attempt.action = auditActionFor(from, to)
      requirePermission(actor, statusChangeAction(from, to), ticket, forbiddenMessage(from, to))
      if (!canTransition(from, to)) {
        throw new DomainError(
          'invalid_transition',
          from === to
            ? `Заявка № ${ticket.id} уже в статусе «${statusLabels[to]}»`
            : `Нельзя перевести заявку из статуса «${statusLabels[from]}» в «${statusLabels[to]}»`,
        )
      }

      const at = now()
      const change: TicketUpdate = { status: to, updated_at: at }
      const details: Record<string, unknown> = {}
      if (to === 'resolved') {
        change.resolution = requireText(input.resolution, 'Результат', limits.resolution)
        change.resolved_at = at
        details.resolution = true
      }
      if (to === 'cancelled') {
        change.cancel_reason = requireText(input.reason, 'Причина отмены', limits.reason)
        change.cancelled_at = at
        details.reason = change.cancel_reason
      }
      if (to === 'closed') change.closed_at = at
      if (reopening) {
        // The next resolution is a new one: auto-close and reports must not count the old.
        change.resolved_at = null
        change.closed_at = null
      }
      if (to === 'new') change.assignee_id = null
      const takes = from === 'new' && to === 'in_progress' && ticket.assignee_id === null && isStaff(actor)
      if (takes) change.assignee_id = actor.id
      if (from === 'new' && to === 'in_progress' && ticket.first_response_at === null) change.first_response_at = at

      // A merged duplicate leaving «closed» (reopened: its only way out) is a ticket of its own again: the merge
      // ends, so that the other ticket no longer shows it, replies stay on it, and it may be merged again (issue
      // 13). One reopened before this rule still names that ticket: whatever its next change, the merge ends.
      const merge = ticket.merged_into_id === null ? undefined : await activeMergeOf(tx, ticket.id)
      if (merge) details.unmergedFrom = merge.other_id
      let updated = await saveTicket(tx, ticket.id, change)
      await recordTicketEvent(tx, {
        ticketId: ticket.id,
        actorId: actor.id,
        kind: 'status_changed',
        from,
        to,
        details: Object.keys(details).length > 0 ? details : null,
        at,
      })
      if (merge) updated = await endMerge(tx, actor.id, merge, at, true)
      // Issue 14: the parent of an outage resolved (or cancelled) ends the outage and resolves its children.
      if (to === 'resolved' || to === 'cancelled') await endOutageOfTicket(tx, actor, updated, at)
      if (takes || to === 'new') {
        await recordTicketEvent(tx, {
          ticketId: ticket.id,
          actorId: actor.id,
          kind: takes ? 'taken' : 'assigned',
          from: ticket.assignee_id,
          to: updated.assignee_id,
          at,
        })
      }
      await auditTicket(
        tx,
        actor,
        ticket,
        attempt.action,
        `Заявка № ${ticket.id}: статус «${statusLabels[from]}» → «${statusLabels[to]}»` +
          (merge ? `, объединение с заявкой № ${merge.other_id} снято` : ''),
        merge ? { from, to, unmergedFrom: merge.other_id } : { from, to },
      )

      const tell = async (kind: NoticeKind, userIds: number[], data?: Record<string, unknown>) => {
        await notifyUsers(tx, userIds, { kind, ticketId: ticket.id, ...(data ? { data } : {}) })
      }
      const requester = othersThan(actor, ticket.requester_id)
      if (takes) await tell('ticket_taken', requester, { assigneeId: actor.id })
      if (to === 'waiting') await tell('ticket_waiting', requester)
      if (to === 'resolved') await tell('ticket_resolved', requester)
      if (to === 'cancelled') await tell('ticket_cancelled', othersThan(actor, ticket.requester_id, ticket.assignee_id))
      if (reopening) await tell('ticket_reopened', othersThan(actor, ticket.requester_id, ticket.assignee_id))
      if (to === 'closed') {
        await tell('ticket_closed', requester)
        // The requester confirmed the result: now ask how it went.
        if (actor.id === ticket.requester_id && ticket.rating === null) {
          await tell('ticket_rate_request', [ticket.requester_id])
        }
      }
      return updated
    }),
  )
}

function auditActionFor(from: TicketStatus | null, to: TicketStatus): string {
  if ((from === 'resolved' || from === 'closed') && to === 'in_progress') return 'ticket.reopen'
  switch (to) {
    case 'resolved':
      return 'ticket.resolve'
    case 'closed':
      return 'ticket.close'
    case 'cancelled':
      return 'ticket.cancel'
    default:
      return 'ticket.set_status'
  }
}

function forbiddenMessage(from: TicketStatus, to: TicketStatus): string {
  if (to === 'cancelled') return 'Отменить можно только свою новую заявку'
  if (from === 'closed') return 'Переоткрыть закрытую заявку может только куратор'
  return 'Нет прав менять статус заявки'
}
