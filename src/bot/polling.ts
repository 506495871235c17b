import { type Bot, GrammyError, HttpError } from 'grammy'
import type { Update } from 'grammy/types'
import type { Db } from '#src/db/schema.ts'
import { acquireLease, releaseLease, renewLease } from '#src/jobs/lease.ts'
import type { Logger } from '#src/logger.ts'
import type { UpdateApplier } from './apply-update.ts'
import type { BotContext } from './context.ts'

/**
 * Long polling (the default transport; COMPLIANCE.md §6). Exactly one poller in the installation: the
 * holder of the `telegram-poller` lease; the others wait and try again. Updates are applied one by one
 * through the applier, in order; the offset moves past an update only once it is applied (or given up),
 * so a crash re-reads the batch and the inbox drops what was already applied.
 *
 * The first request after taking the lease has no offset: Telegram then hands out every update not yet
 * confirmed. (Starting from «the largest update_id in the inbox + 1» would be wrong after a week without
 * updates, when Telegram starts numbering anew from a random value.)
 *
 * A 409 Conflict (another getUpdates, or a webhook set) is an alert — logged at error level at most
 * once a minute — and the poller backs off; network errors back off from 1 s to 30 s. Never a crash loop.
 */

export const POLLER_LEASE = 'telegram-poller'

export interface PollingDeps {
  db: Db
  bot: Bot<BotContext>
  logger: Logger
  /** Names this instance in the lease table. */
  holder: string
  applier: UpdateApplier
  /** Seconds Telegram holds a getUpdates open. Default 25. */
  pollTimeoutSeconds?: number
  leaseTtlMs?: number
  /** How often an instance without the lease tries to take it. Default a third of the TTL. */
  standbyRetryMs?: number
  /** Backoff after a failure: from `minBackoffMs` doubling to `maxBackoffMs`. */
  minBackoffMs?: number
  maxBackoffMs?: number
  /** Backoff after a 409. Default 10 s. */
  conflictBackoffMs?: number
  allowedUpdates?: ReadonlyArray<'message' | 'edited_message' | 'callback_query' | 'my_chat_member'>
}

export interface Poller {
  /** True while this instance holds the lease and polls. */
  readonly polling: boolean
  stop(): Promise<void>
}

const ALERT_EVERY_MS = 60_000

export function startPolling(deps: PollingDeps): Poller {
  const { db, bot, holder, applier } = deps
  const logger = deps.logger.child({ component: 'telegram-poller', holder })
  const timeout = deps.pollTimeoutSeconds ?? 25
  const leaseTtlMs = deps.leaseTtlMs ?? Math.max(60_000, (timeout + 30) * 1000)
  const standbyRetryMs = deps.standbyRetryMs ?? Math.round(leaseTtlMs / 3)
  const minBackoffMs = deps.minBackoffMs ?? 1000
  const maxBackoffMs = deps.maxBackoffMs ?? 30_000
  const conflictBackoffMs = deps.conflictBackoffMs ?? 10_000
  const allowedUpdates = deps.allowedUpdates ?? ['message', 'edited_message', 'callback_query', 'my_chat_member']

  let stopped = false
  let leader = false
  let offset: number | undefined
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

  const backOff = async (): Promise<void> => {
    const ms = backoffMs
    backoffMs = Math.min(maxBackoffMs, backoffMs * 2)
    await sleep(ms)
  }

  const holdLease = async (): Promise<boolean> => {
    if (leader) {
      leader = await renewLease(db, POLLER_LEASE, holder, leaseTtlMs)
      if (!leader) logger.warn('poller lease lost')
    } else {
      leader = await acquireLease(db, POLLER_LEASE, holder, leaseTtlMs)
      if (leader) {
        offset = undefined
        logger.info('poller lease taken: polling Telegram')
      }
    }
    return leader
  }

  const applyBatch = async (updates: Update[]): Promise<void> => {
    for (const update of updates) {
      if (stopped) return
      // Throws when the update failed and may succeed later: the offset stays, the batch comes again.
      await applier.apply(update)
      offset = update.update_id + 1
    }
  }

  const round = async (): Promise<void> => {
    if (!(await holdLease())) {
      await sleep(standbyRetryMs)
      return
    }
    const updates = await bot.api.getUpdates(
      { ...(offset !== undefined ? { offset } : {}), timeout, limit: 100, allowed_updates: [...allowedUpdates] },
      // grammY types the signal as the abort-controller shim's; node-fetch takes Node's own at run time.
      abort.signal as unknown as Parameters<typeof bot.api.getUpdates>[1],
    )
    if (stopped) return
    if (updates.length > 0 && !(await holdLease())) return
    await applyBatch(updates)
    backoffMs = minBackoffMs
  }

  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        await round()
      } catch (error) {
        if (stopped) break
        if (error instanceof GrammyError && error.error_code === 409) {
          const t = performance.now()
          if (t - lastAlertAt >= ALERT_EVERY_MS) {
            lastAlertAt = t
            logger.error(
              { alert: 'telegram_conflict', description: error.description.slice(0, 200) },
              'Telegram answered 409 Conflict: another instance polls with this token, or a webhook is set',
            )
          }
          await sleep(conflictBackoffMs)
        } else if (error instanceof HttpError) {
          logger.warn({ error: 'network', backoffMs }, 'Telegram unreachable, polling again later')
          await backOff()
        } else if (error instanceof GrammyError) {
          logger.error({ errorCode: error.error_code, backoffMs }, 'getUpdates refused')
          await backOff()
        } else {
          // An update failed (logged by the applier) or the database is away.
          logger.warn({ backoffMs }, 'polling round failed')
          await backOff()
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
          await releaseLease(db, POLLER_LEASE, holder)
        } catch (error) {
          logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'could not release the poller lease')
        }
      }
      logger.info('poller stopped')
    },
  }
}
