import type { Db, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { finalStatuses } from '#src/tickets/rules.ts'
import { auditTicket, loadVisibleTicket } from '#src/tickets/ticket-access.ts'
import { parentLinkOf } from '#src/tickets/ticket-links-store.ts'
import { recordTicketEvent, saveTicket } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { queueAnnouncement } from './announce-outage.ts'
import { requireOutageManage } from './outage-access.ts'
import { checkAnnouncement, checkIds, checkOutagePlace, checkOutageTitle } from './outage-rules.ts'
import { findOutage, findOutageOfTicket, type OutageRow } from './outage-store.ts'

export interface DeclareOutageInput {
  /** The parent incident: an open ticket. */
  ticketId: number
  /** What staff call it; default: the ticket's title. */
  title?: string | null
  departmentIds: readonly number[]
  /** The categories («services») it covers; a parent category covers its children. */
  categoryIds: readonly number[]
  /** «корпус 2». */
  place?: string | null
  /** The text sent to the affected staff; default: one made from the title and the place. */
  announcement?: string | null
}

/**
 * «Массовый сбой» (IT staff): the ticket becomes the parent incident of an outage of these departments and
 * categories; its timeline and the journal say so, and the announcement is queued in the outbox to the affected
 * people (announce-outage.ts). A resolved, closed or cancelled ticket cannot become one; a ticket only once.
 */
export async function declareOutage(db: Db, actor: Actor, input: DeclareOutageInput): Promise<OutageRow> {
  await requireOutageManage(db, actor, 'outage.declare', input.ticketId)
  const departmentIds = checkIds(input.departmentIds, 'отделения')
  const categoryIds = checkIds(input.categoryIds, 'категории')
  const place = checkOutagePlace(input.place)
  return transact(db, async (tx) => {
    const ticket = await loadVisibleTicket(tx, actor, input.ticketId)
    if (finalStatuses.includes(ticket.status)) {
      throw new DomainError(
        'invalid_transition',
        `Заявка № ${ticket.id} уже решена, закрыта или отменена: массовым сбоем может стать только открытая заявка`,
      )
    }
    const existing = await findOutageOfTicket(tx, ticket.id)
    if (existing) {
      throw new DomainError('conflict', `Заявка № ${ticket.id} уже объявлена массовым сбоем № ${existing.id}`)
    }
    const parent = await parentLinkOf(tx, ticket.id)
    if (parent && (await findOutageOfTicket(tx, parent.ticket_id))) {
      throw new DomainError(
        'conflict',
        `Заявка № ${ticket.id} присоединена к массовому сбою по заявке № ${parent.ticket_id}: объявите сбой там`,
      )
    }
    const title = checkOutageTitle(input.title?.trim() ? input.title : ticket.title)
    const announcement = checkAnnouncement(input.announcement, title, place)
    await requireAll(tx, 'departments', departmentIds, 'Отделение не найдено')
    await requireAll(tx, 'categories', categoryIds, 'Категория не найдена')

    const at = now()
    const created = await tx
      .insertInto('outages')
      .values({
        ticket_id: ticket.id,
        title,
        place,
        announcement,
        declared_by: actor.id,
        declared_at: at,
        resolved_at: null,
        resolved_by: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await tx
      .insertInto('outage_departments')
      .values(departmentIds.map((id) => ({ outage_id: created.id, department_id: id })))
      .execute()
    await tx
      .insertInto('outage_categories')
      .values(categoryIds.map((id) => ({ outage_id: created.id, category_id: id })))
      .execute()
    const recipients = await queueAnnouncement(
      tx,
      { id: created.id, ticket_id: ticket.id, announcement },
      departmentIds,
      actor.id,
    )
    await tx.updateTable('outages').set({ recipients }).where('id', '=', created.id).execute()
    await saveTicket(tx, ticket.id, { updated_at: at })
    await recordTicketEvent(tx, {
      ticketId: ticket.id,
      actorId: actor.id,
      kind: 'outage_declared',
      to: created.id,
      details: { outageId: created.id, departments: departmentIds.length, categories: categoryIds.length, recipients },
      at,
    })
    await auditTicket(
      tx,
      actor,
      ticket,
      'outage.declare',
      `Заявка № ${ticket.id} объявлена массовым сбоем № ${created.id}; объявление поставлено в очередь: ${recipients}`,
      { outageId: created.id, departmentIds, categoryIds, recipients },
    )
    const outage = await findOutage(tx, created.id)
    if (!outage) throw new Error(`outage ${created.id} vanished in its own transaction`)
    return outage
  })
}

async function requireAll(
  tx: Tx,
  table: 'departments' | 'categories',
  ids: readonly number[],
  message: string,
): Promise<void> {
  const found = await tx.selectFrom(table).select('id').where('id', 'in', ids).execute()
  if (found.length !== ids.length) throw new DomainError('validation', message)
}
