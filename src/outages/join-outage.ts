import type { Db, Ticket, TicketSource } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { sourceOfChannel } from '#src/tickets/rules.ts'
import { auditTicket } from '#src/tickets/ticket-access.ts'
import { insertLink, recordLinkEvents } from '#src/tickets/ticket-links-store.ts'
import { insertIndexedTicket } from '#src/tickets/ticket-search.ts'
import { findTicketForUpdate, recordTicketEvent } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { childDescription } from './outage-rules.ts'
import { childOfRequester, outageCoversCategory, outageHasDepartment } from './outage-store.ts'

export interface JoinOutageInput {
  outageId: number
  /** The category the person chose in «Новая заявка»; one the outage does not cover is refused. */
  categoryId: number
  /** Where it was filed, when the actor's channel does not say it (the bot: Telegram or MAX). */
  source?: TicketSource
}

/**
 * «У меня тоже» (the bot, issue 14): the person's own ticket, a child of the outage's parent, in one transaction.
 * It needs no work of its own, so it is filed already «В работе» with the parent's group and assignee, answered
 * (the bot's «Известная проблема» is the response), without deadlines (it is never overdue on its own) and
 * without the group's «Новая заявка» notice; it is resolved with the parent (end-outage.ts). Only a person of an
 * affected department, once an outage, while it is open.
 */
export async function joinOutage(db: Db, actor: Actor, input: JoinOutageInput): Promise<Ticket> {
  return transact(db, async (tx) => {
    if (actor.id === null || !can(actor, 'ticket.create')) {
      throw new DomainError('forbidden', 'Нет прав создавать заявки')
    }
    const outage = await tx.selectFrom('outages').selectAll().where('id', '=', input.outageId).executeTakeFirst()
    if (!outage) throw new DomainError('not_found', 'Массовый сбой не найден')
    // Locks the parent: a resolution running at the same time either sees this child or refuses it.
    const parent = await findTicketForUpdate(tx, outage.ticket_id)
    const stillOpen = await tx
      .selectFrom('outages')
      .select('resolved_at')
      .where('id', '=', outage.id)
      .executeTakeFirstOrThrow()
    if (!parent || stillOpen.resolved_at !== null) {
      throw new DomainError('conflict', 'Этот сбой уже устранён')
    }
    const person = await tx
      .selectFrom('users')
      .select(['id', 'status', 'department_id', 'room'])
      .where('id', '=', actor.id)
      .executeTakeFirst()
    if (person?.status !== 'active') throw new DomainError('forbidden', 'Учётная запись не активна')
    if (person.department_id === null || !(await outageHasDepartment(tx, outage.id, person.department_id))) {
      throw new DomainError('validation', 'Этот сбой не касается Вашего отделения')
    }
    if (!(await outageCoversCategory(tx, outage.id, input.categoryId))) {
      throw new DomainError('validation', 'Этот сбой не касается выбранной категории')
    }
    const earlier = await childOfRequester(tx, parent.id, person.id)
    if (earlier !== undefined) {
      throw new DomainError('conflict', `Вы уже сообщили об этом сбое: заявка № ${earlier}`)
    }

    const at = now()
    const ticket = await insertIndexedTicket(tx, {
      title: outage.title,
      description: childDescription(outage.title, outage.place),
      category_id: input.categoryId,
      priority: parent.priority,
      status: 'in_progress',
      requester_id: person.id,
      assignee_id: parent.assignee_id,
      group_id: parent.group_id,
      department_id: person.department_id,
      location: outage.place ?? person.room,
      source: input.source ?? sourceOfChannel(actor.channel),
      created_by: person.id,
      created_at: at,
      updated_at: at,
      first_response_at: at,
      resolved_at: null,
      closed_at: null,
      cancelled_at: null,
      response_due_at: null,
      resolution_due_at: null,
      response_breached_at: null,
      resolution_breached_at: null,
      resolution: null,
      cancel_reason: null,
      rating: null,
      rating_comment: null,
      rated_at: null,
      equipment_id: null,
    })
    await recordTicketEvent(tx, {
      ticketId: ticket.id,
      actorId: person.id,
      kind: 'created',
      to: 'in_progress',
      details: { outageId: outage.id },
      at,
    })
    const linkId = await insertLink(tx, {
      ticketId: parent.id,
      otherId: ticket.id,
      kind: 'parent',
      actorId: person.id,
      at,
    })
    await recordLinkEvents(tx, { actorId: person.id, linkId, at, details: { outageId: outage.id } }, [
      { ticketId: ticket.id, kind: 'linked', from: 'parent', to: parent.id },
      { ticketId: parent.id, kind: 'linked', from: 'child', to: ticket.id },
    ])
    await auditTicket(
      tx,
      actor,
      ticket,
      'outage.join',
      `Создана заявка № ${ticket.id}, присоединённая к массовому сбою № ${outage.id} (заявка № ${parent.id})`,
      { outageId: outage.id, parentId: parent.id, categoryId: input.categoryId, source: ticket.source },
    )
    return ticket
  })
}
