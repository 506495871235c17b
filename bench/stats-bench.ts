/**
 * Statistics benchmark (issue 12): a year's ticket report on the configured database (DATA_DIR or
 * DATABASE_URL, e.g. after `helpdesk demo --tickets 100000`), read live from the tickets and then from the
 * daily summary. Migrates, times the live report (no day summarised), fills the summary (timed: what the
 * worker's first runs do, in turns of REFRESH_BUDGET_MS), and times the report again: hospital-wide, by one
 * department and an executor's own, each from the summary (a filtered one from its grains of two dimensions,
 * migration 0041) with today read live. The summary's parts are cached per version of the summary
 * (daily-summary.ts): every timed run first gives it a new version, so that each reads its rows again.
 * Medians of N runs after one warm-up, in milliseconds.
 *
 *   DATA_DIR=/tmp/demo npx tsx bench/stats-bench.ts
 *   STATS_RUNS=9 DATABASE_URL=postgres://… npx tsx bench/stats-bench.ts
 */
import { loadConfig } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { addDays, localDay } from '#src/format/zone-days.ts'
import { markSummaryChanged, refreshStatsDaily } from '#src/stats/daily-summary.ts'
import { daysPeriod } from '#src/stats/period.ts'
import { percentile, type StatsInput, ticketStats } from '#src/stats/ticket-stats.ts'
import { type Actor, systemActor } from '#src/users/actor.ts'

const runs = Number(process.env.STATS_RUNS ?? 5)
const config = loadConfig()
const db = openDatabase(config.database)
const tz = config.tzDisplay

async function median(what: () => Promise<unknown>): Promise<number> {
  await what()
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    // As a refresh leaves it: the summary's cached parts are of an older version, and read again.
    await markSummaryChanged(db, now())
    const started = performance.now()
    await what()
    samples.push(performance.now() - started)
  }
  return Math.round(
    percentile(
      [...samples].sort((a, b) => a - b),
      0.5,
    ),
  )
}

async function reports(database: Db, curator: Actor, executor: Actor, input: StatsInput, department: number) {
  return {
    year: await median(() => ticketStats(database, curator, input)),
    department: await median(() => ticketStats(database, curator, { ...input, departmentId: department })),
    executor: await median(() => ticketStats(database, executor, input)),
  }
}

try {
  await migrateToLatest(db)
  const today = localDay(now(), tz)
  const input: StatsInput = { period: daysPeriod(addDays(today, -364), today, tz), granularity: 'month', tz }
  const executorRow = await db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'executor')
    .orderBy('id')
    .executeTakeFirstOrThrow()
  const department = await db
    .selectFrom('tickets')
    .select('department_id')
    .where('department_id', 'is not', null)
    .groupBy('department_id')
    .orderBy((eb) => eb.fn.countAll(), 'desc')
    .executeTakeFirstOrThrow()
  const curator: Actor = { ...systemActor('web'), role: 'admin' }
  const executor: Actor = { ...systemActor('web'), id: executorRow.id, role: 'executor' }
  const tickets = await db
    .selectFrom('tickets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()

  await db.deleteFrom('stats_daily').execute()
  await db.deleteFrom('stats_daily_days').execute()
  const live = await reports(db, curator, executor, input, Number(department.department_id))
  const fillStarted = performance.now()
  let days = 0
  for (let step = await refreshStatsDaily(db, tz); step > 0; step = await refreshStatsDaily(db, tz)) days += step
  const fill = Math.round(performance.now() - fillStarted)
  const rows = await db
    .selectFrom('stats_daily')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  const summary = await reports(db, curator, executor, input, Number(department.department_id))

  process.stdout.write(
    [
      `${config.database.kind}, ${Number(tickets.n)} tickets, a year's report (${input.period.from} … ${input.period.to}), medians of ${runs}, ms`,
      `summary: ${days} days, ${Number(rows.n)} rows, filled in ${fill} ms`,
      '| report | live | summary |',
      '| --- | ---: | ---: |',
      `| a year, everyone | ${live.year} | ${summary.year} |`,
      `| a year, one department | ${live.department} | ${summary.department} |`,
      `| a year, an executor's own | ${live.executor} | ${summary.executor} |`,
      '',
    ].join('\n'),
  )
} finally {
  await db.destroy()
}
