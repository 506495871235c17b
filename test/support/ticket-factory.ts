import type {
  AuditRow,
  Db,
  OutboxRow,
  Priority,
  Ticket,
  TicketEvent,
  TicketMessage,
  TicketStatus,
} from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { settingDefaults } from '#src/settings/settings.ts'
import { computeDeadlines } from '#src/tickets/rules.ts'
import { indexNewTicket } from '#src/tickets/ticket-search.ts'
import { buildCategory, buildUser } from './factories.ts'

/**
 * A ticket by direct inserts (no use case, no journal, no outbox), indexed for search. The requester and
 * category are made when not given; deadlines follow the default settings unless overridden.
 */
export interface TicketOverrides {
  status?: TicketStatus
  requesterId?: number
  assigneeId?: number | null
  categoryId?: number | null
  priority?: Priority
  title?: string
  description?: string
  createdAt?: string
  resolvedAt?: string | null
  resolutionDueAt?: string | null
}

let sequence = 0

export async function buildTicket(db: Db, overrides: TicketOverrides = {}): Promise<Ticket> {
  const n = ++sequence
  const requesterId = overrides.requesterId ?? (await buildUser(db)).id
  const categoryId = overrides.categoryId === undefined ? (await buildCategory(db)).id : overrides.categoryId
  const requester = await db
    .selectFrom('users')
    .select(['department_id', 'room'])
    .where('id', '=', requesterId)
    .executeTakeFirstOrThrow()
  const category =
    categoryId === null
      ? null
      : await db.selectFrom('categories').selectAll().where('id', '=', categoryId).executeTakeFirstOrThrow()
  const status = overrides.status ?? 'new'
  const priority = overrides.priority ?? category?.default_priority ?? 'normal'
  const createdAt = overrides.createdAt ?? now()
  const deadlines = computeDeadlines(
    createdAt,
    priority,
    category,
    settingDefaults['tickets.deadlines'],
    settingDefaults['tickets.working_hours'],
  )
  const reached = (statuses: TicketStatus[]) => statuses.includes(status)
  const resolvedAt =
    overrides.resolvedAt !== undefined ? overrides.resolvedAt : reached(['resolved', 'closed']) ? now() : null
  const ticket = await db
    .insertInto('tickets')
    .values({
      title: overrides.title ?? `Тестовая заявка ${n}`,
      description: overrides.description ?? `Описание тестовой заявки ${n}`,
      category_id: categoryId,
      priority,
      status,
      requester_id: requesterId,
      assignee_id: overrides.assigneeId ?? null,
      group_id: category?.default_group_id ?? null,
      department_id: requester.department_id,
      location: requester.room,
      source: 'web',
      created_by: requesterId,
      created_at: createdAt,
      updated_at: createdAt,
      first_response_at: overrides.assigneeId ? createdAt : null,
      resolved_at: resolvedAt,
      closed_at: status === 'closed' ? now() : null,
      cancelled_at: status === 'cancelled' ? now() : null,
      response_due_at: deadlines.responseDueAt,
      resolution_due_at:
        overrides.resolutionDueAt !== undefined ? overrides.resolutionDueAt : deadlines.resolutionDueAt,
      response_breached_at: null,
      resolution_breached_at: null,
      resolution: resolvedAt === null ? null : 'Решено в тесте',
      cancel_reason: status === 'cancelled' ? 'Отменено в тесте' : null,
      rating: null,
      rating_comment: null,
      rated_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  await indexNewTicket(db, ticket)
  return ticket
}

export interface TicketTrail {
  ticket: Ticket | undefined
  events: TicketEvent[]
  messages: TicketMessage[]
  outbox: OutboxRow[]
  /** Journal rows about the ticket, oldest first. */
  audit: AuditRow[]
}

/** Everything a use case may leave behind about one ticket, to assert on or to compare before and after. */
export async function ticketTrail(db: Db, ticketId: number): Promise<TicketTrail> {
  return {
    ticket: await db.selectFrom('tickets').selectAll().where('id', '=', ticketId).executeTakeFirst(),
    events: await db.selectFrom('ticket_events').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute(),
    messages: await db
      .selectFrom('ticket_messages')
      .selectAll()
      .where('ticket_id', '=', ticketId)
      .orderBy('id')
      .execute(),
    outbox: await db.selectFrom('outbox').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute(),
    audit: await db
      .selectFrom('audit_log')
      .selectAll()
      .where('object_type', '=', 'ticket')
      .where('object_id', '=', String(ticketId))
      .orderBy('id')
      .execute(),
  }
}

/** The trail without journaled denials: a refused call must leave exactly this unchanged. */
export function withoutDenials(trail: TicketTrail): TicketTrail {
  return { ...trail, audit: trail.audit.filter((row) => row.result !== 'denied') }
}

/** The denials journaled about a ticket. */
export async function deniedAudit(db: Db, ticketId: number): Promise<AuditRow[]> {
  return (await ticketTrail(db, ticketId)).audit.filter((row) => row.result === 'denied')
}

/**
 * Many plain new tickets of one requester in one insert (not indexed for search): enough rows to pass a
 * list's count cap without a thousand round trips. Their `created_at` steps a second apart, oldest first.
 */
export async function insertTickets(db: Db, count: number, requesterId: number): Promise<void> {
  const start = Date.parse('2026-01-01T00:00:00.000Z')
  const rows = Array.from({ length: count }, (_, i) => {
    const at = new Date(start + i * 1000).toISOString()
    return {
      title: `Массовая заявка ${i + 1}`,
      description: 'Для проверки длинных списков',
      priority: 'normal' as const,
      status: 'new' as const,
      requester_id: requesterId,
      source: 'web' as const,
      created_by: requesterId,
      created_at: at,
      updated_at: at,
    }
  })
  // In chunks: PostgreSQL takes at most 65 535 parameters per statement.
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('tickets')
      .values(rows.slice(i, i + 500))
      .execute()
}
