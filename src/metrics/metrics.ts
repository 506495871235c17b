import type { MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { sql } from 'kysely'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { AppEnv } from '#src/api/env.ts'
import { lastGoodBackupAt } from '#src/backup/backup-log.ts'
import { connectionWaitsOf } from '#src/db/database.ts'
import { type Db, ticketStatuses } from '#src/db/schema.ts'
import { nowDate } from '#src/db/time.ts'
import { registerProcessMeters } from './meters.ts'

/**
 * The app's metrics (issue 11, «Metrics and health»), in Prometheus text format. One registry per app:
 * tests build many apps in one process, and prom-client's global registry would refuse the second. What
 * the database knows (tickets by status, the outbox, failed jobs) is read at scrape time by one grouped
 * query each, so nothing has to be kept in step with the writes; the process-wide meters of the journal,
 * the bot and the Telegram channel are shared objects added to every registry (meters.ts).
 *
 * Labels are route templates, statuses and codes: never a raw path (ids, the secret of a one-time link),
 * a name or a chat id. A scrape is not personal data and is not journaled.
 */

/** The route label of a request no route answered (a 404 of an unknown path): one label for all. */
const UNMATCHED_ROUTE = 'unmatched'

/**
 * How long a scrape waits for the database: a hung server (or a pool whose every client waits on one) must
 * not hold the scrape past Prometheus' own timeout (10 s by default); the scrape then says database_up 0.
 */
const DATABASE_TIMEOUT_MS = 3000

/** Request durations: from a cached asset (~1 ms) to a year's statistics or a PDF (seconds). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export interface AppMetrics {
  /** Middleware that counts every request under its route template and status. */
  readonly observe: MiddlewareHandler<AppEnv>
  /** The text of a scrape (and its content type). */
  scrape(): Promise<{ body: string; contentType: string }>
}

export function createMetrics({ db }: { db: Db }): AppMetrics {
  const registry = new Registry()
  registerProcessMeters(registry)

  const labelNames = ['method', 'route', 'status'] as const
  const requests = new Counter({
    name: 'helpdesk_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames,
    registers: [registry],
  })
  const durations = new Histogram({
    name: 'helpdesk_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (until the handler returned; a stream counts until it started), by method, route template and status.',
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  })

  const databaseUp = new Gauge({
    name: 'helpdesk_database_up',
    help: '1 when the scrape could read the database, 0 when it could not (the figures from the database are then absent).',
    registers: [registry],
  })
  const tickets = new Gauge({
    name: 'helpdesk_tickets',
    help: 'Tickets by status.',
    labelNames: ['status'] as const,
    registers: [registry],
  })
  const outboxDepth = new Gauge({
    name: 'helpdesk_outbox_depth',
    help: 'Notices and bot messages waiting to be delivered (pending or being sent).',
    registers: [registry],
  })
  const outboxAge = new Gauge({
    name: 'helpdesk_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest notice waiting to be delivered; 0 when none waits.',
    registers: [registry],
  })
  const outboxFailed = new Gauge({
    name: 'helpdesk_outbox_failed',
    help: 'Notices that could not be delivered and will not be retried.',
    registers: [registry],
  })
  const jobsFailed = new Gauge({
    name: 'helpdesk_jobs_failed',
    help: 'Background jobs that failed for good (jobs table, status failed).',
    registers: [registry],
  })
  const waits = connectionWaitsOf(db)
  const dialect = waits?.dialect ?? 'unknown'
  const acquired = new Counter({
    name: 'helpdesk_db_connection_acquires_total',
    help: 'Database connections handed to queries and transactions (SQLite: turns at the one connection; PostgreSQL: pool checkouts).',
    labelNames: ['dialect'] as const,
    registers: [registry],
  })
  const waited = new Counter({
    name: 'helpdesk_db_connection_wait_seconds_total',
    help: "Seconds spent waiting for a database connection (SQLite: queued behind this process's open transaction, i.e. its write lock; PostgreSQL: waiting for a pool client).",
    labelNames: ['dialect'] as const,
    registers: [registry],
  })
  const pool = new Gauge({
    name: 'helpdesk_db_pool_clients',
    help: 'PostgreSQL pool clients by state: total, idle, and requests waiting for one (absent on SQLite).',
    labelNames: ['state'] as const,
    registers: [registry],
  })
  const backup = new Gauge({
    name: 'helpdesk_backup_last_success_timestamp_seconds',
    help: 'When the last backup that was made and verified by a trial restore finished (Unix seconds); absent when there was none.',
    registers: [registry],
  })

  /** Counters that mirror running totals kept elsewhere: reset, then set to the total. */
  const mirror = (counter: Counter<'dialect'>, value: number) => {
    counter.reset()
    counter.inc({ dialect }, value)
  }

  const collectDatabase = async () => {
    tickets.reset()
    pool.reset()
    if (waits) {
      mirror(acquired, waits.acquired)
      mirror(waited, waits.waitedSeconds)
      if (waits.pool) {
        pool.set({ state: 'total' }, waits.pool.totalCount)
        pool.set({ state: 'idle' }, waits.pool.idleCount)
        pool.set({ state: 'waiting' }, waits.pool.waitingCount)
      }
    }
    // Both asked at once, so that a database that does not answer holds the scrape 3 s, not twice that.
    const figuresRead = withinTime(readFigures(db), DATABASE_TIMEOUT_MS)
    const backupRead = withinTime(lastGoodBackupAt(db), DATABASE_TIMEOUT_MS).catch(() => null)
    try {
      const figures = await figuresRead
      for (const status of ticketStatuses) tickets.set({ status }, figures.tickets.get(status) ?? 0)
      outboxDepth.set(figures.outboxDepth)
      outboxFailed.set(figures.outboxFailed)
      outboxAge.set(
        figures.oldestPending === null
          ? 0
          : Math.max(0, (nowDate().getTime() - Date.parse(figures.oldestPending)) / 1000),
      )
      jobsFailed.set(figures.jobsFailed)
      databaseUp.set(1)
    } catch {
      // The database is away (a 503 elsewhere): the process's own figures are still worth a scrape, and
      // what the database would have said is unknown: no sample (a gap on a graph), not a reassuring 0.
      // (`remove()`, not `reset()`: prom-client resets a gauge without labels to 0.)
      for (const gauge of [outboxDepth, outboxAge, outboxFailed, jobsFailed]) gauge.remove()
      databaseUp.set(0)
    }
    backup.remove()
    // No backup yet, or the database away: no sample at all, so that «older than a day» alerts on absence
    // too rather than on a timestamp of 0.
    const at = await backupRead
    if (at !== null) backup.set(Date.parse(at) / 1000)
  }

  let defaultsStarted = false
  // Two Prometheus servers (an HA pair) may scrape at once; a collection resets the labelled gauges before
  // it refills them, so scrapes take turns rather than one printing the other's half-filled gauges.
  let previous: Promise<unknown> = Promise.resolve()
  const collect = async () => {
    // The event-loop monitor ticks every 10 ms and a GC observer hears every collection: started with the
    // first scrape, so that the many apps of a test run that are never scraped cost nothing.
    if (!defaultsStarted) {
      defaultsStarted = true
      collectDefaultMetrics({ register: registry, prefix: 'helpdesk_' })
    }
    await collectDatabase()
    return { body: await registry.metrics(), contentType: registry.contentType }
  }
  return {
    observe: async (c, next) => {
      const started = performance.now()
      try {
        await next()
      } finally {
        const labels = { method: methodLabel(c.req.method), route: routeTemplate(c), status: String(c.res.status) }
        requests.inc(labels)
        durations.observe(labels, (performance.now() - started) / 1000)
      }
    },
    scrape() {
      const turn = previous.then(collect, collect)
      previous = turn.catch(() => undefined)
      return turn
    },
  }
}

const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

function methodLabel(method: string): string {
  return knownMethods.has(method) ? method : 'other'
}

/**
 * The template of the route the request was for (`/tickets/:id`), as Hono matched it: the last matched
 * route of a method, even when a middleware answered first (the login redirect of a page). Only
 * middleware (`use`) matched a path no route knows: `unmatched`, whatever the path, so that a scan of
 * random paths cannot grow the label set.
 */
function routeTemplate(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  return matchedRoutes(c).findLast((route) => route.method !== 'ALL')?.path ?? UNMATCHED_ROUTE
}

/** The work's result, or a rejection once `ms` have passed (the work then ends unheard). */
async function withinTime<T>(work: Promise<T>, ms: number): Promise<T> {
  work.catch(() => undefined)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the database in ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

interface Figures {
  tickets: Map<string, number>
  outboxDepth: number
  outboxFailed: number
  oldestPending: string | null
  jobsFailed: number
}

async function readFigures(db: Db): Promise<Figures> {
  const byStatus = await db
    .selectFrom('tickets')
    .select(['status', sql<number>`count(*)`.as('n')])
    .groupBy('status')
    .execute()
  // Sent rows pile up for years: each count filters on the status index instead of reading the table.
  const waiting = await db
    .selectFrom('outbox')
    .select([sql<number>`count(*)`.as('depth'), sql<string | null>`min(created_at)`.as('oldest')])
    .where('status', 'in', ['pending', 'sending'])
    .executeTakeFirstOrThrow()
  const failed = await db
    .selectFrom('outbox')
    .select(sql<number>`count(*)`.as('n'))
    .where('status', '=', 'failed')
    .executeTakeFirstOrThrow()
  const jobs = await db
    .selectFrom('jobs')
    .select(sql<number>`count(*)`.as('n'))
    .where('status', '=', 'failed')
    .executeTakeFirstOrThrow()
  return {
    tickets: new Map(byStatus.map((row) => [row.status, Number(row.n)])),
    outboxDepth: Number(waiting.depth),
    outboxFailed: Number(failed.n),
    oldestPending: waiting.oldest,
    jobsFailed: Number(jobs.n),
  }
}
