import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { finalStatuses } from '#src/tickets/rules.ts'
import { auditTicket } from '#src/tickets/ticket-access.ts'
import { findTicketForUpdate, recordTicketEvent } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'

/** What a press of «Принял» did: stamped it, or nothing (someone already had, or it was not the person's to press). */
export type AcknowledgeOutcome =
  | { kind: 'acknowledged'; ticketId: number; level: number }
  | { kind: 'already'; ticketId: number; byId: number | null }
  | { kind: 'not_called'; ticketId: number }

/**
 * «Принял» under a critical ticket filed at night: the person was called by its escalation and takes it in hand.
 * The newest step of the chain is stamped with who and when (a ticket event `escalation_acknowledged` and a
 * journal row), and the chain calls nobody more. Pressed again, or after a colleague, or by someone the chain did
 * not call: nothing changes, and the outcome says why.
 */
export async function acknowledgeEscalation(
  db: Db,
  actor: Actor,
  input: { ticketId: number },
): Promise<AcknowledgeOutcome> {
  if (!can(actor, 'ticket.view_internal') || actor.id === null) {
    throw new DomainError('forbidden', 'Принять заявку может только сотрудник ИТ-отдела')
  }
  const actorId = actor.id
  return transact(db, async (tx) => {
    const ticket = await findTicketForUpdate(tx, input.ticketId)
    if (!ticket) throw new DomainError('not_found', 'Заявка не найдена')
    const steps = await tx
      .selectFrom('ticket_escalations')
      .selectAll()
      .where('ticket_id', '=', ticket.id)
      .where('chain', '=', 'critical')
      .orderBy('level', 'desc')
      .execute()
    const done = steps.find((s) => s.acknowledged_at !== null)
    if (done) return { kind: 'already', ticketId: ticket.id, byId: done.acknowledged_by }
    const called = steps.some((s) => notifiedIds(s.notified).includes(actorId))
    const newest = steps[0]
    if (!newest || !called || finalStatuses.includes(ticket.status)) return { kind: 'not_called', ticketId: ticket.id }
    const at = now()
    const stamped = await tx
      .updateTable('ticket_escalations')
      .set({ acknowledged_at: at, acknowledged_by: actorId })
      .where('id', '=', newest.id)
      .where('acknowledged_at', 'is', null)
      .executeTakeFirst()
    if (Number(stamped.numUpdatedRows) !== 1) return { kind: 'already', ticketId: ticket.id, byId: null }
    await recordTicketEvent(tx, {
      ticketId: ticket.id,
      actorId,
      kind: 'escalation_acknowledged',
      to: newest.level,
      details: { level: newest.level, userId: actorId },
      at,
    })
    await auditTicket(
      tx,
      actor,
      ticket,
      'ticket.escalation_acknowledged',
      `Заявка № ${ticket.id}: критическая заявка принята (уровень ${newest.level})`,
      { level: newest.level },
    )
    return { kind: 'acknowledged', ticketId: ticket.id, level: newest.level }
  })
}

/** The ids a step told (a JSON array of numbers); anything else is nobody. */
export function notifiedIds(text: string): number[] {
  try {
    const parsed: unknown = JSON.parse(text)
    return Array.isArray(parsed) ? parsed.filter((v): v is number => typeof v === 'number') : []
  } catch {
    return []
  }
}
