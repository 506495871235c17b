import type { Db, Ticket, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { activeUserIdsWithRoles, notifyUsers } from '#src/notify/outbox.ts'
import { systemActor } from '#src/users/actor.ts'
import { finalStatuses } from './rules.ts'
import { auditTicket } from './ticket-access.ts'
import { findTicketForUpdate, recordTicketEvent } from './ticket-store.ts'

const BATCH = 200

type BreachKind = 'response' | 'resolution'

/**
 * Stamps tickets whose first-response or resolution deadline has passed and journals it, once per ticket and
 * kind (the stamp is the memory). A missed first response is told to the curators; a missed resolution is told
 * by the escalation levels instead (src/duty/escalate-tickets.ts: the group's duty person, then the curator on
 * duty, then the head of IT). Returns how many stamps were made.
 */
export async function markDeadlineBreaches(db: Db): Promise<number> {
  let marked = 0
  for (const kind of ['response', 'resolution'] as const) {
    let afterId = 0
    for (;;) {
      const at = now()
      const due = await dueQuery(db, kind, at).where('id', '>', afterId).orderBy('id').limit(BATCH).execute()
      for (const { id } of due) {
        afterId = id
        if (await markOne(db, id, kind)) marked++
      }
      if (due.length < BATCH) break
    }
  }
  return marked
}

function dueQuery(tx: Tx, kind: BreachKind, at: string) {
  const query = tx.selectFrom('tickets').select('id').where('status', 'not in', finalStatuses)
  return kind === 'response'
    ? query
        .where('first_response_at', 'is', null)
        .where('response_breached_at', 'is', null)
        .where('response_due_at', '<', at)
    : query.where('resolution_breached_at', 'is', null).where('resolution_due_at', '<', at)
}

function stillDue(ticket: Ticket, kind: BreachKind, at: string): boolean {
  if (finalStatuses.includes(ticket.status)) return false
  if (kind === 'response') {
    return (
      ticket.first_response_at === null &&
      ticket.response_breached_at === null &&
      ticket.response_due_at !== null &&
      ticket.response_due_at < at
    )
  }
  return ticket.resolution_breached_at === null && ticket.resolution_due_at !== null && ticket.resolution_due_at < at
}

async function markOne(db: Db, id: number, kind: BreachKind): Promise<boolean> {
  return transact(db, async (tx) => {
    const at = now()
    // Re-read under the lock: another worker or a response may have come first.
    const ticket = await findTicketForUpdate(tx, id)
    if (!ticket || !stillDue(ticket, kind, at)) return false
    const due = kind === 'response' ? ticket.response_due_at : ticket.resolution_due_at
    await tx
      .updateTable('tickets')
      .set(kind === 'response' ? { response_breached_at: at } : { resolution_breached_at: at })
      .where('id', '=', id)
      .execute()
    await recordTicketEvent(tx, {
      ticketId: id,
      actorId: null,
      kind: 'deadline_breached',
      to: kind,
      details: { dueAt: due },
      at,
    })
    await auditTicket(
      tx,
      systemActor(),
      ticket,
      'ticket.deadline_breached',
      kind === 'response' ? `Заявка № ${id}: просрочен срок первого ответа` : `Заявка № ${id}: просрочен срок решения`,
      { kind, dueAt: due },
    )
    if (kind === 'response') {
      const curators = await activeUserIdsWithRoles(tx, ['curator'])
      await notifyUsers(tx, curators, { kind: 'deadline_breached', ticketId: id, data: { breach: kind } })
    }
    return true
  })
}
