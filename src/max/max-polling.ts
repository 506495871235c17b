import type { UpdateApplier } from '#src/bot/apply-update.ts'
import { type LeasedPoller, type PollerPacing, startLeasedPoller } from '#src/bot/leased-poller.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import type { Logger } from '#src/logger.ts'
import { type MaxApi, MaxApiError } from './max-api.ts'
import type { MaxUpdate, MaxUpdateType } from './max-types.ts'

/**
 * Long polling of MAX (MAX_MODE=polling; webhook is MAX's production mode, max-webhook.ts). One poller in the
 * installation — the holder of the `max-poller` lease, as for Telegram (src/bot/polling.ts). Updates are applied
 * one by one, in order, each exactly once through the inbox (max-inbox.ts). The marker — MAX's confirmation of
 * everything before it — is kept in `max_poll_state` and moves only once every update of the batch is committed:
 * a crash in between polls the batch again with the old marker, and the inbox drops what was already applied.
 * Without a stored marker (the very first start) MAX hands out only its latest update.
 *
 * Network errors, 5xx and 429 back off from 1 s to 30 s; a refused token (401/403), or a webhook subscription that
 * excludes polling (405, the schema's answer to GET /updates then), is an alert at most once a
 * minute. Never a crash loop.
 */

export const MAX_POLLER_LEASE = 'max-poller'
const STATE_NAME = 'poller'

/** What the bot reads from MAX: messages, presses, starts and stops of the dialog. */
export const MAX_SERVED_TYPES: readonly MaxUpdateType[] = [
  'message_created',
  'message_callback',
  'bot_started',
  'bot_stopped',
  'dialog_removed',
]

export interface MaxPollingDeps extends PollerPacing {
  db: Db
  api: MaxApi
  logger: Logger
  holder: string
  applier: UpdateApplier<MaxUpdate>
  /** Seconds MAX holds a poll open (0–90). Default 30. */
  pollTimeoutSeconds?: number
  leaseTtlMs?: number
}

export type MaxPoller = LeasedPoller

export function startMaxPolling(deps: MaxPollingDeps): MaxPoller {
  const { db, api, applier } = deps
  const timeout = deps.pollTimeoutSeconds ?? 30
  const leaseTtlMs = deps.leaseTtlMs ?? Math.max(60_000, (timeout + 40) * 1000)
  const logger = deps.logger.child({ component: 'max-poller', holder: deps.holder })

  return startLeasedPoller({
    db,
    logger,
    lease: MAX_POLLER_LEASE,
    holder: deps.holder,
    service: 'MAX',
    leaseTtlMs,
    pacing: deps,
    async fetch(signal) {
      const marker = await storedMarker(db)
      const batch = await api.getUpdates(
        { marker: marker ?? null, timeout, limit: 100, types: MAX_SERVED_TYPES },
        signal,
      )
      // The marker moves on once the whole batch is applied: an update that failed brings the batch again.
      const next = batch.marker
      const applied = next !== null && next !== marker ? () => storeMarker(db, next) : undefined
      return { updates: batch.updates, applied }
    },
    apply: (update) => applier.apply(update),
    failed(error, backoffMs, alertDue) {
      if (error instanceof MaxApiError && (error.status === 401 || error.status === 403 || error.status === 405)) {
        if (alertDue()) {
          logger.error(
            { alert: 'max_token_refused', status: error.status, code: error.code },
            'MAX refused the bot token (MAX_BOT_TOKEN), or a webhook subscription excludes polling',
          )
        }
      } else if (error instanceof MaxApiError) {
        logger.warn({ status: error.status, code: error.code, backoffMs }, 'MAX poll failed, polling again later')
      } else {
        // An update failed (logged by the applier) or the database is away.
        logger.warn({ backoffMs }, 'polling round failed')
      }
      return undefined
    },
  })
}

async function storedMarker(db: Db): Promise<number | undefined> {
  const row = await db.selectFrom('max_poll_state').select('marker').where('name', '=', STATE_NAME).executeTakeFirst()
  const marker = row ? Number(row.marker) : Number.NaN
  return Number.isSafeInteger(marker) ? marker : undefined
}

async function storeMarker(db: Db, marker: number): Promise<void> {
  const at = now()
  await db
    .insertInto('max_poll_state')
    .values({ name: STATE_NAME, marker: String(marker), updated_at: at })
    .onConflict((oc) => oc.column('name').doUpdateSet({ marker: String(marker), updated_at: at }))
    .execute()
}
