import type { Db } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import { getSetting } from '#src/settings/settings.ts'
import { systemActor } from '#src/users/actor.ts'
import { statusLabels } from './rules.ts'
import { auditTicket } from './ticket-access.ts'
import { findTicketForUpdate, recordTicketEvent } from './ticket-store.ts'

const BATCH = 200

/**
 * Closes tickets left `resolved` longer than `tickets.auto_close_days` without the requester's answer
 * (PRODUCT.md §3). One transaction per ticket, so one failure does not hold back the rest. Returns the count.
 */
export async function autoCloseResolved(db: Db): Promise<number> {
  const actor = systemActor()
  const days = await getSetting(db, 'tickets.auto_close_days')
  const cutoff = addMinutes(now(), -days * 24 * 60)
  let closed = 0
  let afterId = 0
  for (;;) {
    const due = await db
      .selectFrom('tickets')
      .select('id')
      .where('status', '=', 'resolved')
      .where('resolved_at', '<', cutoff)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(BATCH)
      .execute()
    for (const { id } of due) {
      afterId = id
      const done = await transact(db, async (tx) => {
        // Re-read under the lock: the requester may have answered since the scan.
        const ticket = await findTicketForUpdate(tx, id)
        if (ticket?.status !== 'resolved' || ticket.resolved_at === null || ticket.resolved_at >= cutoff) {
          return false
        }
        const at = now()
        await tx
          .updateTable('tickets')
          .set({ status: 'closed', closed_at: at, updated_at: at })
          .where('id', '=', id)
          .execute()
        await recordTicketEvent(tx, {
          ticketId: id,
          actorId: null,
          kind: 'status_changed',
          from: 'resolved',
          to: 'closed',
          details: { automatic: true, afterDays: days },
          at,
        })
        await auditTicket(
          tx,
          actor,
          ticket,
          'ticket.close',
          `Заявка № ${id} закрыта автоматически: «${statusLabels.resolved}» дольше ${days} дн.`,
          { automatic: true, afterDays: days },
        )
        await notifyUsers(tx, [ticket.requester_id], { kind: 'ticket_closed', ticketId: id, data: { automatic: true } })
        return true
      })
      if (done) closed++
    }
    if (due.length < BATCH) return closed
  }
}
