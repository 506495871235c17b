import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely'
import { dialectOf } from '#src/db/database.ts'
import {
  type Database,
  type Priority,
  type Ticket,
  type TicketStatus,
  type TicketUpdate,
  type Tx,
  ticketStatuses,
} from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import type { Actor } from '#src/users/actor.ts'
import { shownName, shownNameOrNull } from '#src/users/blocking.ts'
import { can } from '#src/users/permissions.ts'
import { finalStatuses, priorityRank, statusRank } from './rules.ts'
import { matchTickets } from './ticket-search.ts'

/** Reads and writes of the `tickets` aggregate shared by the ticket use cases. */

export async function findTicket(db: Tx, id: number): Promise<Ticket | undefined> {
  return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Reads a ticket for a change, locking its row on PostgreSQL so that concurrent changes queue up. */
export async function findTicketForUpdate(tx: Tx, id: number): Promise<Ticket | undefined> {
  const query = tx.selectFrom('tickets').selectAll().where('id', '=', id)
  // SQLite needs no row lock: our transactions begin immediate and hold the write lock.
  return dialectOf(tx) === 'postgres' ? query.forUpdate().executeTakeFirst() : query.executeTakeFirst()
}

/** Writes a change to a ticket and returns the row as it now is. */
export async function saveTicket(tx: Tx, id: number, change: TicketUpdate): Promise<Ticket> {
  return tx.updateTable('tickets').set(change).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export interface TicketEventInput {
  ticketId: number
  actorId: number | null
  kind: string
  from?: string | number | null
  to?: string | number | null
  details?: Record<string, unknown> | null
  at?: string
}

/** Appends one entry to the ticket's timeline. */
export async function recordTicketEvent(tx: Tx, event: TicketEventInput): Promise<void> {
  const text = (value: string | number | null | undefined) =>
    value === undefined || value === null ? null : String(value)
  await tx
    .insertInto('ticket_events')
    .values({
      ticket_id: event.ticketId,
      actor_id: event.actorId,
      kind: event.kind,
      from_value: text(event.from),
      to_value: text(event.to),
      details: event.details ? JSON.stringify(event.details) : null,
      created_at: event.at ?? now(),
    })
    .execute()
}

/** Active IT staff in an active executor group. */
export async function activeGroupStaff(tx: Tx, groupId: number): Promise<number[]> {
  const rows = await tx
    .selectFrom('group_members')
    .innerJoin('users', 'users.id', 'group_members.user_id')
    .innerJoin('executor_groups', 'executor_groups.id', 'group_members.group_id')
    .select('users.id')
    .where('group_members.group_id', '=', groupId)
    .where('executor_groups.active', '=', 1)
    .where('users.status', '=', 'active')
    .where('users.role', 'in', ['executor', 'curator', 'admin'])
    .execute()
  return rows.map((r) => r.id)
}

export const ticketSorts = [
  '-created_at',
  'created_at',
  'updated_at',
  '-updated_at',
  'priority',
  '-priority',
  'id',
  '-id',
  'status',
] as const
export type TicketSort = (typeof ticketSorts)[number]

export interface TicketFilter {
  status?: TicketStatus[]
  /** A top-level category also matches its subcategories. */
  categoryId?: number
  priority?: Priority[]
  assigneeId?: number | 'none'
  requesterId?: number
  departmentId?: number
  groupId?: number
  /** Inclusive lower bound on `created_at` (ISO-8601). */
  createdFrom?: string
  /** Upper bound on `created_at`: a date (`2026-01-31`) includes that whole UTC day, a timestamp is inclusive. */
  createdTo?: string
  /** Full-text search over title, description and messages (internal notes too, for staff). */
  q?: string
  overdue?: boolean
  sort?: TicketSort
  /** 1-based. */
  page?: number
  /** Default 25, at most 200. */
  perPage?: number
}

export interface TicketListItem extends Ticket {
  requester_name: string
  department_name: string | null
  assignee_name: string | null
  category_name: string | null
  /** Open (not resolved, closed or cancelled) and past its resolution deadline. */
  overdue: boolean
}

export const DEFAULT_PER_PAGE = 25
export const MAX_PER_PAGE = 200

/** How many tickets the actor may see match the filter (its page and sort are ignored). */
export async function countTickets(db: Tx, actor: Actor, filter: TicketFilter, at: string = now()): Promise<number> {
  const counted = await db
    .selectFrom('tickets')
    .where((eb) => eb.and(conditions(db, eb, actor, filter, at)))
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow()
  return Number(counted.total)
}

/**
 * One page of tickets the actor may see, with the names a list shows. A requester only ever gets their
 * own tickets, whatever the filter says.
 */
export async function listTickets(
  db: Tx,
  actor: Actor,
  filter: TicketFilter,
): Promise<{ items: TicketListItem[]; total: number }> {
  const at = now()
  const where = (eb: ExpressionBuilder<Database, 'tickets'>) => eb.and(conditions(db, eb, actor, filter, at))
  const perPage = clampInt(filter.perPage, DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
  const pageNumber = clampInt(filter.page, 1, 1, 1_000_000)

  const total = await countTickets(db, actor, filter, at)

  const sort: TicketSort = filter.sort && ticketSorts.includes(filter.sort) ? filter.sort : '-created_at'
  const direction = sort.startsWith('-') ? 'desc' : 'asc'
  const key = {
    priority: rankOf('tickets.priority', priorityRank),
    status: rankOf('tickets.status', statusRank),
    created_at: sql.ref('tickets.created_at'),
    updated_at: sql.ref('tickets.updated_at'),
    id: null,
  }[sort.replace('-', '') as 'priority' | 'status' | 'created_at' | 'updated_at' | 'id']
  // The id breaks ties so that paging is stable.
  const idDirection = sort === 'id' ? 'asc' : 'desc'

  // A deferred join: find the page's ids on the tickets table alone (an index does the filtering and
  // ordering), then join the names for those few rows only, not for every matching ticket.
  let pageIds = db.selectFrom('tickets').where(where).select('tickets.id')
  if (key) pageIds = pageIds.orderBy(key, direction)
  pageIds = pageIds
    .orderBy('tickets.id', idDirection)
    .limit(perPage)
    .offset((pageNumber - 1) * perPage)

  let query = db
    .selectFrom('tickets')
    .where('tickets.id', 'in', pageIds)
    .innerJoin('users as requester', 'requester.id', 'tickets.requester_id')
    .leftJoin('users as assignee', 'assignee.id', 'tickets.assignee_id')
    .leftJoin('departments', 'departments.id', 'tickets.department_id')
    .leftJoin('categories', 'categories.id', 'tickets.category_id')
    .selectAll('tickets')
    .select([
      // A blocked person (ст. 21) is named «Данные заблокированы» in every list and export.
      shownName('requester').as('requester_name'),
      shownNameOrNull('assignee').as('assignee_name'),
      'departments.name as department_name',
      'categories.name as category_name',
    ])
  if (key) query = query.orderBy(key, direction)
  const rows = await query.orderBy('tickets.id', idDirection).execute()

  return {
    items: rows.map((row) => ({ ...row, overdue: isOverdue(row, at) })),
    total,
  }
}

export function isOverdue(ticket: Pick<Ticket, 'status' | 'resolution_due_at'>, at: string = now()): boolean {
  return !finalStatuses.includes(ticket.status) && ticket.resolution_due_at !== null && ticket.resolution_due_at < at
}

function conditions(
  tx: Tx,
  eb: ExpressionBuilder<Database, 'tickets'>,
  actor: Actor,
  filter: TicketFilter,
  at: string,
): Expression<SqlBool>[] {
  const list: Expression<SqlBool>[] = []
  // Without a ticket, `ticket.view` is true only for those who see every ticket.
  if (!can(actor, 'ticket.view')) list.push(eb('tickets.requester_id', '=', actor.id ?? -1))
  if (filter.status && filter.status.length > 0) list.push(eb('tickets.status', 'in', filter.status))
  if (filter.priority && filter.priority.length > 0) list.push(eb('tickets.priority', 'in', filter.priority))
  if (filter.categoryId !== undefined) list.push(inCategory(eb, filter.categoryId))
  if (filter.assigneeId === 'none') list.push(eb('tickets.assignee_id', 'is', null))
  else if (filter.assigneeId !== undefined) list.push(eb('tickets.assignee_id', '=', filter.assigneeId))
  if (filter.requesterId !== undefined) list.push(eb('tickets.requester_id', '=', filter.requesterId))
  if (filter.departmentId !== undefined) list.push(eb('tickets.department_id', '=', filter.departmentId))
  if (filter.groupId !== undefined) list.push(eb('tickets.group_id', '=', filter.groupId))
  if (filter.createdFrom) list.push(eb('tickets.created_at', '>=', filter.createdFrom))
  if (filter.createdTo) {
    const to = filter.createdTo
    list.push(
      /^\d{4}-\d{2}-\d{2}$/.test(to) ? eb('tickets.created_at', '<', nextDay(to)) : eb('tickets.created_at', '<=', to),
    )
  }
  if (filter.overdue !== undefined) {
    const overdue = eb.and([
      // `in` the open statuses rather than `not in` the final ones: an index range per status.
      eb(
        'tickets.status',
        'in',
        ticketStatuses.filter((status) => !finalStatuses.includes(status)),
      ),
      eb('tickets.resolution_due_at', 'is not', null),
      eb('tickets.resolution_due_at', '<', at),
    ])
    list.push(filter.overdue ? overdue : eb.not(overdue))
  }
  if (filter.q !== undefined && filter.q.trim() !== '') {
    const text = matchTickets(tx, eb, filter.q, can(actor, 'ticket.view_internal'))
    const number = /^\s*[№#]?\s*(\d{1,9})\s*$/u.exec(filter.q)?.[1]
    // A bare number also finds the ticket with that number («№ 123»).
    const byNumber = number === undefined ? null : eb('tickets.id', '=', Number(number))
    const either = [text, byNumber].filter((e): e is Expression<SqlBool> => e !== null)
    if (either.length > 0) list.push(eb.or(either))
  }
  return list
}

/** The ticket is in this category or in one of its direct subcategories. */
export function inCategory(eb: ExpressionBuilder<Database, 'tickets'>, categoryId: number): Expression<SqlBool> {
  return eb(
    'tickets.category_id',
    'in',
    eb
      .selectFrom('categories')
      .select('categories.id')
      .where((c) => c.or([c('categories.id', '=', categoryId), c('categories.parent_id', '=', categoryId)])),
  )
}

function rankOf<K extends string>(column: 'tickets.priority' | 'tickets.status', ranks: Record<K, number>) {
  const cases = Object.entries<number>(ranks).map(([value, rank]) => sql`when ${sql.lit(value)} then ${sql.lit(rank)}`)
  return sql<number>`case ${sql.ref(column)} ${sql.join(cases, sql` `)} end`
}

function nextDay(date: string): string {
  const parsed = Date.parse(`${date}T00:00:00.000Z`)
  return Number.isNaN(parsed) ? date : new Date(parsed + 86_400_000).toISOString()
}

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback
  return Math.min(max, Math.max(min, Math.trunc(value)))
}
