import { auditDenied } from '#src/audit/denied.ts'
import { type AuditEntry, audit } from '#src/audit/journal.ts'
import type { Db, Ticket, Tx } from '#src/db/schema.ts'
import { DomainError, isDomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { type Action, can } from '#src/users/permissions.ts'
import { lockedStatuses, statusLabels, textLength } from './rules.ts'
import { findTicket, findTicketForUpdate, type TicketPage } from './ticket-store.ts'

/**
 * The steps every ticket use case shares: load what the actor may see, check a permission, journal the
 * change, and journal a refusal after its transaction has rolled back.
 */

/**
 * The ticket, locked for the change. A ticket the actor may not see does not exist for them: a requester
 * asking for someone else's ticket gets not_found, never forbidden, so numbers cannot be probed.
 */
export async function loadVisibleTicket(tx: Tx, actor: Actor, ticketId: number, lock = true): Promise<Ticket> {
  const ticket = lock ? await findTicketForUpdate(tx, ticketId) : await findTicket(tx, ticketId)
  if (!ticket || !can(actor, 'ticket.view', ticket)) throw new DomainError('not_found', 'Заявка не найдена')
  return ticket
}

/** Throws `forbidden` unless the actor may do this to the ticket. */
export function requirePermission(actor: Actor, action: Action, ticket: Ticket | undefined, message: string): void {
  if (!can(actor, action, ticket)) throw new DomainError('forbidden', message)
}

export interface DeniedAttempt {
  /** Audit action code, `ticket.<verb>`. */
  action: string
  ticketId: number | null
  /** Whose ticket it is, when known before the attempt (filing on behalf of someone). */
  subjectId?: number | null
}

/**
 * Runs a use case; if it is refused for lack of rights, journals the denial in a transaction of its own
 * (the use case's transaction has rolled back with the refusal) and rethrows. A ticket hidden from the
 * actor (not_found although it exists) is a denial too. For someone who does not see every ticket (a
 * requester), a missing number is journaled exactly like someone else's: the same queries and the same
 * write, so neither the answer nor the time it takes tells one from the other.
 */
export async function journalingDenials<T>(
  db: Db,
  actor: Actor,
  attempt: DeniedAttempt,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (!isDomainError(error) || (error.code !== 'forbidden' && error.code !== 'not_found')) throw error
    const owner = await requesterOf(db, attempt.ticketId)
    const probe = attempt.ticketId !== null && !can(actor, 'ticket.view')
    const hidden = error.code === 'not_found' && (owner !== null || probe)
    const subjectId = attempt.subjectId ?? owner
    if (error.code === 'forbidden' || hidden) {
      await auditDenied(db, actor, {
        action: attempt.action,
        objectType: 'ticket',
        objectId: attempt.ticketId,
        subjectId,
        pdn: true,
        description:
          attempt.ticketId === null
            ? `Отказано в действии ${attempt.action}`
            : `Отказано в действии ${attempt.action} с заявкой № ${attempt.ticketId}`,
        details: hidden ? { reason: owner === null ? 'not_found' : 'not_visible' } : null,
      })
    }
    throw error
  }
}

async function requesterOf(db: Db, ticketId: number | null): Promise<number | null> {
  if (ticketId === null) return null
  const row = await db.selectFrom('tickets').select('requester_id').where('id', '=', ticketId).executeTakeFirst()
  return row?.requester_id ?? null
}

/** A ticket action's journal entry: the requester is whose personal data it touches. */
export function ticketEntry(
  ticket: Pick<Ticket, 'id' | 'requester_id'>,
  action: string,
  description: string,
  details?: Record<string, unknown>,
): AuditEntry {
  return {
    action,
    objectType: 'ticket',
    objectId: ticket.id,
    subjectId: ticket.requester_id,
    pdn: true,
    description,
    details: details ?? null,
  }
}

/**
 * Journals the read of a ticket list (it shows requesters' names: a read of ПДн, COMPLIANCE.md §4), by group
 * commit; `details` are the edge's own (page, cursor), beside the ids shown.
 */
export async function auditListRead(
  db: Db,
  actor: Actor,
  page: Pick<TicketPage, 'items' | 'total' | 'totalCapped'>,
  details: Record<string, unknown>,
): Promise<void> {
  const of = page.totalCapped ? `более ${page.total}` : String(page.total)
  await audit(db, actor, {
    action: 'ticket.list',
    objectType: 'ticket',
    pdn: true,
    description: `Просмотр списка заявок: ${page.items.length} из ${of}`,
    details: { ids: page.items.map((t) => t.id), ...details },
  })
}

/** Journals a ticket action in the action's transaction. */
export async function auditTicket(
  tx: Tx,
  actor: Actor,
  ticket: Pick<Ticket, 'id' | 'requester_id'>,
  action: string,
  description: string,
  details?: Record<string, unknown>,
): Promise<void> {
  await audit(tx, actor, ticketEntry(ticket, action, description, details))
}

/** Trims a text field and checks its length; `validation` with a Russian message otherwise. */
export function requireText(value: string | undefined | null, label: string, max: number): string {
  const text = (value ?? '').trim()
  if (text === '') throw new DomainError('validation', `Заполните поле «${label}»`)
  if (textLength(text) > max) {
    throw new DomainError('validation', `Поле «${label}» длиннее ${max} символов`)
  }
  return text
}

/**
 * A requester writes no more to a closed or cancelled ticket: the matter is reopened by a new ticket, not
 * by a message nobody will read.
 */
export function refuseLockedForRequester(ticket: Ticket): void {
  if (lockedStatuses.includes(ticket.status)) {
    throw new DomainError(
      'invalid_transition',
      `Заявка № ${ticket.id} в статусе «${statusLabels[ticket.status]}»: создайте новую заявку`,
    )
  }
}

/** Whom to tell: the given users, without the actor (nobody is told what they did themselves). */
export function othersThan(actor: Actor, ...userIds: Array<number | null>): number[] {
  return userIds.filter((id): id is number => id !== null && id !== actor.id)
}
