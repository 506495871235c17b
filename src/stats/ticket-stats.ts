import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely'
import { readsInTurns } from '#src/db/reads-in-turns.ts'
import type { Database, TicketStatus, Tx } from '#src/db/schema.ts'
import { ticketStatuses } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { FIRST_YEAR, LAST_YEAR, localDay, parseDay } from '#src/format/zone-days.ts'
import { categoryFamily, inCategory } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { readSummary, type SummaryFilter, splitPeriod } from './daily-summary.ts'
import { addToHistogram, type Histogram, histogramCount, histogramPercentile } from './duration-buckets.ts'
import { bucketOf, bucketsBetween, type Granularity, type Period } from './period.ts'

/**
 * «Статистика и отчёты» (PRODUCT.md §5): the tickets created in a period — by status, category,
 * department and executor; times to first response and to resolution (median, 90th percentile); the
 * share that met their deadlines; the rating; and a trend of created and resolved tickets.
 *
 * In a hospital-wide report, and in one filtered by a single dimension (a department, a category, a group, or an
 * executor's own), whole past days the daily summary holds come from it (daily-summary.ts: per-day aggregates and
 * duration histograms). The rest — today, days not summarised yet or made stale by a ticket change, and the whole
 * of a report filtered by two dimensions — is read live: counts grouped in SQL over
 * indexed ranges of `created_at`, and the time columns of those tickets for the percentiles and the trend.
 * Counts are exact either way; a percentile is exact when the period is all live, and from the histograms
 * (within BUCKET_RELATIVE_ERROR, about 10 %) once summarised days take part.
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
  const at = now()
  const family = input.categoryId === undefined ? undefined : await categoryFamily(db, input.categoryId)
  const scope = summaryScope(input, assigneeId, family)
  const { summary: runs, live: ranges } = scope
    ? await splitPeriod(db, input.period, input.tz)
    : { summary: [], live: [input.period] }
  const live = ranges.length > 0 ? await liveStats(db, input, assigneeId, family, ranges, at) : undefined
  const summary = scope && runs.length > 0 ? await readSummary(db, runs, scope.filter) : undefined

  const byStatus = Object.fromEntries(ticketStatuses.map((s) => [s, 0])) as Record<TicketStatus, number>
  for (const row of live?.statusRows ?? []) byStatus[row.status] += Number(row.count)
  for (const s of ticketStatuses) byStatus[s] += summary?.byStatus[s] ?? 0
  const executors = mergeById(
    [
      ...(live?.executorRows ?? []).map((row) => ({
        ...counted(row),
        resolved: Number(row.resolved),
        ratingSum: Number(row.rating_sum ?? 0),
        ratingCount: Number(row.ratings),
      })),
      ...(summary?.byExecutor ?? []),
    ],
    (into, from) => {
      into.count += from.count
      into.resolved += from.resolved
      into.ratingSum += from.ratingSum
      into.ratingCount += from.ratingCount
    },
  )
  const categories = mergeById([...(live?.categoryRows ?? []).map(counted), ...(summary?.byCategory ?? [])])
  const departments = mergeById([...(live?.departmentRows ?? []).map(counted), ...(summary?.byDepartment ?? [])])
  const names = await nameRows(db, { categories, departments, executors })
  const outcomes = live?.outcomes
  const ratingSum = Number(outcomes?.rating_sum ?? 0) + (summary?.ratingSum ?? 0)
  const ratingCount = Number(outcomes?.ratings ?? 0) + (summary?.ratingCount ?? 0)
  const times = live?.times ?? []
  const firstResponses = times.map((t) => minutesBetween(t.created_at, t.first_response_at))
  const resolutions = times.map((t) => minutesBetween(t.created_at, t.resolved_at))
  return {
    period: input.period,
    granularity: input.granularity,
    ownOnly: !all,
    total: times.length + (summary?.days.reduce((sum, d) => sum + d.created, 0) ?? 0),
    byStatus,
    byCategory: sortBreakdown(categories.map((row) => ({ ...row, name: names.categories.get(row.id) ?? null }))),
    byDepartment: sortBreakdown(departments.map((row) => ({ ...row, name: names.departments.get(row.id) ?? null }))),
    byExecutor: sortBreakdown(
      executors.map(({ ratingSum, ratingCount, ...row }) => ({
        ...row,
        name: names.people.get(row.id) ?? null,
        averageRating: ratingCount === 0 ? null : round(ratingSum / ratingCount, 2),
      })),
    ),
    // Exact over tickets; from the summary's histograms (within BUCKET_RELATIVE_ERROR) once it takes part.
    firstResponse: summary ? bucketDurations(summary.response, firstResponses) : durations(firstResponses),
    resolution: summary ? bucketDurations(summary.resolution, resolutions) : durations(resolutions),
    responseDeadline: deadlineShare(
      Number(outcomes?.response_met ?? 0) + (summary?.responseMet ?? 0),
      Number(outcomes?.response_missed ?? 0) + (summary?.responseMissed ?? 0),
    ),
    resolutionDeadline: deadlineShare(
      Number(outcomes?.resolution_met ?? 0) + (summary?.resolutionMet ?? 0),
      Number(outcomes?.resolution_missed ?? 0) + (summary?.resolutionMissed ?? 0),
    ),
    rating: { average: ratingCount === 0 ? null : round(ratingSum / ratingCount, 2), count: ratingCount },
    trend: trend(
      input,
      times.map((t) => t.created_at),
      (live?.resolvedTimes ?? []).flatMap((t) => (t.resolved_at === null ? [] : [t.resolved_at])),
      summary?.days ?? [],
    ),
  }
}

/**
 * What the daily summary answers of a report: everyone's tickets (no filter), or those of one dimension's values
 * (a department, a category with its subcategories, a group, an executor's own); null for a report filtered by
 * two or more, which is read live.
 */
function summaryScope(
  input: StatsInput,
  assigneeId: number | undefined,
  family: readonly number[] | undefined,
): { filter?: SummaryFilter } | null {
  const filters: SummaryFilter[] = [
    ...(assigneeId === undefined ? [] : [{ dimension: 'assignee' as const, ids: [assigneeId] }]),
    ...(input.departmentId === undefined ? [] : [{ dimension: 'department' as const, ids: [input.departmentId] }]),
    ...(input.groupId === undefined ? [] : [{ dimension: 'group' as const, ids: [input.groupId] }]),
    ...(family === undefined ? [] : [{ dimension: 'category' as const, ids: family }]),
  ]
  if (filters.length > 1) return null
  return filters[0] ? { filter: filters[0] } : {}
}

/** The report's figures over the live ranges (everything the summary does not answer for), in SQL. */
async function liveStats(
  db: Tx,
  input: StatsInput,
  assigneeId: number | undefined,
  family: readonly number[] | undefined,
  ranges: readonly Period[],
  at: string,
) {
  const scope = (eb: ExpressionBuilder<Database, 'tickets'>) =>
    eb.and([...scopeConditions(eb, input, assigneeId, family), inRanges(eb, 'tickets.created_at', ranges)])
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
      // By id only: the rows are named once, with the summary's (`nameRows`).
      () =>
        db
          .selectFrom('tickets')
          .where(scope)
          .select((eb) => ['tickets.category_id as id', eb.fn.countAll<number>().as('count')])
          .groupBy('tickets.category_id')
          .execute(),
      () =>
        db
          .selectFrom('tickets')
          .where(scope)
          .select((eb) => ['tickets.department_id as id', eb.fn.countAll<number>().as('count')])
          .groupBy('tickets.department_id')
          .execute(),
      () =>
        db
          .selectFrom('tickets')
          .where(scope)
          .select((eb) => [
            'tickets.assignee_id as id',
            eb.fn.countAll<number>().as('count'),
            eb.fn.count<number>('tickets.resolved_at').as('resolved'),
            eb.fn.sum<number | string | null>('tickets.rating').as('rating_sum'),
            eb.fn.count<number>('tickets.rating').as('ratings'),
          ])
          .groupBy('tickets.assignee_id')
          .execute(),
      () =>
        db
          .selectFrom('tickets')
          .where(scope)
          .select((eb) => [
            ...deadlineSums(eb, 'response', at),
            ...deadlineSums(eb, 'resolution', at),
            eb.fn.sum<number | string | null>('tickets.rating').as('rating_sum'),
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
      // The trend's «resolved» counts what was resolved in the period, whenever it was created. Over the few days
      // the summary leaves live the `resolved_at` index finds them: SQLite, without statistics, took the filter's
      // index instead and read every ticket of the department (140 ms at a million) or the category (700 ms).
      () =>
        db
          .selectFrom('tickets')
          .where((eb) =>
            eb.and([
              ...scopeConditions(eb, input, assigneeId, family, spanDays(ranges) > SHORT_SPAN_DAYS),
              inRanges(eb, 'tickets.resolved_at', ranges),
            ]),
          )
          .select('tickets.resolved_at')
          .execute(),
    ],
  )
  return { statusRows, categoryRows, departmentRows, executorRows, outcomes, times, resolvedTimes }
}

function inRanges(
  eb: ExpressionBuilder<Database, 'tickets'>,
  column: 'tickets.created_at' | 'tickets.resolved_at',
  ranges: readonly Period[],
): Expression<SqlBool> {
  return eb.or(ranges.map((r) => eb.and([eb(column, '>=', r.from), eb(column, '<', r.to)])))
}

/** A breakdown's row before it is named. */
type Counted = Omit<Breakdown, 'name'>

/** Rows of the live part and of the summary for the same id added up; those that count nothing dropped. */
function mergeById<T extends Counted>(rows: readonly T[], add: (into: T, from: T) => void = addCount): T[] {
  const merged = new Map<number | null, T>()
  for (const row of rows) {
    const seen = merged.get(row.id)
    if (seen) add(seen, row)
    else merged.set(row.id, { ...row })
  }
  return [...merged.values()].filter((row) => row.count > 0)
}

function addCount(into: Counted, from: Counted): void {
  into.count += from.count
}

/**
 * The names of a report's rows, read once for the live part and the summary together (grouped by id first: a
 * name joined to every ticket or summary row was looked up once a row).
 */
async function nameRows(
  db: Tx,
  rows: { categories: readonly Counted[]; departments: readonly Counted[]; executors: readonly Counted[] },
) {
  const ids = (list: readonly Counted[]) => list.flatMap((row) => (row.id === null ? [] : [row.id]))
  const [categories, departments, people] = await readsInTurns(db, [
    () => namesOf(db, 'categories', 'name', ids(rows.categories)),
    () => namesOf(db, 'departments', 'name', ids(rows.departments)),
    () => namesOf(db, 'users', 'full_name', ids(rows.executors)),
  ])
  return { categories, departments, people }
}

async function namesOf(
  db: Tx,
  table: 'categories' | 'departments' | 'users',
  column: 'name' | 'full_name',
  ids: readonly number[],
): Promise<Map<number | null, string>> {
  if (ids.length === 0) return new Map()
  const found = await db
    .selectFrom(table)
    .select(['id', sql.ref<string>(column).as('name')])
    .where('id', 'in', ids)
    .execute()
  return new Map(found.map((row) => [row.id, row.name]))
}

/** Live ranges up to this long (today, a few stale days) are read by their time index, not by a filter's. */
const SHORT_SPAN_DAYS = 7

function spanDays(ranges: readonly Period[]): number {
  return ranges.reduce((sum, r) => sum + (Date.parse(r.to) - Date.parse(r.from)), 0) / 86_400_000
}

/**
 * The report's filters as conditions on `tickets`. With `byIndex` false each compares the column as an
 * expression (`+column`, the same value in both engines), which no index serves: the query is then driven by
 * its time range's index.
 */
function scopeConditions(
  eb: ExpressionBuilder<Database, 'tickets'>,
  input: StatsInput,
  assigneeId: number | undefined,
  family: readonly number[] | undefined,
  byIndex = true,
): Expression<SqlBool>[] {
  const column = (name: 'assignee_id' | 'department_id' | 'group_id' | 'category_id') =>
    byIndex ? sql.ref<number | null>(`tickets.${name}`) : sql<number | null>`+${sql.ref(`tickets.${name}`)}`
  const conditions: Expression<SqlBool>[] = []
  if (assigneeId !== undefined) conditions.push(eb(column('assignee_id'), '=', assigneeId))
  if (input.departmentId !== undefined) conditions.push(eb(column('department_id'), '=', input.departmentId))
  if (input.groupId !== undefined) conditions.push(eb(column('group_id'), '=', input.groupId))
  if (family !== undefined) conditions.push(byIndex ? inCategory(eb, family) : eb(column('category_id'), 'in', family))
  return conditions
}

function counted(row: { id: number | null; count: number | string }): Counted {
  return { id: row.id, count: Number(row.count) }
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

/** Durations from the summary's histogram and the live values bucketed alike (within BUCKET_RELATIVE_ERROR). */
function bucketDurations(histogram: Histogram, live: ReadonlyArray<number | null>): Durations {
  const all = [...histogram]
  for (const value of live) if (value !== null) addToHistogram(all, value)
  const median = histogramPercentile(all, 0.5)
  const p90 = histogramPercentile(all, 0.9)
  if (median === null || p90 === null) return { count: 0, median: null, p90: null }
  return { count: histogramCount(all), median: round(median, 1), p90: round(p90, 1) }
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
 * deadline. A cancelled ticket or a merged duplicate (nothing owed on either) that was not breached, or one
 * still in time, has no outcome.
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
      eb.and([
        eb(done, 'is', null),
        eb('tickets.status', '<>', 'cancelled'),
        eb('tickets.merged_into_id', 'is', null),
        eb(due, '<', at),
      ]),
    ]),
  ])
  const sumOf = (condition: Expression<SqlBool>) =>
    eb.fn.sum<number | string | null>(eb.case().when(condition).then(1).else(0).end())
  return [sumOf(met).as(`${kind}_met`), sumOf(missed).as(`${kind}_missed`)] as const
}

function deadlineShare(met: number, missed: number): DeadlineShare {
  return { met, missed, share: met + missed === 0 ? null : round(met / (met + missed), 4) }
}

function trend(
  input: StatsInput,
  created: string[],
  resolved: string[],
  days: ReadonlyArray<{ day: string; created: number; resolved: number }>,
): TrendPoint[] {
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
  for (const day of days) {
    const point = points.get(bucketOf(day.day, granularity))
    if (point) {
      point.created += day.created
      point.resolved += day.resolved
    }
  }
  return [...points.values()]
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
