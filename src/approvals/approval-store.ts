import type { Category, Db, Ticket, Tx } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { statusLabels } from '#src/tickets/rules.ts'
import { findTicketForUpdate } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { shownName } from '#src/users/blocking.ts'
import { can } from '#src/users/permissions.ts'

/**
 * «Согласование» (issue 14): who decides on a ticket awaiting approval, and what they see of it.
 *
 * The approver is the head (заведующий) of the ticket's department — the requester's, filled in when it is filed
 * (staff may correct it) — as the department names them now, while that head's account is active. A ticket
 * without a department, a department without a head, a head deactivated, or a head filing their own request: the
 * curators decide.
 */

/** The head who decides on this ticket, or null when the curators do. */
export async function approverOf(
  tx: Tx,
  ticket: Pick<Ticket, 'requester_id' | 'department_id'>,
): Promise<number | null> {
  if (ticket.department_id === null) return null
  const row = await tx
    .selectFrom('departments as d')
    .innerJoin('users as h', 'h.id', 'd.head_user_id')
    .select('h.id')
    .where('d.id', '=', ticket.department_id)
    .where('h.status', '=', 'active')
    .where('h.id', '!=', ticket.requester_id)
    .executeTakeFirst()
  return row?.id ?? null
}

/**
 * Does a ticket of this category wait for approval? A category that requires it, or a child of one that does:
 * a child inherits its parent's «требует согласования» and cannot switch it off (one level of parents only).
 * The parent's flag is read with the category (`categoryWithParentApproval`).
 */
export function requiresApproval(category: CategoryWithParentApproval): boolean {
  return category.requires_approval === 1 || category.parent_requires_approval === 1
}

export type CategoryWithParentApproval = Category & { parent_requires_approval: number | null }

/** A category's row and its parent's «требует согласования» (null without a parent), in one read. */
export function categoryWithParentApproval(tx: Tx, id: number): Promise<CategoryWithParentApproval | undefined> {
  return tx
    .selectFrom('categories')
    .leftJoin('categories as parent', 'parent.id', 'categories.parent_id')
    .selectAll('categories')
    .select('parent.requires_approval as parent_requires_approval')
    .where('categories.id', '=', id)
    .executeTakeFirst()
}

/**
 * The ticket locked for a decision, refused unless the actor is the one who decides on it. Someone who may not
 * see the ticket learns nothing of it (not_found, as elsewhere); its approver deciding a second time, or after the
 * requester withdrew it, is told it no longer waits (`invalid_transition`).
 */
export async function loadForDecision(tx: Tx, actor: Actor, ticketId: number): Promise<Ticket> {
  const ticket = await findTicketForUpdate(tx, ticketId)
  if (!ticket) throw new DomainError('not_found', 'Заявка не найдена')
  const approverId = await approverOf(tx, ticket)
  if (!can(actor, 'ticket.approve', { ...ticket, status: 'approval', approver_id: approverId })) {
    if (!can(actor, 'ticket.view', ticket)) throw new DomainError('not_found', 'Заявка не найдена')
    throw new DomainError(
      'forbidden',
      approverId === null ? 'Эту заявку согласует куратор ИТ' : 'Эту заявку согласует заведующий отделением заявителя',
    )
  }
  if (ticket.status !== 'approval') {
    throw new DomainError(
      'invalid_transition',
      `Заявка № ${ticket.id} уже не ждёт согласования: она в статусе «${statusLabels[ticket.status]}»`,
    )
  }
  return ticket
}

/** What the ticket page says of a ticket awaiting approval: whether the viewer decides, and whether curators do. */
export async function approvalPanelOf(
  db: Db | Tx,
  actor: Actor,
  ticket: Ticket,
): Promise<{ mayDecide: boolean; byCurators: boolean }> {
  const approverId = await approverOf(db, ticket)
  return {
    mayDecide: can(actor, 'ticket.approve', { ...ticket, approver_id: approverId }),
    byCurators: approverId === null,
  }
}

/** The bell's «ждёт Вашего согласования» of a ticket decided: read for everyone (nothing is left to do). */
export async function settleApprovalBells(tx: Tx, ticketId: number, at: string): Promise<void> {
  await tx
    .updateTable('web_notifications')
    .set({ read_at: at })
    .where('ticket_id', '=', ticketId)
    .where('kind', '=', 'approval')
    .where('read_at', 'is', null)
    .execute()
}

export interface AwaitingApproval {
  id: number
  title: string
  description: string
  created_at: string
  requester_id: number
  requester_name: string
  department_name: string | null
  category_name: string | null
  /** The head who decides; null: the curators. */
  approver_id: number | null
}

/** The most an approver's page lists; more would be a backlog nobody decides on one page. */
export const APPROVALS_SHOWN = 200

/**
 * The tickets awaiting this person's decision, oldest first: as a head, those of their department's people; as a
 * curator also those nobody heads; an admin sees all. Only what the decision needs: the title and description,
 * the requester and their department, the category.
 */
export async function listAwaitingFor(db: Db | Tx, actor: Actor): Promise<AwaitingApproval[]> {
  if (actor.status !== 'active' || (actor.id === null && actor.role !== 'system')) return []
  const me = actor.id ?? -1
  let query = db
    .selectFrom('tickets as t')
    .innerJoin('users as r', 'r.id', 't.requester_id')
    .leftJoin('departments as d', 'd.id', 't.department_id')
    .leftJoin('users as h', (join) =>
      join.onRef('h.id', '=', 'd.head_user_id').on('h.status', '=', 'active').onRef('h.id', '!=', 'r.id'),
    )
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .select([
      't.id',
      't.title',
      't.description',
      't.created_at',
      't.requester_id',
      shownName('r').as('requester_name'),
      'd.name as department_name',
      'c.name as category_name',
      'h.id as approver_id',
    ])
    .where('t.status', '=', 'approval')
  if (actor.role !== 'admin' && actor.role !== 'system') {
    query =
      actor.role === 'curator'
        ? query.where((eb) => eb.or([eb('h.id', '=', me), eb('h.id', 'is', null)]))
        : query.where('h.id', '=', me)
  }
  return query.orderBy('t.id').limit(APPROVALS_SHOWN).execute()
}

/**
 * How many tickets await this person's decision (the navigation's number; 0 hides the entry). Cheap for those who
 * head nothing: an indexed look at departments first.
 */
export async function countAwaitingFor(db: Db, actor: Actor): Promise<number> {
  if (actor.id === null || actor.status !== 'active') return 0
  if (actor.role !== 'curator' && actor.role !== 'admin') {
    const heads = await db
      .selectFrom('departments')
      .select('id')
      .where('head_user_id', '=', actor.id)
      .executeTakeFirst()
    if (!heads) return 0
  }
  return (await listAwaitingFor(db, actor)).length
}
