import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Config } from '#src/config.ts'
import type { Db, Job } from '#src/db/schema.ts'
import { nowDate } from '#src/db/time.ts'
import type { Logger } from '#src/logger.ts'
import type { NoticeChannel } from '#src/notify/channel.ts'
import { createSendPacing, type DrainOptions, drainOutbox } from '#src/notify/deliver.ts'
import { acquireLease, releaseLease } from './lease.ts'
import { claimDueJobs, completeJob, failJob } from './queue.ts'
import { defaultSchedules, type Schedule } from './schedules.ts'

/**
 * The background worker: one loop per process that (a) runs due jobs, (b) runs the schedules and
 * (c) drains the outbox. Every instance runs jobs (claims are exclusive); only the holder of the
 * scheduler lease runs the schedules and sends notices, so that the rate limits towards Telegram hold
 * for the whole installation, not per instance.
 *
 * The loop is a chain of timeouts, never a busy wait: soon again while there is more work,
 * otherwise after `pollIntervalMs`, and slower while rounds keep failing (the database is away).
 * No error escapes it: each is logged and the next round comes.
 */

export interface JobContext {
  db: Db
  config: Config
  logger: Logger
  job: Job
}

/** Runs one job. The payload is JSON as stored: validate it (zod) before use. */
export type JobHandler = (payload: unknown, context: JobContext) => Promise<void>
export type JobHandlers = Readonly<Record<string, JobHandler>>

/** Thrown by a handler when retrying cannot help (a malformed payload, a record that is gone). */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError'
}

export interface WorkerDeps {
  db: Db
  config: Config
  logger: Logger
  channels: readonly NoticeChannel[]
  handlers?: JobHandlers
  /** The periodic work; the ticket schedules (deadlines, auto-close) unless given. */
  schedules?: readonly Schedule[]
  /** Names this instance in the lease table and the logs. */
  id?: string
  pollIntervalMs?: number
  leaseTtlMs?: number
  jobBatch?: number
  outbox?: Omit<DrainOptions, 'pacing' | 'logger'>
}

export interface Worker {
  readonly id: string
  /** Runs a round now (or right after the current one): the bot committed replies to deliver. */
  wake(): void
  /** Finishes the current round, then stops and gives up the lease. */
  stop(): Promise<void>
}

export const SCHEDULER_LEASE = 'scheduler'
const MAX_IDLE_BACKOFF_MS = 30_000
const BUSY_BREATH_MS = 10

export function startWorker(deps: WorkerDeps): Worker {
  const { db, config } = deps
  const id = deps.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const logger = deps.logger.child({ worker: id })
  const handlers = deps.handlers ?? {}
  const schedules = deps.schedules ?? defaultSchedules
  const pollIntervalMs = deps.pollIntervalMs ?? 1000
  const leaseTtlMs = deps.leaseTtlMs ?? 30_000
  const jobBatch = deps.jobBatch ?? 10
  const outboxLimit = deps.outbox?.limit ?? 25
  // Each messenger is paced on its own (Telegram: 1/s a chat, 25/s; MAX: its own limits, channel.ts).
  const pacings = new Map(deps.channels.map((channel) => [channel.name, createSendPacing()]))
  const lastRun = new Map<string, number>()

  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let current: Promise<void> | undefined
  let ticking = false
  let wakeRequested = false
  let failures = 0
  let leaseValidUntil = 0
  let nextLeaseCheck = 0

  /** Runs `work`, logging instead of throwing; undefined when it failed. */
  const guarded = async <T>(what: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work()
    } catch (error) {
      failures++
      logger.error({ err: error, phase: what }, 'worker phase failed')
      return undefined
    }
  }

  const holdLease = async (): Promise<boolean> => {
    const t = nowDate().getTime()
    if (t >= nextLeaseCheck || t < nextLeaseCheck - leaseTtlMs) {
      const wasLeader = leaseValidUntil > t
      nextLeaseCheck = t + leaseTtlMs / 3
      leaseValidUntil = 0
      const held = await acquireLease(db, SCHEDULER_LEASE, id, leaseTtlMs)
      leaseValidUntil = held ? t + leaseTtlMs : 0
      if (held !== wasLeader) logger.info({ lease: SCHEDULER_LEASE, held }, held ? 'lease taken' : 'lease lost')
    }
    return leaseValidUntil > nowDate().getTime()
  }

  const runSchedules = async (): Promise<void> => {
    for (const schedule of schedules) {
      if (stopped) return
      const t = nowDate().getTime()
      const last = lastRun.get(schedule.name)
      // A clock that went backwards (tests, NTP) counts as due rather than stalling the schedule.
      if (last !== undefined && t - last < schedule.everyMs && t >= last) continue
      lastRun.set(schedule.name, t)
      try {
        const changed = await schedule.run(db)
        if (changed > 0) logger.info({ schedule: schedule.name, changed }, 'schedule ran')
      } catch (error) {
        // One broken schedule is logged and tried again at its next time; it does not slow the loop.
        logger.error({ err: error, schedule: schedule.name }, 'schedule failed')
      }
    }
  }

  const runJob = async (job: Job): Promise<void> => {
    const handler = handlers[job.kind]
    const fields = { jobId: job.id, kind: job.kind, attempt: job.attempts }
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`)
      let payload: unknown
      try {
        payload = JSON.parse(job.payload)
      } catch {
        throw new PermanentJobError('payload is not JSON')
      }
      await handler(payload, { db, config, logger, job })
      if (!(await completeJob(db, job))) logger.warn(fields, 'job finished after its claim was lost')
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const outcome = await failJob(db, job, message, { permanent: error instanceof PermanentJobError })
      const log = outcome === 'failed' ? logger.error.bind(logger) : logger.warn.bind(logger)
      log({ ...fields, outcome, error: message }, 'job failed')
    }
  }

  const runJobs = async (): Promise<boolean> => {
    const jobs = await claimDueJobs(db, jobBatch, id)
    for (const job of jobs) {
      await guarded(`job:${job.kind}`, () => runJob(job))
    }
    return jobs.length >= jobBatch
  }

  const drain = async (): Promise<boolean> => {
    let more = false
    for (const channel of deps.channels) {
      const result = await drainOutbox(db, [channel], {
        ...deps.outbox,
        ...channel.limits,
        limit: outboxLimit,
        pacing: pacings.get(channel.name) ?? createSendPacing(),
        logger,
      })
      if (result.claimed > 0) logger.debug({ channel: channel.name, ...result }, 'outbox drained')
      more ||= result.claimed >= outboxLimit
    }
    return more
  }

  const round = async (): Promise<boolean> => {
    const failuresBefore = failures
    const leader = (await guarded('lease', holdLease)) ?? false
    if (leader && !stopped) await guarded('schedules', runSchedules)
    const moreJobs = stopped ? false : ((await guarded('jobs', runJobs)) ?? false)
    const moreNotices = leader && !stopped ? ((await guarded('outbox', drain)) ?? false) : false
    if (failures === failuresBefore) failures = 0
    return moreJobs || moreNotices
  }

  const tick = async (): Promise<void> => {
    let more = false
    ticking = true
    wakeRequested = false
    try {
      more = await round()
    } catch (error) {
      // round() guards each phase; this is the last line, so that the loop never dies.
      failures++
      logger.error({ err: error }, 'worker round failed')
    } finally {
      ticking = false
    }
    if (stopped) return
    more ||= wakeRequested
    // Even with more work waiting, a short breath: another process writing the same SQLite file (the
    // CLI) gets the write lock in that gap, where a back-to-back loop could starve it.
    const delay = more ? BUSY_BREATH_MS : Math.min(MAX_IDLE_BACKOFF_MS, pollIntervalMs * 2 ** Math.min(failures, 10))
    timer = setTimeout(() => {
      current = tick()
    }, delay)
  }

  timer = setTimeout(() => {
    current = tick()
  }, 0)
  logger.info({ jobKinds: Object.keys(handlers), schedules: schedules.map((s) => s.name) }, 'worker started')

  return {
    id,
    wake() {
      if (stopped) return
      if (ticking) {
        wakeRequested = true
        return
      }
      clearTimeout(timer)
      timer = setTimeout(() => {
        current = tick()
      }, 0)
    },
    async stop() {
      if (stopped) return
      stopped = true
      clearTimeout(timer)
      await current
      if (leaseValidUntil > 0) {
        await guarded('release lease', () => releaseLease(db, SCHEDULER_LEASE, id))
        leaseValidUntil = 0
      }
      logger.info('worker stopped')
    },
  }
}
