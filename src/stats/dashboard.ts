import { type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely'
import type { Database, Db, Priority, TicketStatus, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { type OnDutyGroup, whoIsOnDuty } from '#src/duty/on-duty.ts'
import { DomainError } from '#src/errors.ts'
import { memberGroupIds } from '#src/groups/group-store.ts'
import { listOutageRows, type OutageRow } from '#src/outages/outage-store.ts'
import { finalStatuses, isStaff, priorityRank } from '#src/tickets/rules.ts'
import { answeredFor } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { shownName, shownNameOrNull } from '#src/users/blocking.ts'

/**
 * The staff home page (issue 4, page 11): my open tickets, the unassigned ones in my groups, the overdue
 * ones in my scope, and what changed on tickets I am involved in since my previous visit. A few indexed
 * queries, each list cut at `limit` with its total so that the page links to the full list.
 */

export const openStatuses: readonly TicketStatus[] = ['new', 'in_progress', 'waiting']

/** Views of the dashboard closer together than this are one visit: a reload keeps «what changed». */
export const VISIT_GAP_MINUTES = 30
/** On a first visit «what changed» looks back this far. */
const FIRST_VISIT_LOOKBACK_HOURS = 24

export interface DashboardTicket {
  id: number
  title: string
  status: TicketStatus
  priority: Priority
  created_at: string
  resolution_due_at: string | null
  requester_name: string
  assignee_name: string | null
}

export interface DashboardList {
  items: DashboardTicket[]
  total: number
}

export interface DashboardChange {
  id: number
  ticket_id: number
  ticket_title: string
  kind: string
  from_value: string | null
  to_value: string | null
  created_at: string
  actor_name: string | null
}

export interface Dashboard {
  mine: DashboardList
  unassigned: DashboardList
  overdue: DashboardList
  /** Newest first, at most `limit`; `moreChanges` when there were more. */
  changes: DashboardChange[]
  moreChanges: boolean
  /** Where «what changed» starts. */
  since: string
  firstVisit: boolean
  /** The executor groups the person belongs to. */
  groupIds: number[]
  /** Curators and admins see every overdue ticket; an executor those assigned to them or unassigned in their groups. */
  overdueOfAll: boolean
  /** Open outages («Массовый сбой», issue 14), newest first: shown at the top. */
  outages: OutageRow[]
  /** «Кто дежурит сейчас» (src/duty, issue 14): per group, names and roles. */
  onDuty: OnDutyGroup[]
}

/** Opens the dashboard for a staff member and records the visit. A requester has no dashboard. */
export async function openDashboard(
  db: Db,
  actor: Actor,
  options: { limit?: number; reads?: Db } = {},
): Promise<Dashboard> {
  const me = actor.id
  if (me === null || !isStaff(actor) || actor.status !== 'active') {
    throw new DomainError('not_found', 'Страница не найдена')
  }
  const limit = options.limit ?? 10
  const at = now()
  const { since, firstVisit } = await transact(db, (tx) => recordVisit(tx, me, at))
  // The lists are read off the event loop where the server has a read handle (read-only.ts: threads on SQLite).
  const reads = options.reads ?? db
  const groupIds = await memberGroupIds(reads, me)
  const overdueOfAll = actor.role === 'curator' || actor.role === 'admin'
  const inMyGroups = (eb: ExpressionBuilder<Database, 'tickets'>) =>
    groupIds.length > 0 ? eb('tickets.group_id', 'in', groupIds) : sql<SqlBool>`1 = 0`

  const [mine, unassigned, overdue, changes] = await Promise.all([
    ticketList(reads, limit, 'priority', (eb) =>
      eb.and([eb('tickets.assignee_id', '=', me), eb('tickets.status', 'in', openStatuses)]),
    ),
    // Without groups (a curator who leads them all) every unassigned ticket is theirs to see.
    ticketList(reads, limit, 'priority', (eb) =>
      eb.and([
        eb('tickets.assignee_id', 'is', null),
        eb('tickets.status', 'in', openStatuses),
        ...(groupIds.length > 0 ? [inMyGroups(eb)] : []),
      ]),
    ),
    ticketList(reads, limit, 'deadline', (eb) =>
      eb.and([
        eb('tickets.status', 'in', openStatuses),
        eb('tickets.resolution_due_at', '<', at),
        // The list's `scope=mine`, which the block links to: the same tickets, the same count.
        ...(overdueOfAll ? [] : [answeredFor(eb, me, groupIds)]),
      ]),
    ),
    changesSince(reads, me, groupIds, since, limit + 1),
  ])
  return {
    mine,
    unassigned,
    overdue,
    changes: changes.slice(0, limit),
    moreChanges: changes.length > limit,
    since,
    firstVisit,
    groupIds,
    overdueOfAll,
    outages: await listOutageRows(reads, { openOnly: true, limit: 20 }),
    onDuty: await whoIsOnDuty(reads),
  }
}

/**
 * Moves the person's visit mark and tells where «what changed» starts: the end of their previous visit
 * (views within VISIT_GAP_MINUTES of each other are one visit), or a day back on the first one.
 */
async function recordVisit(db: Tx, userId: number, at: string): Promise<{ since: string; firstVisit: boolean }> {
  const mark = await db.selectFrom('dashboard_visits').selectAll().where('user_id', '=', userId).executeTakeFirst()
  const newVisit = mark !== undefined && Date.parse(at) - Date.parse(mark.seen_at) > VISIT_GAP_MINUTES * 60_000
  const previous = newVisit ? (mark?.seen_at ?? null) : (mark?.previous_seen_at ?? null)
  await db
    .insertInto('dashboard_visits')
    .values({ user_id: userId, seen_at: at, previous_seen_at: previous })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ seen_at: at, previous_seen_at: previous }))
    .execute()
  if (previous !== null) return { since: previous, firstVisit: false }
  const lookback = new Date(Date.parse(at) - FIRST_VISIT_LOOKBACK_HOURS * 3_600_000).toISOString()
  return { since: lookback, firstVisit: true }
}

async function ticketList(
  db: Tx,
  limit: number,
  order: 'priority' | 'deadline',
  where: (eb: ExpressionBuilder<Database, 'tickets'>) => Expression<SqlBool>,
): Promise<DashboardList> {
  const ordered = <O>(query: SelectQueryBuilder<Database, 'tickets', O>) =>
    (order === 'deadline'
      ? query.orderBy('tickets.resolution_due_at', 'asc')
      : query.orderBy(priorityOrder(), 'desc').orderBy('tickets.created_at', 'asc')
    ).orderBy('tickets.id', 'asc')
  // A deferred join: the page's ids on the tickets table alone (the overdue ones from the index alone, 0039),
  // then the names for those few rows, not for every match before the sort (140 ms at a million tickets).
  const page = ordered(db.selectFrom('tickets').where(where).select('tickets.id')).limit(limit)
  const listed = db
    .selectFrom('tickets')
    .innerJoin('users as requester', 'requester.id', 'tickets.requester_id')
    .leftJoin('users as assignee', 'assignee.id', 'tickets.assignee_id')
    .where('tickets.id', 'in', page)
    .select([
      'tickets.id',
      'tickets.title',
      'tickets.status',
      'tickets.priority',
      'tickets.created_at',
      'tickets.resolution_due_at',
      shownName('requester').as('requester_name'),
      shownNameOrNull('assignee').as('assignee_name'),
    ])
  // The count and the page do not depend on each other: one round trip's wait, not two.
  const [counted, items] = await Promise.all([
    db
      .selectFrom('tickets')
      .where(where)
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .executeTakeFirstOrThrow(),
    ordered(listed).execute(),
  ])
  return { items, total: Number(counted.total) }
}

function priorityOrder() {
  const cases = Object.entries(priorityRank).map(([p, rank]) => sql`when ${sql.lit(p)} then ${sql.lit(rank)}`)
  return sql<number>`case ${sql.ref('tickets.priority')} ${sql.join(cases, sql` `)} end`
}

/** Events by others on tickets I filed, hold, or that belong to my groups, newest first. */
async function changesSince(
  db: Tx,
  me: number,
  groupIds: number[],
  since: string,
  limit: number,
): Promise<DashboardChange[]> {
  return (
    db
      .selectFrom('ticket_events')
      .innerJoin('tickets', 'tickets.id', 'ticket_events.ticket_id')
      .leftJoin('users', 'users.id', 'ticket_events.actor_id')
      .where('ticket_events.created_at', '>', since)
      .where((eb) => eb.or([eb('ticket_events.actor_id', 'is', null), eb('ticket_events.actor_id', '<>', me)]))
      // Walk the events newest first by their time index and keep those on my tickets: the period since my
      // last visit bounds the walk. coalesce() keeps the planner from starting at the tickets of a large
      // group instead (every event of thousands of tickets, then a sort), on both engines.
      .where((eb) =>
        eb.or([
          eb(eb.fn.coalesce('tickets.requester_id', sql.lit(0)), '=', me),
          eb(eb.fn.coalesce('tickets.assignee_id', sql.lit(0)), '=', me),
          ...(groupIds.length > 0 ? [eb(eb.fn.coalesce('tickets.group_id', sql.lit(0)), 'in', groupIds)] : []),
        ]),
      )
      .select([
        'ticket_events.id',
        'ticket_events.ticket_id',
        'tickets.title as ticket_title',
        'ticket_events.kind',
        'ticket_events.from_value',
        'ticket_events.to_value',
        'ticket_events.created_at',
        shownNameOrNull('users').as('actor_name'),
      ])
      .orderBy('ticket_events.created_at', 'desc')
      .orderBy('ticket_events.id', 'desc')
      .limit(limit)
      .execute()
  )
}

/** Is a ticket of the dashboard past its resolution deadline? */
export function overdueAt(ticket: Pick<DashboardTicket, 'status' | 'resolution_due_at'>, at: string): boolean {
  return !finalStatuses.includes(ticket.status) && ticket.resolution_due_at !== null && ticket.resolution_due_at < at
}
