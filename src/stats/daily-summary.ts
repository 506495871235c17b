import { randomUUID } from 'node:crypto'
import { setImmediate } from 'node:timers/promises'
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely'
import { dialectOf } from '#src/db/database.ts'
import { prepared } from '#src/db/prepared.ts'
import { hasReadThreads } from '#src/db/read-only.ts'
import { readsInTurns } from '#src/db/reads-in-turns.ts'
import type { Database, Db, StatsDailyTable, StatsGrain, TicketStatus, Tx } from '#src/db/schema.ts'
import { statsGrains, ticketStatuses } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { addDays, dayStartUtc, localDay } from '#src/format/zone-days.ts'
import {
  addEncodedHistogram,
  addToHistogram,
  emptyHistogram,
  encodeHistogram,
  type Histogram,
} from './duration-buckets.ts'
import type { Period } from './period.ts'

/**
 * The daily summary behind the ticket report (issue 12: a year of 1 000 000 tickets took 11 s). Each past
 * local day's tickets are aggregated once into `stats_daily` (migration 0020); the report reads whole
 * summarised days from there and everything else — today, a day not summarised yet, a day a ticket change
 * made stale — live from `tickets`, so that its counts are always those of the tickets themselves.
 *
 * Staleness is marked by triggers on `tickets` (every writer, ours or a console's SQL): the instants of a
 * changed ticket's creation and resolution, before and after, land in `stats_daily_dirty`; a day with such a
 * mark is read live until the worker (`refreshStatsDaily`) recomputes it, deleting its marks and rewriting
 * its rows in one transaction.
 *
 * The summary serves the hospital-wide report: one row per day and value of one dimension (grains `status`,
 * `category`, `department`, `assignee`), a few dozen rows a day whatever the number of tickets. A report filtered
 * by one dimension — a department, a category (with its subcategories), a group, or an executor's own — reads
 * the rows of two (migration 0041): its value with each status (the totals, deadlines, ratings and the
 * histograms) and with each value of every other breakdown. A row per combination of every dimension (the
 * `full` grain first built) was as many rows as tickets at the demo's density and read slower than the tickets;
 * pairs are a fraction of that, and a filter reads only its own value's. A report filtered by two dimensions
 * (a group and a category, an executor's own in one department) is read live.
 */

/** «None» (a ticket without a department, category, group or assignee) in a key column. */
const NONE = 0
/** A dimension rolled up by the row's grain. */
const ALL = -1
const ALL_STATUSES = '*'

/**
 * How long one run of the schedule may recompute days (at least one day a run): a first fill over years of
 * tickets proceeds in short turns instead of holding the worker's round (notices wait behind it) for minutes.
 */
export const REFRESH_BUDGET_MS = 2_000

type Measures = Pick<
  StatsDailyTable,
  | 'created'
  | 'resolved'
  | 'rating_sum'
  | 'rating_count'
  | 'response_met'
  | 'response_missed'
  | 'resolution_met'
  | 'resolution_missed'
  | 'resolved_on_day'
>
type Key = Pick<StatsDailyTable, 'grain' | 'status' | 'department_id' | 'category_id' | 'group_id' | 'assignee_id'>
interface Aggregate extends Key, Measures {
  /** Null in the grains that keep no status: only the status grains' rows are read for percentiles. */
  response: Histogram | null
  resolution: Histogram | null
}

const ticketColumns = [
  'tickets.status',
  'tickets.department_id',
  'tickets.category_id',
  'tickets.group_id',
  'tickets.assignee_id',
  'tickets.created_at',
  'tickets.first_response_at',
  'tickets.resolved_at',
  'tickets.response_due_at',
  'tickets.resolution_due_at',
  'tickets.response_breached_at',
  'tickets.resolution_breached_at',
  'tickets.rating',
  'tickets.merged_into_id',
] as const

interface TicketFacts {
  status: TicketStatus
  department_id: number | null
  category_id: number | null
  group_id: number | null
  assignee_id: number | null
  created_at: string
  first_response_at: string | null
  resolved_at: string | null
  response_due_at: string | null
  resolution_due_at: string | null
  response_breached_at: string | null
  resolution_breached_at: string | null
  rating: number | null
  merged_into_id: number | null
}

/**
 * A deadline's outcome as the report's SQL counts it (ticket-stats.ts `deadlineSums`): met when done by the
 * deadline and never marked breached; missed when marked, done late, or not done and past it — unless nothing
 * is owed on the ticket any more (cancelled, or merged into another as its duplicate).
 */
export function deadlineOutcome(
  due: string | null,
  done: string | null,
  breached: string | null,
  ticket: Pick<TicketFacts, 'status' | 'merged_into_id'>,
  at: string,
): 'met' | 'missed' | null {
  if (due === null) return null
  if (breached !== null || (done !== null && done > due)) return 'missed'
  if (done !== null) return 'met'
  const owed = ticket.status !== 'cancelled' && ticket.merged_into_id === null
  return owed && due < at ? 'missed' : null
}

/** A row's first state: histograms only in a grain that keeps the status. */
function emptyAggregate(key: Key, histograms: boolean): Aggregate {
  return {
    ...key,
    created: 0,
    resolved: 0,
    rating_sum: 0,
    rating_count: 0,
    response_met: 0,
    response_missed: 0,
    resolution_met: 0,
    resolution_missed: 0,
    resolved_on_day: 0,
    response: histograms ? emptyHistogram() : null,
    resolution: histograms ? emptyHistogram() : null,
  }
}

function minutes(start: string, end: string): number {
  return (Date.parse(end) - Date.parse(start)) / 60_000
}

/** The dimensions a report is broken down or filtered by, in the order a pair grain names them. */
const summaryDimensions = ['group', 'department', 'category', 'assignee'] as const
export type SummaryDimension = (typeof summaryDimensions)[number]

const columnOf = {
  group: 'group_id',
  department: 'department_id',
  category: 'category_id',
  assignee: 'assignee_id',
} as const satisfies Record<SummaryDimension, keyof Key>

/** The grain of two dimensions, named in `summaryDimensions` order (`department+category`, never the reverse). */
function pairGrain(one: SummaryDimension, other: SummaryDimension): StatsGrain {
  const [first, second] =
    summaryDimensions.indexOf(one) < summaryDimensions.indexOf(other) ? [one, other] : [other, one]
  return `${first}+${second}` as StatsGrain
}

/** What a grain's rows keep, read off its name (`department+status`: the department and the status). */
interface GrainShape {
  grain: StatsGrain
  /** The status, and with it the histograms. */
  status: boolean
  keeps: Record<SummaryDimension, boolean>
}

/** Every grain a ticket counts in (schema.ts `statsGrains`): a day's tickets are counted in each. */
const grainShapes: readonly GrainShape[] = statsGrains.map((grain) => {
  const kept = grain.split('+')
  return {
    grain,
    status: kept.includes('status'),
    keeps: {
      group: kept.includes('group'),
      department: kept.includes('department'),
      category: kept.includes('category'),
      assignee: kept.includes('assignee'),
    },
  }
})

/** The aggregates of a day, found by their key's text (a ticket counts in one row of every grain). */
class DayRows {
  readonly #rows = new Map<string, Aggregate>()

  /** The ticket's row of each grain, made on first use. */
  of(t: TicketFacts): Aggregate[] {
    const found: Aggregate[] = []
    for (const shape of grainShapes) {
      const status = shape.status ? t.status : ALL_STATUSES
      const department = shape.keeps.department ? (t.department_id ?? NONE) : ALL
      const category = shape.keeps.category ? (t.category_id ?? NONE) : ALL
      const group = shape.keeps.group ? (t.group_id ?? NONE) : ALL
      const assignee = shape.keeps.assignee ? (t.assignee_id ?? NONE) : ALL
      const text = `${shape.grain}|${status}|${department}|${category}|${group}|${assignee}`
      let row = this.#rows.get(text)
      if (!row) {
        const key = { grain: shape.grain, status, department_id: department, category_id: category, group_id: group }
        row = emptyAggregate({ ...key, assignee_id: assignee }, shape.status)
        this.#rows.set(text, row)
      }
      found.push(row)
    }
    return found
  }

  /** A ticket created that day, as its outcomes stand at `at`. */
  countCreated(t: TicketFacts, at: string): void {
    const response = deadlineOutcome(t.response_due_at, t.first_response_at, t.response_breached_at, t, at)
    const resolution = deadlineOutcome(t.resolution_due_at, t.resolved_at, t.resolution_breached_at, t, at)
    const toResponse = t.first_response_at === null ? null : minutes(t.created_at, t.first_response_at)
    const toResolution = t.resolved_at === null ? null : minutes(t.created_at, t.resolved_at)
    for (const row of this.of(t)) {
      row.created++
      if (t.resolved_at !== null) row.resolved++
      if (t.rating !== null) {
        row.rating_sum += t.rating
        row.rating_count++
      }
      if (response === 'met') row.response_met++
      if (response === 'missed') row.response_missed++
      if (resolution === 'met') row.resolution_met++
      if (resolution === 'missed') row.resolution_missed++
      if (row.response && toResponse !== null) addToHistogram(row.response, toResponse)
      if (row.resolution && toResolution !== null) addToHistogram(row.resolution, toResolution)
    }
  }

  /** A ticket resolved that day, whenever it was created. */
  countResolved(t: TicketFacts): void {
    for (const row of this.of(t)) row.resolved_on_day++
  }

  all(): Aggregate[] {
    return [...this.#rows.values()]
  }
}

/** A day's tickets as the summary reads them. */
interface DayFacts {
  created: TicketFacts[]
  resolved: TicketFacts[]
}

/** Tickets counted, or rows written, between two yields to the event loop. */
const SLICE = 400

/** Lets the event loop run after every SLICE-th item. */
async function inTurns<T>(items: readonly T[], each: (item: T) => unknown): Promise<void> {
  for (const [i, item] of items.entries()) {
    if (i > 0 && i % SLICE === 0) await setImmediate()
    await each(item)
  }
}

/**
 * A day's rows, from the tickets created that day and those resolved that day. `sliced`: in turns of the event
 * loop (a day of the demo's 2 700 tickets counts in 14 grains each).
 */
async function aggregateDay(facts: DayFacts, at: string, sliced = false): Promise<Aggregate[]> {
  const rows = new DayRows()
  if (sliced) {
    await inTurns(facts.created, (t) => rows.countCreated(t, at))
    await inTurns(facts.resolved, (t) => rows.countResolved(t))
  } else {
    for (const t of facts.created) rows.countCreated(t, at)
    for (const t of facts.resolved) rows.countResolved(t)
  }
  return rows.all()
}

/** The UTC instants of a local day's bounds. */
function dayBounds(day: string, tz: string): Period {
  return { from: dayStartUtc(day, tz), to: dayStartUtc(addDays(day, 1), tz) }
}

/**
 * Recomputes one local day's summary from the tickets, and deletes the day's stale marks that the tickets read
 * already reflect: a change committed after that read keeps its mark (its day is read live, and recomputed next
 * time). Running it again changes nothing.
 *
 * Given `reads` (the read threads of a SQLite file, read-only.ts), the day's tickets are read there in one
 * snapshot with the newest mark then committed, aggregated in slices, and only the rows are written in a
 * transaction of the main connection, with the marks up to that one: a day of the demo (2 700 tickets, each in
 * 14 grains) held the event loop 130–190 ms on the main connection. SQLite's one writer commits marks in the
 * order of their ids, so those up to the newest seen are exactly those the read saw. Otherwise (PostgreSQL, whose
 * driver does not hold the event loop, and SQLite in memory) all of it runs in one transaction, the marks deleted
 * first.
 */
export async function computeStatsDay(db: Db, day: string, tz: string, reads?: Db): Promise<void> {
  if (reads !== undefined && hasReadThreads(reads)) {
    await writeStatsDay(db, await reads.transaction().execute((tx) => readStatsDay(tx, day, tz)))
    return
  }
  const { from, to } = dayBounds(day, tz)
  const at = now()
  await transact(db, async (tx) => {
    await tx.deleteFrom('stats_daily_dirty').where('at', '>=', from).where('at', '<', to).execute()
    await writeDay(tx, day, tz, at, await aggregateDay(await readDay(tx, from, to), at))
  })
}

/** A day's tickets as one snapshot had them, with the newest stale mark it saw (`readStatsDay`). */
export interface StatsDayRead {
  day: string
  tz: string
  at: string
  facts: DayFacts
  lastMark: number
}

/** The first half of `computeStatsDay` off the main connection: run it in a read transaction (one snapshot). */
export async function readStatsDay(tx: Tx, day: string, tz: string): Promise<StatsDayRead> {
  const { from, to } = dayBounds(day, tz)
  const at = now()
  const facts = await readDay(tx, from, to)
  const newest = await tx
    .selectFrom('stats_daily_dirty')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst()
  return { day, tz, at, facts, lastMark: Number(newest?.id ?? 0) }
}

/**
 * The second half: the day's rows aggregated in slices and written, with its marks up to the newest the read saw
 * deleted, in one transaction of the main connection.
 */
export async function writeStatsDay(db: Db, read: StatsDayRead): Promise<void> {
  const { from, to } = dayBounds(read.day, read.tz)
  const rows = await aggregateDay(read.facts, read.at, true)
  await transact(db, async (tx) => {
    await tx
      .deleteFrom('stats_daily_dirty')
      .where('at', '>=', from)
      .where('at', '<', to)
      .where('id', '<=', read.lastMark)
      .execute()
    await writeDay(tx, read.day, read.tz, read.at, rows)
  })
}

/** The tickets created in [from, to) and those resolved in it. */
async function readDay(tx: Tx, from: string, to: string): Promise<DayFacts> {
  const within = (column: 'tickets.created_at' | 'tickets.resolved_at') =>
    tx.selectFrom('tickets').select(ticketColumns).where(column, '>=', from).where(column, '<', to).execute()
  return { created: await within('tickets.created_at'), resolved: await within('tickets.resolved_at') }
}

/** One row of the summary (a day has a few thousand at the demo's density): compiled once. */
const insertSummaryRow = prepared((db, r: Pick<StatsDailyTable, keyof StatsDailyTable>) =>
  db.insertInto('stats_daily').values({
    day: r.day,
    grain: r.grain,
    status: r.status,
    department_id: r.department_id,
    category_id: r.category_id,
    group_id: r.group_id,
    assignee_id: r.assignee_id,
    created: r.created,
    resolved: r.resolved,
    rating_sum: r.rating_sum,
    rating_count: r.rating_count,
    response_met: r.response_met,
    response_missed: r.response_missed,
    resolution_met: r.resolution_met,
    resolution_missed: r.resolution_missed,
    response_hist: r.response_hist,
    resolution_hist: r.resolution_hist,
    resolved_on_day: r.resolved_on_day,
  }),
)

/**
 * A day's rows replaced with these, the day recorded as summarised at `at` in `tz`, and the summary's version new.
 * On SQLite row by row, by one prepared statement, yielding to the event loop every SLICE rows (the transaction is
 * held meanwhile; the loop's other work goes on): a 500-row statement cost Kysely tens of milliseconds to build,
 * and SQLite's statements are calls, not round trips. On PostgreSQL 500 rows a statement.
 */
async function writeDay(tx: Tx, day: string, tz: string, at: string, aggregates: Aggregate[]): Promise<void> {
  await tx.deleteFrom('stats_daily').where('day', '=', day).execute()
  const rows = aggregates.map(({ response, resolution, ...row }) => ({
    ...row,
    day,
    response_hist: response ? encodeHistogram(response) : '',
    resolution_hist: resolution ? encodeHistogram(resolution) : '',
  }))
  if (dialectOf(tx) === 'sqlite') {
    await inTurns(rows, (row) => insertSummaryRow.execute(tx, row))
  } else {
    // 18 columns a row: well under PostgreSQL's limit of bound parameters per statement.
    for (let i = 0; i < rows.length; i += 500) {
      await tx
        .insertInto('stats_daily')
        .values(rows.slice(i, i + 500))
        .execute()
    }
  }
  await tx
    .insertInto('stats_daily_days')
    .values({ day, tz, computed_at: at })
    .onConflict((oc) => oc.column('day').doUpdateSet({ tz, computed_at: at }))
    .execute()
  await markSummaryChanged(tx, at)
}

/** The local days an instant's hour (`YYYY-MM-DDTHH`) overlaps: two where a zone's offset is not whole hours. */
function daysOfHour(hour: string, tz: string): string[] {
  const start = Date.parse(`${hour}:00:00.000Z`)
  if (!Number.isFinite(start)) return []
  const days = new Set([localDay(start, tz), localDay(start + 3_599_999, tz)])
  return [...days]
}

/** The local days in [from, to) that a ticket change made stale. */
async function staleDays(db: Tx, from: string, to: string, tz: string): Promise<Set<string>> {
  const hours = await db
    .selectFrom('stats_daily_dirty')
    .select((eb) => eb.fn<string>('substr', ['at', eb.val(1), eb.val(13)]).as('hour'))
    .where('at', '>=', from)
    .where('at', '<', to)
    .distinct()
    .execute()
  return new Set(hours.flatMap((h) => daysOfHour(h.hour, tz)))
}

/**
 * Brings the summary up to date, for at most `budgetMs` (one day at least): days a ticket change made stale
 * first, then past days never summarised, newest first. A summary cut in another time zone is dropped whole
 * first. Returns the days computed; 0 when the summary is current. Days are read on `reads` when it has
 * threads (`computeStatsDay`).
 */
export async function refreshStatsDaily(db: Db, tz: string, budgetMs = REFRESH_BUDGET_MS, reads?: Db): Promise<number> {
  const started = performance.now()
  const today = localDay(now(), tz)
  const otherZone = await db.selectFrom('stats_daily_days').select('day').where('tz', '<>', tz).executeTakeFirst()
  if (otherZone) {
    await transact(db, async (tx) => {
      await tx.deleteFrom('stats_daily').execute()
      await tx.deleteFrom('stats_daily_days').execute()
      await markSummaryChanged(tx, now())
    })
  }
  const done = (
    await db.selectFrom('stats_daily_days').select('day').where('day', '<', today).orderBy('day').execute()
  ).map((r) => r.day)
  const summarised = new Set(done)
  // Marks count only on summarised days (one not summarised yet is computed whole, its marks deleted with it):
  // a bulk load of old tickets leaves a mark per ticket, and those are not scanned on every run.
  const firstDone = done[0]
  const stale =
    firstDone === undefined
      ? []
      : [...(await staleDays(db, dayStartUtc(firstDone, tz), dayStartUtc(today, tz), tz))]
          .filter((d) => summarised.has(d))
          .sort()
  const first = await db
    .selectFrom('tickets')
    .select((eb) => eb.fn.min('tickets.created_at').as('first'))
    .executeTakeFirst()
  const missing: string[] = []
  if (first?.first) {
    const firstDay = localDay(first.first, tz)
    for (let day = addDays(today, -1); day >= firstDay; day = addDays(day, -1)) {
      if (!summarised.has(day)) missing.push(day)
    }
  }
  let computed = 0
  for (const day of new Set([...stale.reverse(), ...missing])) {
    if (computed > 0 && performance.now() - started >= budgetMs) break
    await computeStatsDay(db, day, tz, reads)
    computed++
  }
  return computed
}

/**
 * After a refresh of many days at once (`helpdesk stats refresh`, after a demo or an import), PostgreSQL's
 * summary tables are vacuumed and analyzed, not left to autovacuum's next turn or, where it is off, forever: the
 * deleted marks of a million tickets left `stats_daily_dirty` 241 MB of dead rows, whose every read for the
 * report's stale days took 120–170 ms (planning included), and the summary read without statistics joined a
 * name to each of its rows one by one. SQLite gathers no statistics and reuses a deleted row's pages itself.
 * Tables another role owns are skipped with a warning (a production app role).
 */
export async function tidyStatsDaily(db: Db): Promise<void> {
  if (dialectOf(db) !== 'postgres') return
  await sql`vacuum (analyze) stats_daily, stats_daily_days, stats_daily_dirty`.execute(db)
}

/** Contiguous runs of summarised days, first and last included. */
export interface DayRun {
  first: string
  last: string
}

/**
 * Cuts a period into the whole local days the summary holds and may answer for (before today, summarised in
 * this zone, not stale) and the rest, which is read live: ranges of instants, in order.
 */
export async function splitPeriod(db: Tx, period: Period, tz: string): Promise<{ summary: DayRun[]; live: Period[] }> {
  const today = localDay(now(), tz)
  let firstDay = localDay(period.from, tz)
  if (dayStartUtc(firstDay, tz) < period.from) firstDay = addDays(firstDay, 1)
  let lastDay = localDay(Date.parse(period.to) - 1, tz)
  if (dayStartUtc(addDays(lastDay, 1), tz) > period.to) lastDay = addDays(lastDay, -1)
  if (lastDay >= today) lastDay = addDays(today, -1)
  if (firstDay > lastDay) return { summary: [], live: [period] }

  const summarised = (
    await db
      .selectFrom('stats_daily_days')
      .select('day')
      .where('day', '>=', firstDay)
      .where('day', '<=', lastDay)
      .where('tz', '=', tz)
      .orderBy('day')
      .execute()
  ).map((r) => r.day)
  const [firstDone, lastDone] = [summarised[0], summarised.at(-1)]
  if (firstDone === undefined || lastDone === undefined) return { summary: [], live: [period] }
  const stale = await staleDays(db, dayStartUtc(firstDone, tz), dayStartUtc(addDays(lastDone, 1), tz), tz)
  const usable = summarised.filter((d) => !stale.has(d))
  const summary: DayRun[] = []
  for (const day of usable) {
    const run = summary.at(-1)
    if (run && addDays(run.last, 1) === day) run.last = day
    else summary.push({ first: day, last: day })
  }
  const live: Period[] = []
  let cursor = period.from
  for (const run of summary) {
    const start = dayStartUtc(run.first, tz)
    if (cursor < start) live.push({ from: cursor, to: start })
    cursor = dayStartUtc(addDays(run.last, 1), tz)
  }
  if (cursor < period.to) live.push({ from: cursor, to: period.to })
  return { summary, live }
}

type SummaryEb = ExpressionBuilder<Database, 'stats_daily'>

function inRuns(eb: SummaryEb, runs: readonly DayRun[]): Expression<SqlBool> {
  return eb.or(
    runs.map((run) => eb.and([eb('stats_daily.day', '>=', run.first), eb('stats_daily.day', '<=', run.last)])),
  )
}

/**
 * A report's filter the summary answers for: one dimension, its values (a category's with its subcategories, an
 * executor's own: their id).
 */
export interface SummaryFilter {
  dimension: SummaryDimension
  ids: readonly number[]
}

/** The rows of one grain on the summarised days, of the filter's values when there is one. */
function source(runs: readonly DayRun[], grain: StatsGrain, filter?: SummaryFilter) {
  return (eb: SummaryEb): Expression<SqlBool> =>
    eb.and([
      eb('stats_daily.grain', '=', grain),
      ...(filter ? [eb(`stats_daily.${columnOf[filter.dimension]}`, 'in', filter.ids)] : []),
      inRuns(eb, runs),
    ])
}

/** Where a breakdown by `dimension` is read: its own grain, or, in a filtered report, the pair with the filter's. */
function breakdownGrain(dimension: SummaryDimension, filter: SummaryFilter | undefined): StatsGrain {
  if (!filter) return dimension as StatsGrain
  return filter.dimension === dimension ? (`${dimension}+status` as StatsGrain) : pairGrain(filter.dimension, dimension)
}

/** A breakdown's row: id null for «none». */
export interface SummaryBreakdown {
  id: number | null
  count: number
}

export interface SummaryExecutor extends SummaryBreakdown {
  resolved: number
  ratingSum: number
  ratingCount: number
}

/** What the summarised days add to a report (ticket-stats.ts merges it with the live part). */
export interface SummaryPart {
  byStatus: Partial<Record<TicketStatus, number>>
  byCategory: SummaryBreakdown[]
  byDepartment: SummaryBreakdown[]
  byExecutor: SummaryExecutor[]
  responseMet: number
  responseMissed: number
  resolutionMet: number
  resolutionMissed: number
  ratingSum: number
  ratingCount: number
  response: Histogram
  resolution: Histogram
  /** Per summarised day: created that day, resolved that day. */
  days: Array<{ day: string; created: number; resolved: number }>
}

const idOf = (value: number | string) => (Number(value) === NONE ? null : Number(value))

/**
 * Which computation of the summary a report reads: a token every recomputed day (and a summary dropped for
 * another time zone) replaces in the same transaction, so that figures read under it are those of the tables.
 */
const SUMMARY_VERSION_KEY = 'stats.summary_version'

/** A new version of the summary: the parts read under the old one are read again (also for benches and tests). */
export async function markSummaryChanged(tx: Tx, at: string): Promise<void> {
  const value = randomUUID()
  await tx
    .insertInto('settings')
    .values({ key: SUMMARY_VERSION_KEY, value, updated_at: at, updated_by: null })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: at }))
    .execute()
}

/** Parts kept per database handle and summary version: the same period's report again reads no summary row. */
const partsCache = new WeakMap<Tx, { version: string; byRuns: Map<string, SummaryPart> }>()
const CACHED_PERIODS = 16

/**
 * The report's figures over the summarised days, grouped in SQL over a few dozen rows a day (a year of them
 * took 60–90 ms of PostgreSQL's work a report). Kept while the summary's version stands and shared by the reports
 * of the same days — read it, never change it. Numbers only: the report names its rows at every reading
 * (ticket-stats.ts), so a renamed category or a person's data blocked or destroyed (152-ФЗ) shows at once.
 */
export async function readSummary(db: Tx, runs: readonly DayRun[], filter?: SummaryFilter): Promise<SummaryPart> {
  const version =
    (await db.selectFrom('settings').select('value').where('key', '=', SUMMARY_VERSION_KEY).executeTakeFirst())
      ?.value ?? ''
  let cache = partsCache.get(db)
  if (cache?.version !== version) {
    cache = { version, byRuns: new Map() }
    partsCache.set(db, cache)
  }
  const key = [
    runs.map((run) => `${run.first}..${run.last}`).join(','),
    filter ? `${filter.dimension}:${filter.ids.join(',')}` : '',
  ].join('|')
  const known = cache.byRuns.get(key)
  if (known) return known
  const part = await readPart(db, runs, filter)
  // Read under a version that stood when the reading began: a refresh meanwhile changed the version, not this.
  cache.byRuns.set(key, part)
  if (cache.byRuns.size > CACHED_PERIODS) cache.byRuns.delete(cache.byRuns.keys().next().value ?? key)
  return part
}

async function readPart(db: Tx, runs: readonly DayRun[], filter?: SummaryFilter): Promise<SummaryPart> {
  const sum = (column: `stats_daily.${keyof Measures}`) => (eb: SummaryEb) => eb.fn.sum<number | string>(column)
  const totalsGrain = filter ? breakdownGrain(filter.dimension, filter) : 'status'
  const byId = (dimension: 'category' | 'department') => {
    const column = `stats_daily.${columnOf[dimension]}` as const
    return db
      .selectFrom('stats_daily')
      .where(source(runs, breakdownGrain(dimension, filter), filter))
      .select((eb) => [`${column} as id` as const, sum('stats_daily.created')(eb).as('count')])
      .groupBy(column)
      .execute()
  }
  const [totals, histograms, categories, departments, executors] = await readsInTurns(db, [
    () =>
      db
        .selectFrom('stats_daily')
        .where(source(runs, totalsGrain, filter))
        .select((eb) => [
          'stats_daily.day',
          'stats_daily.status',
          sum('stats_daily.created')(eb).as('created'),
          sum('stats_daily.resolved_on_day')(eb).as('resolved_on_day'),
          sum('stats_daily.rating_sum')(eb).as('rating_sum'),
          sum('stats_daily.rating_count')(eb).as('rating_count'),
          sum('stats_daily.response_met')(eb).as('response_met'),
          sum('stats_daily.response_missed')(eb).as('response_missed'),
          sum('stats_daily.resolution_met')(eb).as('resolution_met'),
          sum('stats_daily.resolution_missed')(eb).as('resolution_missed'),
        ])
        .groupBy(['stats_daily.day', 'stats_daily.status'])
        .execute(),
    () =>
      db
        .selectFrom('stats_daily')
        .where(source(runs, totalsGrain, filter))
        .where((eb) => eb.or([eb('response_hist', '<>', ''), eb('resolution_hist', '<>', '')]))
        .select(['stats_daily.response_hist', 'stats_daily.resolution_hist'])
        .execute(),
    () => byId('category'),
    () => byId('department'),
    () =>
      db
        .selectFrom('stats_daily')
        .where(source(runs, breakdownGrain('assignee', filter), filter))
        .select((eb) => [
          'stats_daily.assignee_id as id',
          sum('stats_daily.created')(eb).as('count'),
          sum('stats_daily.resolved')(eb).as('resolved'),
          sum('stats_daily.rating_sum')(eb).as('rating_sum'),
          sum('stats_daily.rating_count')(eb).as('rating_count'),
        ])
        .groupBy('stats_daily.assignee_id')
        .execute(),
  ])
  const part = addTotals(emptyPart(), totals, histograms)
  const counted = (r: { id: number | string; count: number | string }) => ({ id: idOf(r.id), count: Number(r.count) })
  part.byCategory = categories.map(counted)
  part.byDepartment = departments.map(counted)
  part.byExecutor = executors.map((r) => ({
    ...counted(r),
    resolved: Number(r.resolved),
    ratingSum: Number(r.rating_sum),
    ratingCount: Number(r.rating_count),
  }))
  return part
}

function emptyPart(): SummaryPart {
  return {
    byStatus: {},
    byCategory: [],
    byDepartment: [],
    byExecutor: [],
    responseMet: 0,
    responseMissed: 0,
    resolutionMet: 0,
    resolutionMissed: 0,
    ratingSum: 0,
    ratingCount: 0,
    response: emptyHistogram(),
    resolution: emptyHistogram(),
    days: [],
  }
}

type Summed = Record<
  | 'created'
  | 'resolved_on_day'
  | 'rating_sum'
  | 'rating_count'
  | 'response_met'
  | 'response_missed'
  | 'resolution_met'
  | 'resolution_missed',
  number | string
>

/** Adds rows of (day, status) measures and of histograms to a part: by status, overall and per day. */
function addTotals(
  part: SummaryPart,
  rows: ReadonlyArray<Summed & { day: string; status: string }>,
  histograms: ReadonlyArray<{ response_hist: string; resolution_hist: string }>,
): SummaryPart {
  const days = new Map<string, { day: string; created: number; resolved: number }>()
  for (const row of rows) {
    const created = Number(row.created)
    const status = ticketStatuses.find((s) => s === row.status)
    if (status) part.byStatus[status] = (part.byStatus[status] ?? 0) + created
    part.responseMet += Number(row.response_met)
    part.responseMissed += Number(row.response_missed)
    part.resolutionMet += Number(row.resolution_met)
    part.resolutionMissed += Number(row.resolution_missed)
    part.ratingSum += Number(row.rating_sum)
    part.ratingCount += Number(row.rating_count)
    let day = days.get(row.day)
    if (!day) {
      day = { day: row.day, created: 0, resolved: 0 }
      days.set(row.day, day)
    }
    day.created += created
    day.resolved += Number(row.resolved_on_day)
  }
  part.days = [...days.values()]
  for (const row of histograms) {
    addEncodedHistogram(part.response, row.response_hist)
    addEncodedHistogram(part.resolution, row.resolution_hist)
  }
  return part
}
