import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db, Priority, TicketStatus } from '#src/db/schema.ts'
import { DomainError, isDomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { addMessage } from './add-message.ts'
import { assignTicket } from './assign-ticket.ts'
import { changeStatus } from './change-status.ts'
import { isStaff } from './rules.ts'
import { takeTicket } from './take-ticket.ts'
import { updateTicket } from './update-ticket.ts'

/** The most tickets one bulk action takes (a page of the list is 50; «все по фильтру» up to this). */
export const BULK_LIMIT = 500

/** What a bulk action does to each ticket: what the ticket page does to one. */
export type BulkAction =
  | { kind: 'assign'; assigneeId: number | null }
  | { kind: 'take' }
  | { kind: 'status'; status: TicketStatus; text?: string }
  | { kind: 'priority'; priority: Priority }
  | { kind: 'category'; categoryId: number }
  | { kind: 'group'; groupId: number | null }
  | { kind: 'note'; text: string }

export const bulkKinds = ['assign', 'take', 'status', 'priority', 'category', 'group', 'note'] as const

export interface BulkRefusal {
  ticketId: number
  /** The refusal's code, as the API gives it (`forbidden`, `invalid_transition`, `not_found`, …). */
  code: string
  message: string
}

export interface BulkOutcome {
  /** The tickets the action was done to (or that already were so), in the order given. */
  done: number[]
  refused: BulkRefusal[]
}

/**
 * One action over many tickets, each ticket in a transaction of its own by its own use case (its rights, its
 * rules, its journal row and notices, as if done on its page): one refused ticket stops none of the others,
 * and the outcome says which were refused and why. The whole is journaled once more as the bulk action.
 */
export async function bulkUpdate(
  db: Db,
  actor: Actor,
  ticketIds: readonly number[],
  action: BulkAction,
): Promise<BulkOutcome> {
  if (!isStaff(actor)) {
    await auditDenied(db, actor, {
      action: 'ticket.bulk',
      objectType: 'ticket',
      description: `Отказано в действии «${action.kind}» над несколькими заявками`,
      details: { kind: action.kind },
    })
    throw new DomainError('forbidden', 'Действия над несколькими заявками — для сотрудников ИТ')
  }
  const ids = [...new Set(ticketIds)]
  if (ids.length === 0) throw new DomainError('validation', 'Не выбрано ни одной заявки')
  if (ids.length > BULK_LIMIT) {
    throw new DomainError('validation', `Не больше ${BULK_LIMIT} заявок за раз: сузьте выбор фильтрами`)
  }
  const outcome: BulkOutcome = { done: [], refused: [] }
  for (const ticketId of ids) {
    try {
      await applyOne(db, actor, ticketId, action)
      outcome.done.push(ticketId)
    } catch (error) {
      if (!isDomainError(error)) throw error
      outcome.refused.push({ ticketId, code: error.code, message: error.message })
    }
  }
  await audit(db, actor, {
    action: 'ticket.bulk',
    objectType: 'ticket',
    description: `Действие «${action.kind}» над заявками (${ids.length}): выполнено ${outcome.done.length}, отказано ${outcome.refused.length}`,
    details: {
      kind: action.kind,
      done: outcome.done,
      refused: outcome.refused.map((r) => ({ ticket_id: r.ticketId, code: r.code })),
    },
  })
  return outcome
}

/** The fields of a bulk request, as the API's body and the list's form give them. */
export interface BulkRequest {
  kind: (typeof bulkKinds)[number]
  assigneeId?: number | null
  status?: TicketStatus
  priority?: Priority
  categoryId?: number
  groupId?: number | null
  text?: string
}

/** The action a request asks for, or a `validation` refusal naming what it lacks. */
export function bulkActionOf(request: BulkRequest): BulkAction {
  const lacking = (what: string) => new DomainError('validation', `Для этого действия нужно указать ${what}`)
  switch (request.kind) {
    case 'assign':
      if (request.assigneeId === undefined) throw lacking('исполнителя')
      return { kind: 'assign', assigneeId: request.assigneeId }
    case 'take':
      return { kind: 'take' }
    case 'status':
      if (request.status === undefined) throw lacking('статус')
      return { kind: 'status', status: request.status, text: request.text }
    case 'priority':
      if (request.priority === undefined) throw lacking('приоритет')
      return { kind: 'priority', priority: request.priority }
    case 'category':
      if (request.categoryId === undefined) throw lacking('категорию')
      return { kind: 'category', categoryId: request.categoryId }
    case 'group':
      if (request.groupId === undefined) throw lacking('группу')
      return { kind: 'group', groupId: request.groupId }
    case 'note':
      if (request.text === undefined || request.text.trim() === '') throw lacking('текст заметки')
      return { kind: 'note', text: request.text }
  }
}

async function applyOne(db: Db, actor: Actor, ticketId: number, action: BulkAction): Promise<void> {
  switch (action.kind) {
    case 'assign':
      await assignTicket(db, actor, { ticketId, assigneeId: action.assigneeId })
      return
    case 'take':
      await takeTicket(db, actor, { ticketId })
      return
    case 'status':
      await changeStatus(db, actor, {
        ticketId,
        status: action.status,
        resolution: action.status === 'resolved' ? action.text : undefined,
        reason: action.status === 'cancelled' ? action.text : undefined,
      })
      return
    case 'priority':
      await updateTicket(db, actor, { ticketId, priority: action.priority })
      return
    case 'category':
      await updateTicket(db, actor, { ticketId, categoryId: action.categoryId })
      return
    case 'group':
      await updateTicket(db, actor, { ticketId, groupId: action.groupId })
      return
    case 'note':
      await addMessage(db, actor, { ticketId, body: action.text, internal: true })
      return
  }
}
