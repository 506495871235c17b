import type { Db } from '#src/db/schema.ts'
import { acquireLease, releaseLease, renewLease } from '#src/jobs/lease.ts'
import type { Logger } from '#src/logger.ts'

/** How a poller paces itself; each has a default, tests shorten them. */
export interface PollerPacing {
  /** How often an instance without the lease tries to take it. Default a third of the lease's TTL. */
  standbyRetryMs?: number
  /** Backoff after a failure: from `minBackoffMs` (1 s) doubling to `maxBackoffMs` (30 s), back to the least after a round. */
  minBackoffMs?: number
  maxBackoffMs?: number
}

/** One poll's updates, and what follows once every one of them is applied (MAX stores its marker). */
export interface PolledBatch<U> {
  updates: readonly U[]
  applied?: () => Promise<void>
}

/** What every messenger's poller shares (Telegram's src/bot/polling.ts, MAX's src/max/max-polling.ts). */
export interface LeasedPollerOptions<U> {
  db: Db
  logger: Logger
  /** The lease that makes one poller of the installation, and this instance's name in it. */
  lease: string
  holder: string
  /** Who is polled, for the log: «Telegram», «MAX». */
  service: string
  leaseTtlMs: number
  pacing: PollerPacing
  /** Called when this instance takes the lease (Telegram forgets its offset). */
  onLeaseTaken?: () => void
  /** One long poll, cut short by `signal` on stop. Throws to back off. */
  fetch: (signal: AbortSignal) => Promise<PolledBatch<U>>
  /** Applies one update; throws when it failed and may succeed later (the batch comes again). */
  apply: (update: U) => Promise<unknown>
  /**
   * A failed round, logged by the messenger's poller (`alertDue` is true at most once a minute, for errors that
   * want someone to act). Returns how long to wait, or undefined for the growing backoff.
   */
  failed: (error: unknown, backoffMs: number, alertDue: () => boolean) => number | undefined
}

export interface LeasedPoller {
  /** True while this instance holds the lease and polls. */
  readonly polling: boolean
  stop(): Promise<void>
}

const ALERT_EVERY_MS = 60_000

/**
 * Polls while holding a lease: the others wait and try again; failures back off, never a crash loop. A batch is
 * applied only after the lease is renewed (a long poll may outlast it), one update at a time until a stop;
 * `stop()` cuts a long poll short, waits for the update in hand and gives the lease up.
 */
export function startLeasedPoller<U>(options: LeasedPollerOptions<U>): LeasedPoller {
  const { db, lease, holder, logger } = options
  const standbyRetryMs = options.pacing.standbyRetryMs ?? Math.round(options.leaseTtlMs / 3)
  const minBackoffMs = options.pacing.minBackoffMs ?? 1000
  const maxBackoffMs = options.pacing.maxBackoffMs ?? 30_000
  let stopped = false
  let leader = false
  let backoffMs = minBackoffMs
  let lastAlertAt = Number.NEGATIVE_INFINITY
  const abort = new AbortController()
  let wake: (() => void) | undefined

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopped) {
        resolve()
        return
      }
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done
    })

  const holdLease = async (): Promise<boolean> => {
    if (leader) {
      leader = await renewLease(db, lease, holder, options.leaseTtlMs)
      if (!leader) logger.warn('poller lease lost')
    } else {
      leader = await acquireLease(db, lease, holder, options.leaseTtlMs)
      if (leader) {
        options.onLeaseTaken?.()
        logger.info(`poller lease taken: polling ${options.service}`)
      }
    }
    return leader
  }

  const alertDue = (): boolean => {
    const t = performance.now()
    if (t - lastAlertAt < ALERT_EVERY_MS) return false
    lastAlertAt = t
    return true
  }

  const applyBatch = async (batch: PolledBatch<U>): Promise<void> => {
    if (stopped || (batch.updates.length > 0 && !(await holdLease()))) return
    for (const update of batch.updates) {
      if (stopped) return
      await options.apply(update)
    }
    await batch.applied?.()
  }

  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        if (!(await holdLease())) {
          await sleep(standbyRetryMs)
          continue
        }
        await applyBatch(await options.fetch(abort.signal))
        backoffMs = minBackoffMs
      } catch (error) {
        if (stopped) break
        const waitMs = options.failed(error, backoffMs, alertDue)
        if (waitMs === undefined) {
          const ms = backoffMs
          backoffMs = Math.min(maxBackoffMs, backoffMs * 2)
          await sleep(ms)
        } else {
          await sleep(waitMs)
        }
      }
    }
  }

  const running = loop()

  return {
    get polling() {
      return leader && !stopped
    },
    async stop() {
      if (stopped) return
      stopped = true
      abort.abort()
      wake?.()
      await running
      if (leader) {
        leader = false
        try {
          await releaseLease(db, lease, holder)
        } catch (error) {
          logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'could not release the poller lease')
        }
      }
      logger.info('poller stopped')
    },
  }
}
