import type { Category, Channel, Priority, TicketSource, TicketStatus } from '#src/db/schema.ts'
import type { SettingValue } from '#src/settings/settings.ts'
import type { Actor } from '#src/users/actor.ts'
import type { Action } from '#src/users/permissions.ts'
import { addDeadlineMinutes, type WorkingHours } from './working-hours.ts'

/**
 * Ticket rules of PRODUCT.md §3: statuses and their transitions, priorities, deadlines. Pure functions
 * only; the use cases apply them inside their transactions.
 */

export const statusLabels: Record<TicketStatus, string> = {
  approval: 'На согласовании',
  new: 'Новая',
  in_progress: 'В работе',
  waiting: 'Ожидает ответа',
  resolved: 'Решена',
  closed: 'Закрыта',
  cancelled: 'Отменена',
}

export const priorityLabels: Record<Priority, string> = {
  low: 'Низкий',
  normal: 'Обычный',
  high: 'Высокий',
  critical: 'Критический',
}

/** Where a ticket may go from each status (PRODUCT.md §3); `closed → in_progress` is the curator's reopening. */
export const transitions: Record<TicketStatus, readonly TicketStatus[]> = {
  // approval → new only by `approveTicket` (src/approvals), never by a status change; → cancelled: rejected there,
  // or withdrawn by the requester (or cancelled by IT) here.
  approval: ['cancelled'],
  new: ['in_progress', 'cancelled'],
  in_progress: ['waiting', 'resolved', 'new'],
  waiting: ['in_progress'],
  resolved: ['closed', 'in_progress'],
  closed: ['in_progress'],
  cancelled: [],
}

/** Statuses in which nothing is awaited from IT any more. */
export const finalStatuses: readonly TicketStatus[] = ['resolved', 'closed', 'cancelled']

/** Statuses in which the ticket's fields may no longer change. */
export const lockedStatuses: readonly TicketStatus[] = ['closed', 'cancelled']

export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return transitions[from].includes(to)
}

/** The permission a status change needs; the state rule (`canTransition`) is checked separately. */
export function statusChangeAction(from: TicketStatus, to: TicketStatus): Action {
  if (to === 'cancelled') return 'ticket.cancel'
  if (from === 'resolved' && to === 'closed') return 'ticket.confirm'
  if (from === 'resolved' && to === 'in_progress') return 'ticket.reopen'
  if (from === 'closed' && to === 'in_progress') return 'ticket.reopen_closed'
  return 'ticket.set_status'
}

/** Order used to sort by priority (higher = more urgent). */
export const priorityRank: Record<Priority, number> = { low: 0, normal: 1, high: 2, critical: 3 }

/** Order used to sort by status (the workflow's order). */
export const statusRank: Record<TicketStatus, number> = {
  // Before `new`; migration 0037 re-creates the list's rank index with this entry first.
  approval: -1,
  new: 0,
  in_progress: 1,
  waiting: 2,
  resolved: 3,
  closed: 4,
  cancelled: 5,
}

export interface Deadlines {
  responseDueAt: string
  resolutionDueAt: string
}

/**
 * Deadlines count from creation: the category's override if it has one, else the priority's setting, on the
 * priority's clock (24/7, or the working hours of working days: `tickets.working_hours`).
 */
export function computeDeadlines(
  createdAt: string,
  priority: Priority,
  category: Pick<Category, 'response_minutes' | 'resolution_minutes'> | null,
  settings: SettingValue<'tickets.deadlines'>,
  hours: WorkingHours,
): Deadlines {
  const byPriority = settings[priority]
  const after = (minutes: number) => addDeadlineMinutes(createdAt, minutes, priority, hours)
  return {
    responseDueAt: after(category?.response_minutes ?? byPriority.responseMinutes),
    resolutionDueAt: after(category?.resolution_minutes ?? byPriority.resolutionMinutes),
  }
}

export function sourceOfChannel(channel: Channel): TicketSource {
  switch (channel) {
    case 'bot':
      return 'telegram'
    case 'web':
      return 'web'
    case 'cli':
      return 'cli'
    case 'api':
    case 'system':
      return 'api'
  }
}

/** IT staff (and admins): they see internal notes, and their external messages are responses. */
export function isStaff(actor: Pick<Actor, 'role'>): boolean {
  return actor.role === 'executor' || actor.role === 'curator' || actor.role === 'admin'
}

export const limits = {
  title: 200,
  /** Where the work is: a room, a corridor. */
  location: 200,
  derivedTitle: 80,
  description: 10_000,
  body: 10_000,
  resolution: 10_000,
  reason: 1_000,
  ratingComment: 1_000,
  idempotencyKey: 200,
} as const

/** A title from the description's first non-empty line, for tickets filed without one (the bot). */
export function titleFromDescription(description: string): string {
  const firstLine = description.split(/\r?\n/).find((line) => line.trim() !== '') ?? ''
  return Array.from(firstLine.trim()).slice(0, limits.derivedTitle).join('').trim()
}

/** Length in characters (code points), as a person counts them. */
export function textLength(text: string): number {
  let count = 0
  for (const _ of text) count++
  return count
}
