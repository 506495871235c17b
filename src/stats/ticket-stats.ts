import type { Expression, ExpressionBuilder, SqlBool } from 'kysely'
import { readsInTurns } from '#src/db/reads-in-turns.ts'
import type { Database, TicketStatus, Tx } from '#src/db/schema.ts'
import { ticketStatuses } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { FIRST_YEAR, LAST_YEAR, parseDay } from '#src/format/zone-days.ts'
import { inCategory } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { bucketOf, bucketsBetween, type Granularity, localDay, type Period } from './period.ts'

/**
 * «Статистика и отчёты» (PRODUCT.md §5): the tickets created in a period — by status, category,
 * department and executor; times to first response and to resolution (median, 90th percentile); the
 * share that met their deadlines; the rating; and a trend of created and resolved tickets.
 *
 * Counts are grouped in SQL over an indexed range of `created_at`. Percentiles need the values
 * themselves: one query selects the time columns of the period's tickets (the period bounds it) and
 * JavaScript sorts them, which reads the same on SQLite and PostgreSQL.
 */

export interface StatsFilter {
  departmentId?: number
  /** A top-level category also takes its subcategories. */
  categoryId?: number
  groupId?: number
}

export interface StatsInput extends StatsFilter {
  period: Period
  granularity: Granularity
  /** The display time zone: trend buckets are local days, weeks and months. */
  tz: string
}

/** One row of a breakdown: what (`id` null = «не указано» / «не назначена»), its name and count. */
export interface Breakdown {
  id: number | null
  name: string | null
  count: number
}

export interface ExecutorRow extends Breakdown {
  resolved: number
  averageRating: number | null
}

/** Durations in minutes. */
export interface Durations {
  count: number
  median: number | null
  p90: number | null
}

/** A deadline's outcome among the tickets whose outcome is known (met, or missed). */
export interface DeadlineShare {
  met: number
  missed: number
  /** met / (met + missed), null when nothing is decided yet. */
  share: number | null
}

export interface TrendPoint {
  /** The first local day of the bucket, `YYYY-MM-DD`. */
  start: string
  created: number
  resolved: number
}

export interface TicketStats {
  period: Period
  granularity: Granularity
  /** The executor's own numbers only (their report scope), or everyone's. */
  ownOnly: boolean
  total: number
  byStatus: Record<TicketStatus, number>
  byCategory: Breakdown[]
  byDepartment: Breakdown[]
  byExecutor: ExecutorRow[]
  firstResponse: Durations
  resolution: Durations
  responseDeadline: DeadlineShare
  resolutionDeadline: DeadlineShare
  rating: { average: number | null; count: number }
  trend: TrendPoint[]
}

/** The longest period a report covers (a daily trend over it is still a readable chart). */
export const MAX_PERIOD_DAYS = 732

/**
 * The report for an actor: curators and admins see every ticket, an executor only those assigned to
 * them (PRODUCT.md §1 «own numbers»); a requester has no reports (not_found, as for a page they may not
 * know exists).
 */
export async function ticketStats(db: Tx, actor: Actor, input: StatsInput): Promise<TicketStats> {
  const all = can(actor, 'report.view_all')
  if (!all && !can(actor, 'report.view_own')) throw new DomainError('not_found', 'Страница не найдена')
  const { from, to } = input.period
  const [start, end] = [Date.parse(from), Date.parse(to)]
  // NaN compares false: bounds that are not instants are refused with the backwards ones, before any day math.
  // MAX_PERIOD_DAYS local days may be an hour longer across a daylight-saving change.
  const inYears = (instant: number) => parseDay(localDay(instant, input.tz)) !== null
  const longest = MAX_PERIOD_DAYS * 86_400_000 + 3_600_000
  if (!(start < end) || end - start > longest || !inYears(start) || !inYears(end - 1)) {
    throw new DomainError(
      'validation',
      `Период отчёта — от одного дня до ${MAX_PERIOD_DAYS} дней в ${FIRST_YEAR}–${LAST_YEAR} годах`,
    )
  }
  const assigneeId = all ? undefined : (actor.id ?? -1)
  const scope = (eb: ExpressionBuilder<Database, 'tickets'>) => eb.and(scopeConditions(eb, input, assigneeId))

  const at = now()
  const [statusRows, categoryRows, departmentRows, executorRows, outcomes, times, resolvedTimes] = await readsInTurns(
    db,
    [
      () =>
        db
          .selectFrom('tickets')
          .where(scope)
          .select((eb) => ['tickets.status', eb.fn.countAll<number>().as('count')])
          .groupBy('tickets.status')
          .execute(),
      () =>
        db
          .selectFrom('tickets')
          .leftJoin('categories', 'categories.id', 'tickets.category_id')
          .where(scope)
          .select((eb) => [
            'tickets.category_id as id',
            'categories.name as name',
            eb.fn.countAll<number>().as('count'),
          ])
          .groupBy(['tickets.category_id', 'categories.name'])
          .execute(),
      () =>
        db
          .selectFrom('tickets')
          .leftJoin('departments', 'departments.id', 'tickets.department_id')
          .where(scope)
          .select((eb) => [
            'tickets.department_id as id',
            'departments.name as name',
            eb.fn.countAll<number>().as('count'),
          ])
          .groupBy(['tickets.department_id', 'departments.name'])
          .execute(),
      () =>
        db
          .selectFrom('tickets')
          .leftJoin('users', 'users.id', 'tickets.assignee_id')
          .where(scope)
          .select((eb) => [
            'tickets.assignee_id as id',
            'users.full_name as name',
            eb.fn.countAll<number>().as('count'),
            eb.fn.count<number>('tickets.resolved_at').as('resolved'),
            eb.fn.avg<number | string | null>('tickets.rating').as('rating'),
          ])
          .groupBy(['tickets.assignee_id', 'users.full_name'])
          .execute(),
      () =>
        db
          .selectFrom('tickets')
          .where(scope)
          .select((eb) => [
            ...deadlineSums(eb, 'response', at),
            ...deadlineSums(eb, 'resolution', at),
            eb.fn.avg<number | string | null>('tickets.rating').as('rating'),
            eb.fn.count<number>('tickets.rating').as('ratings'),
          ])
          .executeTakeFirstOrThrow(),
      // Only what the percentiles and the trend need: each column read costs on a year of tickets.
      () =>
        db
          .selectFrom('tickets')
          .where(scope)
          .select(['tickets.created_at', 'tickets.first_response_at', 'tickets.resolved_at'])
          .execute(),
      // The trend's «resolved» counts what was resolved in the period, whenever it was created.
      () =>
        db
          .selectFrom('tickets')
          .where((eb) =>
            eb.and([
              ...scopeConditions(eb, input, assigneeId, false),
              eb('tickets.resolved_at', '>=', from),
              eb('tickets.resolved_at', '<', to),
            ]),
          )
          .select('tickets.resolved_at')
          .execute(),
    ],
  )

  const byStatus = Object.fromEntries(ticketStatuses.map((s) => [s, 0])) as Record<TicketStatus, number>
  for (const row of statusRows) byStatus[row.status] = Number(row.count)
  return {
    period: input.period,
    granularity: input.granularity,
    ownOnly: !all,
    total: times.length,
    byStatus,
    byCategory: sortBreakdown(categoryRows.map(breakdown)),
    byDepartment: sortBreakdown(departmentRows.map(breakdown)),
    byExecutor: sortBreakdown(
      executorRows.map((row) => ({
        ...breakdown(row),
        resolved: Number(row.resolved),
        averageRating: row.rating === null ? null : round(Number(row.rating), 2),
      })),
    ),
    firstResponse: durations(times.map((t) => minutesBetween(t.created_at, t.first_response_at))),
    resolution: durations(times.map((t) => minutesBetween(t.created_at, t.resolved_at))),
    responseDeadline: deadlineShare(Number(outcomes.response_met ?? 0), Number(outcomes.response_missed ?? 0)),
    resolutionDeadline: deadlineShare(Number(outcomes.resolution_met ?? 0), Number(outcomes.resolution_missed ?? 0)),
    rating: {
      average: outcomes.rating === null ? null : round(Number(outcomes.rating), 2),
      count: Number(outcomes.ratings),
    },
    trend: trend(
      input,
      times.map((t) => t.created_at),
      resolvedTimes.flatMap((t) => (t.resolved_at === null ? [] : [t.resolved_at])),
    ),
  }
}

function scopeConditions(
  eb: ExpressionBuilder<Database, 'tickets'>,
  input: StatsInput,
  assigneeId: number | undefined,
  byCreation = true,
): Expression<SqlBool>[] {
  const conditions: Expression<SqlBool>[] = []
  if (byCreation) {
    conditions.push(eb('tickets.created_at', '>=', input.period.from))
    conditions.push(eb('tickets.created_at', '<', input.period.to))
  }
  if (assigneeId !== undefined) conditions.push(eb('tickets.assignee_id', '=', assigneeId))
  if (input.departmentId !== undefined) conditions.push(eb('tickets.department_id', '=', input.departmentId))
  if (input.groupId !== undefined) conditions.push(eb('tickets.group_id', '=', input.groupId))
  if (input.categoryId !== undefined) conditions.push(inCategory(eb, input.categoryId))
  return conditions
}

function breakdown(row: { id: number | null; name: string | null; count: number | string }): Breakdown {
  return { id: row.id, name: row.name, count: Number(row.count) }
}

/** Largest first; ties by name, «не указано» last, so that the order is the same on both databases. */
function sortBreakdown<T extends Breakdown>(rows: T[]): T[] {
  const byName = (a: T, b: T) =>
    a.name === null || b.name === null
      ? Number(a.name === null) - Number(b.name === null)
      : a.name.localeCompare(b.name, 'ru')
  return rows.sort((a, b) => b.count - a.count || byName(a, b))
}

function minutesBetween(start: string, end: string | null): number | null {
  return end === null ? null : (Date.parse(end) - Date.parse(start)) / 60_000
}

/** Median and 90th percentile, interpolated between the nearest ranks (as Excel's PERCENTILE.INC). */
export function durations(values: ReadonlyArray<number | null>): Durations {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b)
  if (sorted.length === 0) return { count: 0, median: null, p90: null }
  return { count: sorted.length, median: round(percentile(sorted, 0.5), 1), p90: round(percentile(sorted, 0.9), 1) }
}

export function percentile(sorted: readonly number[], p: number): number {
  const rank = (sorted.length - 1) * p
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  const lowValue = sorted[low] ?? 0
  return lowValue + ((sorted[high] ?? lowValue) - lowValue) * (rank - low)
}

const deadlineColumns = {
  response: {
    done: 'tickets.first_response_at',
    due: 'tickets.response_due_at',
    breached: 'tickets.response_breached_at',
  },
  resolution: {
    done: 'tickets.resolved_at',
    due: 'tickets.resolution_due_at',
    breached: 'tickets.resolution_breached_at',
  },
} as const

/**
 * Counts of a deadline met and missed, in SQL (ISO times compare as text on both engines). Met: done by
 * the deadline and never marked breached. Missed: marked breached, done late, or still not done after the
 * deadline. A cancelled ticket that was not breached, or one still in time, has no outcome yet.
 */
function deadlineSums<K extends keyof typeof deadlineColumns>(
  eb: ExpressionBuilder<Database, 'tickets'>,
  kind: K,
  at: string,
) {
  const { done, due, breached } = deadlineColumns[kind]
  const met = eb.and([
    eb(due, 'is not', null),
    eb(breached, 'is', null),
    eb(done, 'is not', null),
    eb(done, '<=', eb.ref(due)),
  ])
  const missed = eb.and([
    eb(due, 'is not', null),
    eb.or([
      eb(breached, 'is not', null),
      eb(done, '>', eb.ref(due)),
      eb.and([eb(done, 'is', null), eb('tickets.status', '<>', 'cancelled'), eb(due, '<', at)]),
    ]),
  ])
  const sumOf = (condition: Expression<SqlBool>) =>
    eb.fn.sum<number | string | null>(eb.case().when(condition).then(1).else(0).end())
  return [sumOf(met).as(`${kind}_met`), sumOf(missed).as(`${kind}_missed`)] as const
}

function deadlineShare(met: number, missed: number): DeadlineShare {
  return { met, missed, share: met + missed === 0 ? null : round(met / (met + missed), 4) }
}

function trend(input: StatsInput, created: string[], resolved: string[]): TrendPoint[] {
  const { period, granularity, tz } = input
  const lastInstant = new Date(Date.parse(period.to) - 1).toISOString()
  const points = new Map<string, TrendPoint>(
    bucketsBetween(localDay(period.from, tz), localDay(lastInstant, tz), granularity).map((start) => [
      start,
      { start, created: 0, resolved: 0 },
    ]),
  )
  const bucket = (iso: string) => points.get(bucketOf(localDay(iso, tz), granularity))
  for (const iso of created) {
    const point = bucket(iso)
    if (point) point.created++
  }
  for (const iso of resolved) {
    const point = bucket(iso)
    if (point) point.resolved++
  }
  return [...points.values()]
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
