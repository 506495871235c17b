import { type Bot, GrammyError, HttpError } from 'grammy'
import type { Update } from 'grammy/types'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import type { UpdateApplier } from './apply-update.ts'
import type { BotContext } from './context.ts'
import { type LeasedPoller, type PollerPacing, startLeasedPoller } from './leased-poller.ts'

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

export interface PollingDeps extends PollerPacing {
  db: Db
  bot: Bot<BotContext>
  logger: Logger
  /** Names this instance in the lease table. */
  holder: string
  applier: UpdateApplier
  /** Seconds Telegram holds a getUpdates open. Default 25. */
  pollTimeoutSeconds?: number
  leaseTtlMs?: number
  /** Backoff after a 409. Default 10 s. */
  conflictBackoffMs?: number
  allowedUpdates?: ReadonlyArray<'message' | 'edited_message' | 'callback_query' | 'my_chat_member'>
}

export type Poller = LeasedPoller

export function startPolling(deps: PollingDeps): Poller {
  const { bot, applier } = deps
  const timeout = deps.pollTimeoutSeconds ?? 25
  const leaseTtlMs = deps.leaseTtlMs ?? Math.max(60_000, (timeout + 30) * 1000)
  const conflictBackoffMs = deps.conflictBackoffMs ?? 10_000
  const allowedUpdates = deps.allowedUpdates ?? ['message', 'edited_message', 'callback_query', 'my_chat_member']
  const logger = deps.logger.child({ component: 'telegram-poller', holder: deps.holder })
  let offset: number | undefined

  return startLeasedPoller({
    db: deps.db,
    logger,
    lease: POLLER_LEASE,
    holder: deps.holder,
    service: 'Telegram',
    leaseTtlMs,
    pacing: deps,
    onLeaseTaken: () => {
      offset = undefined
    },
    async fetch(signal) {
      const updates: Update[] = await bot.api.getUpdates(
        { ...(offset !== undefined ? { offset } : {}), timeout, limit: 100, allowed_updates: [...allowedUpdates] },
        // grammY types the signal as the abort-controller shim's; node-fetch takes Node's own at run time.
        signal as unknown as Parameters<typeof bot.api.getUpdates>[1],
      )
      return { updates }
    },
    async apply(update) {
      // Throws when the update failed and may succeed later: the offset stays, the batch comes again.
      await applier.apply(update)
      offset = update.update_id + 1
    },
    failed(error, backoffMs, alertDue) {
      if (error instanceof GrammyError && error.error_code === 409) {
        if (alertDue()) {
          logger.error(
            { alert: 'telegram_conflict', description: error.description.slice(0, 200) },
            'Telegram answered 409 Conflict: another instance polls with this token, or a webhook is set',
          )
        }
        return conflictBackoffMs
      }
      if (error instanceof HttpError)
        logger.warn({ error: 'network', backoffMs }, 'Telegram unreachable, polling again later')
      else if (error instanceof GrammyError)
        logger.error({ errorCode: error.error_code, backoffMs }, 'getUpdates refused')
      // An update failed (logged by the applier) or the database is away.
      else logger.warn({ backoffMs }, 'polling round failed')
      return undefined
    },
  })
}
