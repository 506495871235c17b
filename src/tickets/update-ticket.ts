import type { Db, Priority, Ticket, TicketUpdate } from '#src/db/schema.ts'
import { priorities } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyPeople } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { ticketDeadlines } from './deadline-terms.ts'
import { limits, lockedStatuses, priorityLabels, statusLabels } from './rules.ts'
import { auditTicket, journalingDenials, loadVisibleTicket, requirePermission, requireText } from './ticket-access.ts'
import { reindexTicket } from './ticket-search.ts'
import { groupStaffToTell, recordTicketEvent, saveTicket } from './ticket-store.ts'

export interface UpdateTicketInput {
  ticketId: number
  priority?: Priority
  categoryId?: number
  title?: string
  /** The department the ticket is about (null: none); at filing, the requester's. */
  departmentId?: number | null
  /** Where the work is (a room, a corridor; null or empty: not said); at filing, the requester's room. */
  location?: string | null
  /** The executor group that works it (null: none); a new category sets its own group unless this says. */
  groupId?: number | null
}

/**
 * Staff change a ticket's priority, category, title, department, location or group. Deadlines are recomputed from
 * the creation time; a new category routes the ticket to its group.
 */
export async function updateTicket(db: Db, actor: Actor, input: UpdateTicketInput): Promise<Ticket> {
  return journalingDenials(db, actor, { action: 'ticket.update', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId)
      requirePermission(actor, 'ticket.update', ticket, 'Нет прав изменять заявку')
      if (lockedStatuses.includes(ticket.status)) {
        throw new DomainError('invalid_transition', `Заявку в статусе «${statusLabels[ticket.status]}» изменить нельзя`)
      }
      if (input.priority !== undefined && !priorities.includes(input.priority)) {
        throw new DomainError('validation', 'Неизвестный приоритет')
      }
      const title = input.title === undefined ? ticket.title : requireText(input.title, 'Тема', limits.title)
      const priority = input.priority ?? ticket.priority
      const categoryId = input.categoryId ?? ticket.category_id
      const category =
        categoryId === null
          ? null
          : await tx.selectFrom('categories').selectAll().where('id', '=', categoryId).executeTakeFirst()
      if (categoryId !== null && !category) throw new DomainError('validation', 'Категория не найдена')
      const categoryChanged = categoryId !== ticket.category_id
      // A disabled category stays on old tickets but is not chosen for a ticket anew.
      if (categoryChanged && category?.active !== 1) throw new DomainError('validation', 'Категория отключена')
      const priorityChanged = priority !== ticket.priority
      const titleChanged = title !== ticket.title
      const departmentId = input.departmentId === undefined ? ticket.department_id : input.departmentId
      if (departmentId !== null && departmentId !== ticket.department_id) {
        const department = await tx
          .selectFrom('departments')
          .select('active')
          .where('id', '=', departmentId)
          .executeTakeFirst()
        if (!department) throw new DomainError('validation', 'Отделение не найдено')
        if (department.active !== 1) throw new DomainError('validation', 'Отделение отключено')
      }
      const departmentChanged = departmentId !== ticket.department_id
      const location =
        input.location === undefined
          ? ticket.location
          : input.location === null || input.location.trim() === ''
            ? null
            : requireText(input.location, 'Место', limits.location)
      const locationChanged = location !== ticket.location
      // The group: as asked, else the new category's, else as it was.
      const groupId =
        input.groupId !== undefined
          ? input.groupId
          : categoryChanged
            ? (category?.default_group_id ?? null)
            : ticket.group_id
      if (input.groupId !== undefined && groupId !== null && groupId !== ticket.group_id) {
        const group = await tx
          .selectFrom('executor_groups')
          .select('active')
          .where('id', '=', groupId)
          .executeTakeFirst()
        if (!group) throw new DomainError('validation', 'Группа не найдена')
        if (group.active !== 1) throw new DomainError('validation', 'Группа отключена')
      }
      const groupChanged = groupId !== ticket.group_id
      if (
        !categoryChanged &&
        !priorityChanged &&
        !titleChanged &&
        !departmentChanged &&
        !locationChanged &&
        !groupChanged
      )
        return ticket

      const at = now()
      const change: TicketUpdate = { updated_at: at }
      if (titleChanged) change.title = title
      if (priorityChanged) change.priority = priority
      if (departmentChanged) change.department_id = departmentId
      if (locationChanged) change.location = location
      if (categoryChanged) change.category_id = categoryId
      if (groupChanged) change.group_id = groupId
      // A ticket awaiting approval has no deadlines yet: they are counted when it is approved.
      if ((categoryChanged || priorityChanged) && ticket.status !== 'approval') {
        const deadlines = await ticketDeadlines(tx, ticket.created_at, priority, category ?? null)
        change.response_due_at = deadlines.responseDueAt
        change.resolution_due_at = deadlines.resolutionDueAt
        // A breach that the new terms no longer make one is forgotten; the breach job marks it again if due.
        if (deadlines.responseDueAt > at) change.response_breached_at = null
        if (deadlines.resolutionDueAt > at) change.resolution_breached_at = null
      }
      const updated = await saveTicket(tx, ticket.id, change)

      const event = (kind: string, from: string | number | null, to: string | number | null) =>
        recordTicketEvent(tx, { ticketId: ticket.id, actorId: actor.id, kind, from, to, at })
      if (titleChanged) await event('title_changed', ticket.title, title)
      // The place is searched too (ticket-search.ts `indexedDescription`).
      if (titleChanged || locationChanged) await reindexTicket(tx, ticket.id)
      if (priorityChanged) await event('priority_changed', ticket.priority, priority)
      if (categoryChanged) await event('category_changed', ticket.category_id, categoryId)
      if (departmentChanged) await event('department_changed', ticket.department_id, departmentId)
      // Said apart only when asked for: a new category's group goes with the category.
      const groupAsked = groupChanged && input.groupId !== undefined
      if (groupAsked) await event('group_changed', ticket.group_id, groupId)
      // The place may be someone's room (ПДн): the event says it moved, not where from or to.
      if (locationChanged) await event('location_changed', null, null)

      const parts = [
        titleChanged ? 'тема' : null,
        priorityChanged ? `приоритет «${priorityLabels[ticket.priority]}» → «${priorityLabels[priority]}»` : null,
        categoryChanged ? `категория ${ticket.category_id ?? '—'} → ${categoryId ?? '—'}` : null,
        departmentChanged ? `отделение ${ticket.department_id ?? '—'} → ${departmentId ?? '—'}` : null,
        locationChanged ? 'место' : null,
        groupAsked ? `группа ${ticket.group_id ?? '—'} → ${groupId ?? '—'}` : null,
      ].filter((p) => p !== null)
      await auditTicket(tx, actor, ticket, 'ticket.update', `Заявка № ${ticket.id} изменена: ${parts.join(', ')}`, {
        ...(priorityChanged ? { priority: { from: ticket.priority, to: priority } } : {}),
        ...(categoryChanged ? { categoryId: { from: ticket.category_id, to: categoryId } } : {}),
        ...(titleChanged ? { title: true } : {}),
        ...(departmentChanged ? { departmentId: { from: ticket.department_id, to: departmentId } } : {}),
        ...(locationChanged ? { location: true } : {}),
        ...(groupAsked ? { groupId: { from: ticket.group_id, to: groupId } } : {}),
      })

      // An unassigned ticket moved to another group is news for that group.
      if (
        groupChanged &&
        ticket.assignee_id === null &&
        updated.group_id !== null &&
        updated.group_id !== ticket.group_id
      ) {
        const staff = await groupStaffToTell(tx, updated.group_id, actor)
        await notifyPeople(tx, [{ people: staff, notice: { kind: 'ticket_new_for_group', ticketId: ticket.id } }])
      }
      return updated
    }),
  )
}
