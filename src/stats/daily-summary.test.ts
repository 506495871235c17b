import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { sql } from 'kysely'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { DatabaseConfig } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import { closeReadOnlyDb, openReadOnlyDb, readThreadsOf } from '#src/db/read-only.ts'
import type { Db, StatsGrain, TicketStatus, Tx } from '#src/db/schema.ts'
import { addMinutes } from '#src/db/time.ts'
import { statsDailySchedule } from '#src/jobs/schedules.ts'
import { type Actor, actorFromUser } from '#src/users/actor.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { rowCount, testDatabase, testDialect } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { mergeTicket } from '../tickets/merge-ticket.ts'
import {
  computeStatsDay,
  markSummaryChanged,
  readStatsDay,
  refreshStatsDaily,
  splitPeriod,
  tidyStatsDaily,
  writeStatsDay,
} from './daily-summary.ts'
import {
  addToHistogram,
  BUCKET_RELATIVE_ERROR,
  bucketIndex,
  emptyHistogram,
  histogramPercentile,
} from './duration-buckets.ts'
import { daysPeriod } from './period.ts'
import { percentile, type StatsInput, type TicketStats, ticketStats } from './ticket-stats.ts'

const TZ = 'Europe/Moscow'
/** «Today» of these tests: 20 May 2026, noon in Moscow. */
const TODAY = '2026-05-20T09:00:00.000Z'
const SPRING = daysPeriod('2026-03-01', '2026-05-31', TZ)
const statuses: TicketStatus[] = ['new', 'in_progress', 'waiting', 'resolved', 'closed', 'cancelled']

/** A small deterministic generator (the data must be the same on both databases). */
function generator(seed: number) {
  let state = seed
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
  return { next, pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T }
}

/**
 * 160 tickets from 25 February to today, spread over two departments (and none), three categories (one a
 * subcategory), two groups (and none), two executors (and none), every status; times from under a minute to
 * weeks, deadlines met, missed and pending, ratings.
 */
async function spring(db: Db) {
  setTestClock(TODAY)
  const surgery = await buildDepartment(db, 'Хирургия')
  const cardiology = await buildDepartment(db, 'Кардиология')
  const network = await buildCategory(db, { name: 'Сеть' })
  const wifi = await buildCategory(db, { name: 'Wi-Fi', parentId: network.id })
  const printers = await buildCategory(db, { name: 'Принтеры' })
  const first = await buildUser(db, { role: 'executor', fullName: 'Первый Исполнитель' })
  const second = await buildUser(db, { role: 'executor', fullName: 'Второй Исполнитель' })
  const networks = await buildGroup(db, 'Сети', [first.id])
  const office = await buildGroup(db, 'Оргтехника', [second.id])
  const requesters = [
    await buildUser(db, { departmentId: surgery.id }),
    await buildUser(db, { departmentId: cardiology.id }),
    await buildUser(db),
  ]
  const random = generator(42)
  const start = Date.parse('2026-02-25T00:00:00.000Z')
  for (let i = 0; i < 160; i++) {
    // The last ones today (read live beside the summarised days).
    const createdMs =
      i < 150 ? start + random.next() * 84 * 86_400_000 : Date.parse(TODAY) - random.next() * 8 * 3_600_000
    const createdAt = new Date(Math.floor(createdMs / 1000) * 1000).toISOString()
    const requester = random.pick(requesters)
    const ticket = await buildTicket(db, {
      requesterId: requester.id,
      categoryId: random.pick([network.id, wifi.id, printers.id, null]),
      createdAt,
      status: 'new',
    })
    const status = random.pick(statuses)
    const response = random.next() < 0.85 ? Math.exp(random.next() * 9) - 0.5 : null
    const resolved = response !== null && random.next() < 0.7 ? response + Math.exp(random.next() * 11) : null
    const at = (minutes: number | null) => {
      if (minutes === null) return null
      const iso = addMinutes(createdAt, minutes)
      return iso < TODAY ? iso : null
    }
    const responseDue = random.pick([15, 60, 240, null])
    const resolutionDue = random.pick([240, 1440, 10_080, null])
    await db
      .updateTable('tickets')
      .set({
        status,
        department_id: random.next() < 0.1 ? null : requester.department_id,
        group_id: random.pick([networks.id, office.id, null]),
        assignee_id: random.pick([first.id, second.id, null]),
        first_response_at: at(response),
        resolved_at: at(resolved),
        response_due_at: responseDue === null ? null : addMinutes(createdAt, responseDue),
        resolution_due_at: resolutionDue === null ? null : addMinutes(createdAt, resolutionDue),
        response_breached_at: random.next() < 0.15 ? addMinutes(createdAt, 20) : null,
        resolution_breached_at: random.next() < 0.1 ? addMinutes(createdAt, 300) : null,
        rating: random.next() < 0.4 ? 1 + Math.floor(random.next() * 5) : null,
      })
      .where('id', '=', ticket.id)
      .execute()
  }
  const curator = actorFromUser(await buildUser(db, { role: 'curator' }), 'web')
  return { surgery, cardiology, network, wifi, printers, first, second, networks, office, curator }
}

/** Runs the refresh until the summary is current (each run stops after its time budget); the days computed. */
/** The worker's schedule run until the summary is current (its turns of REFRESH_BUDGET_MS); the days computed. */
async function refreshAll(db: Db, tz: string, schedule = statsDailySchedule(tz)): Promise<number> {
  let days = 0
  for (let n = await schedule.run(db); n > 0; n = await schedule.run(db)) days += n
  return days
}

/** The report read from the tickets alone: the summary's days forgotten inside a transaction rolled back. */
async function liveReport(db: Db, actor: Actor, input: StatsInput): Promise<TicketStats> {
  let report: TicketStats | undefined
  const rollback = new Error('rollback')
  await db
    .transaction()
    .execute(async (tx) => {
      await tx.deleteFrom('stats_daily_days').execute()
      report = await ticketStats(tx, actor, input)
      throw rollback
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error
    })
  if (!report) throw new Error('no report')
  return report
}

/** Equal in everything but the percentiles, which are within the buckets' error (and the rounding to 0.1). */
function expectClose(summary: TicketStats, live: TicketStats) {
  const { firstResponse, resolution, ...counts } = summary
  const { firstResponse: liveResponse, resolution: liveResolution, ...liveCounts } = live
  expect(counts).toEqual(liveCounts)
  for (const [got, exact] of [
    [firstResponse, liveResponse],
    [resolution, liveResolution],
  ] as const) {
    expect(got.count).toBe(exact.count)
    for (const key of ['median', 'p90'] as const) {
      const [value, truth] = [got[key], exact[key]]
      if (truth === null) {
        expect(value).toBeNull()
        continue
      }
      expect(value).not.toBeNull()
      const bound = truth < 1 ? 0.55 : truth * BUCKET_RELATIVE_ERROR + 0.1
      expect(Math.abs((value ?? 0) - truth), `${key}: ${value} against ${truth}`).toBeLessThanOrEqual(bound)
    }
  }
}

async function summaryRows(db: Tx, day: string) {
  return db
    .selectFrom('stats_daily')
    .select(['status', 'created', 'resolved_on_day'])
    .where('day', '=', day)
    .where('grain', '=', 'status')
    .orderBy('status')
    .execute()
}

describe('the daily summary', () => {
  test('a report from the summary equals the live one in counts, its percentiles within the buckets', async () => {
    const { db } = await testDatabase()
    const data = await spring(db)
    const executor = actorFromUser(data.first, 'web')
    // Hospital-wide reports and those filtered by one dimension (a department, a category with its subcategory,
    // a group, an executor's own) read the summary; those filtered by two stay live (and must not change either).
    const inputs: Array<[Actor, StatsInput]> = [
      [data.curator, { period: SPRING, granularity: 'week', tz: TZ }],
      [data.curator, { period: SPRING, granularity: 'day', tz: TZ }],
      [data.curator, { period: daysPeriod('2026-03-10', '2026-04-20', TZ), granularity: 'month', tz: TZ }],
      [data.curator, { period: SPRING, granularity: 'day', tz: TZ, departmentId: data.surgery.id }],
      [data.curator, { period: SPRING, granularity: 'month', tz: TZ, categoryId: data.network.id }],
      [data.curator, { period: SPRING, granularity: 'week', tz: TZ, categoryId: data.wifi.id }],
      [data.curator, { period: SPRING, granularity: 'week', tz: TZ, groupId: data.networks.id }],
      [
        data.curator,
        { period: SPRING, granularity: 'week', tz: TZ, groupId: data.office.id, categoryId: data.printers.id },
      ],
      [executor, { period: SPRING, granularity: 'week', tz: TZ }],
      [executor, { period: SPRING, granularity: 'day', tz: TZ, departmentId: data.cardiology.id }],
    ]
    const live = []
    for (const [actor, input] of inputs) live.push(await ticketStats(db, actor, input))
    expect(live[0]?.total).toBeGreaterThan(100)

    // Nothing summarised: every day is read live.
    expect((await splitPeriod(db, SPRING, TZ)).summary).toEqual([])
    expect(await refreshAll(db, TZ)).toBeGreaterThan(80)
    // Every past day from the first ticket's is summarised; today on is live.
    expect(await splitPeriod(db, SPRING, TZ)).toEqual({
      summary: [{ first: '2026-03-01', last: '2026-05-19' }],
      live: [{ from: '2026-05-19T21:00:00.000Z', to: SPRING.to }],
    })
    for (const [i, [actor, input]] of inputs.entries()) {
      const report = await ticketStats(db, actor, input)
      const exact = live[i]
      if (!exact) throw new Error('no live report')
      expectClose(report, exact)
    }
    // Again: nothing left to do.
    expect(await refreshStatsDaily(db, TZ)).toBe(0)
  })

  test("a report filtered by one dimension reads its value's rows of the summary; one filtered by two reads none", async () => {
    const { db } = await testDatabase()
    const data = await spring(db)
    const executor = actorFromUser(data.first, 'web')
    await refreshAll(db, TZ)
    const bySurgery: StatsInput = { period: SPRING, granularity: 'week', tz: TZ, departmentId: data.surgery.id }
    const own: StatsInput = { period: SPRING, granularity: 'week', tz: TZ }
    const twoFilters: StatsInput = { ...bySurgery, groupId: data.networks.id }
    const before = [
      await ticketStats(db, data.curator, bySurgery),
      await ticketStats(db, executor, own),
      await ticketStats(db, data.curator, twoFilters),
    ]
    // A thousand tickets more on one summarised day of each filter's rows, that no ticket has: only a report that
    // reads those rows can count them. (A new token: the reports above are cached under the old one.)
    const inflate = async (grain: StatsGrain, column: 'department_id' | 'assignee_id', id: number) => {
      const row = await db
        .selectFrom('stats_daily')
        .select(['day', 'status'])
        .where('grain', '=', grain)
        .where(column, '=', id)
        .where('day', '>=', '2026-03-01')
        .orderBy('day')
        .executeTakeFirstOrThrow()
      await db
        .updateTable('stats_daily')
        .set((eb) => ({ created: eb('created', '+', 1000) }))
        .where('grain', '=', grain)
        .where(column, '=', id)
        .where('day', '=', row.day)
        .where('status', '=', row.status)
        .execute()
    }
    await inflate('department+status', 'department_id', data.surgery.id)
    await inflate('assignee+status', 'assignee_id', data.first.id)
    await markSummaryChanged(db, TODAY)
    const after = [
      await ticketStats(db, data.curator, bySurgery),
      await ticketStats(db, executor, own),
      await ticketStats(db, data.curator, twoFilters),
    ]
    expect(after.map((report) => report.total)).toEqual([
      (before[0]?.total ?? 0) + 1000,
      (before[1]?.total ?? 0) + 1000,
      before[2]?.total,
    ])
  })

  test('a change to an old ticket is read live at once and reaches the summary at the next refresh', async () => {
    const { db } = await testDatabase()
    const data = await spring(db)
    const input: StatsInput = { period: SPRING, granularity: 'day', tz: TZ }
    // Created 2 March (Moscow), resolved 4 March: then reopened and moved to another department.
    const requester = await buildUser(db, { departmentId: data.surgery.id })
    const old = await buildTicket(db, {
      requesterId: requester.id,
      categoryId: data.printers.id,
      createdAt: '2026-03-02T08:00:00.000Z',
      status: 'resolved',
      resolvedAt: '2026-03-04T08:00:00.000Z',
    })
    await refreshAll(db, TZ)
    const before = await ticketStats(db, data.curator, input)
    const createdDay = await summaryRows(db, '2026-03-02')
    const resolvedDay = await summaryRows(db, '2026-03-04')

    await db
      .updateTable('tickets')
      .set({ status: 'in_progress', resolved_at: null, department_id: data.cardiology.id })
      .where('id', '=', old.id)
      .execute()
    // Both days it touched are stale: read live, so the report is exact before any refresh.
    const { summary } = await splitPeriod(db, SPRING, TZ)
    expect(summary).toEqual([
      { first: '2026-03-01', last: '2026-03-01' },
      { first: '2026-03-03', last: '2026-03-03' },
      { first: '2026-03-05', last: '2026-05-19' },
    ])
    const changed = await ticketStats(db, data.curator, input)
    expectClose(changed, await liveReport(db, data.curator, input))
    expect(changed.byStatus.resolved).toBe(before.byStatus.resolved - 1)
    expect(changed.byStatus.in_progress).toBe(before.byStatus.in_progress + 1)
    expect(changed.trend.find((p) => p.start === '2026-03-04')?.resolved).toBe(
      (before.trend.find((p) => p.start === '2026-03-04')?.resolved ?? 0) - 1,
    )

    // The worker's schedule recomputes exactly those two days, and the summary now holds the change.
    expect(await refreshAll(db, TZ)).toBe(2)
    expect((await splitPeriod(db, SPRING, TZ)).summary).toEqual([{ first: '2026-03-01', last: '2026-05-19' }])
    const moved = (rows: Awaited<ReturnType<typeof summaryRows>>, status: string) =>
      Number(rows.find((r) => r.status === status)?.created ?? 0)
    const createdAfter = await summaryRows(db, '2026-03-02')
    expect(moved(createdAfter, 'resolved')).toBe(moved(createdDay, 'resolved') - 1)
    expect(moved(createdAfter, 'in_progress')).toBe(moved(createdDay, 'in_progress') + 1)
    const resolvedOn = (rows: Awaited<ReturnType<typeof summaryRows>>) =>
      rows.reduce((sum, r) => sum + Number(r.resolved_on_day), 0)
    expect(resolvedOn(await summaryRows(db, '2026-03-04'))).toBe(resolvedOn(resolvedDay) - 1)
    expectClose(await ticketStats(db, data.curator, input), await liveReport(db, data.curator, input))
    const byDepartment = await ticketStats(db, data.curator, { ...input, departmentId: data.cardiology.id })
    expectClose(byDepartment, await liveReport(db, data.curator, { ...input, departmentId: data.cardiology.id }))
  })

  test('the same period again reads no summary row until a day is recomputed; names are read every time', async () => {
    const { db } = await testDatabase()
    const data = await spring(db)
    await refreshAll(db, TZ)
    const input: StatsInput = { period: SPRING, granularity: 'week', tz: TZ }
    let summaryReads = 0
    const counting = db.withPlugin({
      transformQuery(args) {
        if (JSON.stringify(args.node).includes('"name":"stats_daily"}')) summaryReads++
        return args.node
      },
      transformResult: async (args) => args.result,
    })
    const first = await ticketStats(counting, data.curator, input)
    expect(summaryReads).toBe(5)
    expectClose(first, await liveReport(db, data.curator, input))

    summaryReads = 0
    await db.updateTable('categories').set({ name: 'Печать' }).where('id', '=', data.printers.id).execute()
    const again = await ticketStats(counting, data.curator, input)
    expect(summaryReads).toBe(0)
    expect(again.byCategory.find((c) => c.id === data.printers.id)?.name).toBe('Печать')
    expect({ ...again, byCategory: [] }).toEqual({ ...first, byCategory: [] })

    // A ticket of March changed: its day is read live at once, and the recomputed day read from the summary. Never
    // resolved, so that its creation's day is the only one it makes stale; the first by id on both databases.
    const old = await db
      .selectFrom('tickets')
      .select('id')
      .where('created_at', '>=', '2026-03-02T00:00:00.000Z')
      .where('created_at', '<', '2026-03-10T00:00:00.000Z')
      .where('status', '<>', 'cancelled')
      .where('resolved_at', 'is', null)
      .orderBy('id')
      .limit(1)
      .executeTakeFirstOrThrow()
    await db.updateTable('tickets').set({ status: 'cancelled' }).where('id', '=', old.id).execute()
    const changed = await ticketStats(counting, data.curator, input)
    expect(changed.byStatus.cancelled).toBe(first.byStatus.cancelled + 1)
    expect(await refreshAll(db, TZ)).toBe(1)
    summaryReads = 0
    expectClose(await ticketStats(counting, data.curator, input), await liveReport(db, data.curator, input))
    expect(summaryReads).toBe(5)
  })

  test('a duplicate merged into another ticket misses no deadline in the summary either', async () => {
    const { db } = await testDatabase()
    setTestClock(TODAY)
    const requester = await buildUser(db)
    const executor = actorFromUser(await buildUser(db, { role: 'executor' }), 'web')
    const curator = actorFromUser(await buildUser(db, { role: 'curator' }), 'web')
    // Filed on 1 April, both past their deadlines and never answered: the duplicate is closed by the merge.
    const [survivor, duplicate] = [
      await buildTicket(db, {
        requesterId: requester.id,
        createdAt: '2026-04-01T08:00:00.000Z',
        status: 'in_progress',
      }),
      await buildTicket(db, {
        requesterId: requester.id,
        createdAt: '2026-04-01T09:00:00.000Z',
        status: 'in_progress',
      }),
    ]
    for (const ticket of [survivor, duplicate]) {
      await db
        .updateTable('tickets')
        .set({
          first_response_at: null,
          response_due_at: addMinutes(ticket.created_at, 15),
          resolution_due_at: addMinutes(ticket.created_at, 240),
        })
        .where('id', '=', ticket.id)
        .execute()
    }
    await mergeTicket(db, executor, { ticketId: duplicate.id, intoId: survivor.id })
    await refreshAll(db, TZ)
    const input: StatsInput = { period: SPRING, granularity: 'week', tz: TZ }
    expect((await splitPeriod(db, SPRING, TZ)).summary).not.toEqual([])
    const report = await ticketStats(db, curator, input)
    // Only the ticket that stays counts: its answer is still owed.
    expect(report.responseDeadline).toEqual({ met: 0, missed: 1, share: 0 })
    expect(report.resolutionDeadline).toEqual({ met: 0, missed: 1, share: 0 })
    expectClose(report, await liveReport(db, curator, input))
  })

  test('a summary cut in another time zone is dropped and cut again', async () => {
    const { db } = await testDatabase()
    const data = await spring(db)
    await refreshAll(db, 'Europe/Berlin')
    const input: StatsInput = { period: SPRING, granularity: 'week', tz: TZ }
    // Berlin's days are not Moscow's: none is used.
    expect((await splitPeriod(db, SPRING, TZ)).summary).toEqual([])
    expect(await refreshAll(db, TZ)).toBeGreaterThan(80)
    expect(await db.selectFrom('stats_daily_days').select('tz').where('tz', '<>', TZ).execute()).toEqual([])
    expectClose(await ticketStats(db, data.curator, input), await liveReport(db, data.curator, input))
  })

  if (testDialect() === 'postgres') {
    test('after a refresh of many days the summary tables are vacuumed and analyzed', async () => {
      const { db } = await testDatabase()
      await spring(db)
      await refreshAll(db, TZ)
      const state = async () =>
        (
          await sql<{ relname: string; vacuumed: boolean; analyzed: boolean; rows: number }>`
            select s.relname, s.last_vacuum is not null as vacuumed, s.last_analyze is not null as analyzed,
              c.reltuples::integer as rows
            from pg_stat_user_tables s join pg_class c on c.oid = s.relid
            where s.relname in ('stats_daily', 'stats_daily_dirty') order by s.relname`.execute(db)
        ).rows
      const count = (table: 'stats_daily' | 'stats_daily_dirty') => rowCount(db, table)
      expect(await count('stats_daily')).toBeGreaterThan(0)
      expect(await state()).toEqual([
        { relname: 'stats_daily', vacuumed: false, analyzed: false, rows: -1 },
        { relname: 'stats_daily_dirty', vacuumed: false, analyzed: false, rows: -1 },
      ])
      await tidyStatsDaily(db)
      // The planner now knows the summary's size (it guessed one row a day and joined names row by row).
      expect(await state()).toEqual([
        { relname: 'stats_daily', vacuumed: true, analyzed: true, rows: await count('stats_daily') },
        { relname: 'stats_daily_dirty', vacuumed: true, analyzed: true, rows: await count('stats_daily_dirty') },
      ])
    })
  }

  // A serving process reads a day's tickets on its read threads (a SQLite file), off the event loop.
  if (testDialect() === 'sqlite') {
    test('days read on the read threads: the same rows; a change committed between the read and the write keeps its day stale', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-stats-threads-'))
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
      const config: DatabaseConfig = { kind: 'sqlite', file: path.join(dir, 'helpdesk.sqlite') }
      const db = openDatabase(config)
      await migrateToLatest(db)
      const reads = openReadOnlyDb(config, db, { threads: 1 })
      onTestFinished(async () => {
        await closeReadOnlyDb(reads, db)
        await db.destroy()
      })
      const data = await spring(db)
      const input: StatsInput = { period: SPRING, granularity: 'day', tz: TZ }
      const schedule = statsDailySchedule(TZ, reads)
      expect(await refreshAll(db, TZ, schedule)).toBeGreaterThan(80)
      expect(readThreadsOf(reads)).toHaveLength(1)
      // Marks are left on today only (never summarised).
      const marksBeforeToday = async () =>
        (await db.selectFrom('stats_daily_dirty').select('at').where('at', '<', '2026-05-19T21:00:00.000Z').execute())
          .length
      expect(await marksBeforeToday()).toBe(0)
      // The same rows as a day computed on the main connection, in one transaction.
      const allRows = () =>
        db
          .selectFrom('stats_daily')
          .selectAll()
          .where('day', '=', '2026-04-01')
          .orderBy('grain')
          .orderBy('status')
          .orderBy('department_id')
          .orderBy('category_id')
          .orderBy('group_id')
          .orderBy('assignee_id')
          .execute()
      const threaded = await allRows()
      expect(threaded.length).toBeGreaterThan(20)
      await computeStatsDay(db, '2026-04-01', TZ)
      expect(await allRows()).toEqual(threaded)

      // A ticket of 1 April reopened after its day was read on the thread, before the rows are written: its mark
      // stays (the day is read live until the next refresh), and the report equals the tickets throughout.
      const old = await db
        .selectFrom('tickets')
        .select('id')
        .where('created_at', '>=', '2026-03-31T21:00:00.000Z')
        .where('created_at', '<', '2026-04-01T21:00:00.000Z')
        .where('status', '=', 'resolved')
        .executeTakeFirstOrThrow()
      const read = await reads.transaction().execute((tx) => readStatsDay(tx, '2026-04-01', TZ))
      await db
        .updateTable('tickets')
        .set({ status: 'in_progress', resolved_at: null })
        .where('id', '=', old.id)
        .execute()
      await writeStatsDay(db, read)
      expect((await splitPeriod(db, SPRING, TZ)).summary).toEqual([
        { first: '2026-03-01', last: '2026-03-31' },
        { first: '2026-04-02', last: '2026-05-19' },
      ])
      expectClose(await ticketStats(db, data.curator, input), await liveReport(db, data.curator, input))
      await refreshAll(db, TZ, schedule)
      expect(await marksBeforeToday()).toBe(0)
      expectClose(await ticketStats(db, data.curator, input), await liveReport(db, data.curator, input))
    })
  }

  // A filtered report reads its own value's rows with their measures and histograms by the index of its
  // dimension (migration 0041), not every row of the grain in the period.
  if (testDialect() === 'sqlite') {
    test("a filtered report's totals are found by its dimension's index, not by scanning the grain", async () => {
      const { db } = await testDatabase()
      const data = await spring(db)
      await refreshAll(db, TZ)
      const plan = await sql<{ detail: string }>`explain query plan
        select day, status, sum(created), sum(response_met), sum(resolution_missed) from stats_daily
        where grain = ${'department+status'} and department_id in (${data.surgery.id})
          and day >= ${'2026-03-01'} and day <= ${'2026-05-19'}
        group by day, status`.execute(db)
      expect(plan.rows.map((row) => row.detail).join('\n')).toMatch(
        /SEARCH stats_daily USING INDEX stats_daily_department_idx \(grain=\? AND department_id=\? AND day>\? AND day<\?\)/,
      )
    })
  }

  // A report's breakdowns read their own grain's rows of the summary, from the index alone (migration 0023):
  // led by the day, the key made each of them read every grain's rows of the period.
  if (testDialect() === 'sqlite') {
    test('a breakdown reads only its grain, from the covering index', async () => {
      const { db } = await testDatabase()
      await spring(db)
      await refreshAll(db, TZ)
      const plan = await sql<{ detail: string }>`explain query plan
        select department_id, sum(created) from stats_daily
        where day >= ${'2026-03-01'} and day <= ${'2026-05-19'} and grain = ${'department'}
        group by department_id`.execute(db)
      expect(plan.rows.map((row) => row.detail).join('\n')).toMatch(
        /SEARCH stats_daily USING COVERING INDEX stats_daily_grain_idx \(grain=\? AND day>\? AND day<\?\)/,
      )
    })
  }
})

describe('duration buckets', () => {
  test('a percentile from the buckets is within BUCKET_RELATIVE_ERROR of the exact one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 129_000, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(0.5, 0.9),
        (values, p) => {
          const histogram = emptyHistogram()
          for (const v of values) addToHistogram(histogram, v)
          const exact = percentile(
            [...values].sort((a, b) => a - b),
            p,
          )
          const estimate = histogramPercentile(histogram, p) ?? Number.NaN
          return Math.abs(estimate - exact) <= exact * BUCKET_RELATIVE_ERROR * (1 + 1e-9)
        },
      ),
    )
  })

  test('under a minute, 1 minute … 90 days, and beyond have their own buckets', () => {
    expect(bucketIndex(-5)).toBe(0)
    expect(bucketIndex(0.99)).toBe(0)
    expect(bucketIndex(1)).toBe(1)
    expect(bucketIndex(129_599)).toBe(60)
    expect(bucketIndex(129_600)).toBe(61)
    expect(BUCKET_RELATIVE_ERROR).toBeCloseTo(0.103, 3)
  })
})
