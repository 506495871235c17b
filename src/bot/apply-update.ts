import type { Bot } from 'grammy'
import type { Update } from 'grammy/types'
import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import type { Logger } from '#src/logger.ts'
import { botUpdates } from '#src/metrics/meters.ts'
import { clip } from '#src/notify/notice-texts.ts'
import { type BotContext, bindScope, type UpdateScope } from './context.ts'
import { logBotError } from './create-bot.ts'
import { texts } from './texts.ts'

/**
 * The inbox rule (ARCHITECTURE.md, data-flow rules): an update is recorded by `update_id` in the same
 * transaction as its effects — the use cases' rows, the journal, and the bot's replies (outbox rows).
 * A replay finds its row and has no second effect. An exception rolls the whole update back; the caller
 * (poller, webhook) lets Telegram deliver it again, and after `maxAttempts` failures of the same update
 * it is recorded as failed (`kind` = `failed:<kind>`) so that one poisonous update cannot stall the chat.
 *
 * After the commit: the callback query is answered (the one direct Bot API call), and `onCommitted`
 * wakes the worker so the replies leave at once.
 */

export type ApplyOutcome = 'applied' | 'replayed' | 'gave_up'

/**
 * Work that must not hold the transaction (downloading a ticket's files from the Bot API): runs before
 * it opens, skipped for an update already applied; what it returns reaches the handlers as
 * `ctx.scope.prepared`. Files it writes are content-addressed, so a rolled-back or repeated update
 * leaves at worst an unreferenced file (ARCHITECTURE.md: the row is the truth). A throw counts as a failed
 * try of the update; on the last try (`lastTry`) the preparer should give up what still fails and go on,
 * so that one file that never downloads cannot hold the chat's updates back.
 */
export type UpdatePreparer = (update: Update, attempt: { lastTry: boolean }) => Promise<unknown>

export interface UpdateApplierDeps {
  db: Db
  bot: Bot<BotContext>
  config: Config
  logger: Logger
  /** Called after each committed update that had effects (wake the outbox). */
  onCommitted?: () => void
  prepare?: UpdatePreparer
  /** Failures of one update before it is recorded as failed. Default 3. */
  maxAttempts?: number
}

export interface UpdateApplier {
  /** Applies one update exactly once. Throws when it failed and may be tried again. */
  apply(update: Update): Promise<ApplyOutcome>
}

const MAX_TRACKED_FAILURES = 1000

export function createUpdateApplier(deps: UpdateApplierDeps): UpdateApplier {
  const { db, bot, config } = deps
  const logger = deps.logger.child({ component: 'bot' })
  const maxAttempts = deps.maxAttempts ?? 3
  const failures = new Map<number, number>()

  const answerCallback = async (update: Update, answer: UpdateScope['callbackAnswer']): Promise<void> => {
    const query = update.callback_query
    if (!query) return
    try {
      await bot.api.answerCallbackQuery(query.id, {
        // Telegram takes at most 200 characters here.
        ...(answer?.text ? { text: clip(answer.text, 200) } : {}),
        ...(answer?.showAlert ? { show_alert: true } : {}),
      })
    } catch (error) {
      // Too late (Telegram keeps a query for a short while) or Telegram away: the effects are committed.
      logger.warn({ updateId: update.update_id, error: errorCode(error) }, 'callback query not answered')
    }
  }

  const giveUp = async (update: Update, kind: string): Promise<void> => {
    await db
      .insertInto('telegram_inbox')
      .values({ update_id: update.update_id, kind: `failed:${kind}`.slice(0, 64), received_at: now() })
      .onConflict((oc) => oc.column('update_id').doNothing())
      .execute()
    logger.error({ updateId: update.update_id, kind, attempts: maxAttempts }, 'bot update given up, recorded as failed')
    await answerCallback(update, { text: texts.failed, showAlert: true })
  }

  const applyOnce = async (update: Update): Promise<ApplyOutcome> => {
    const kind = updateKind(update)
    if (deps.prepare && (await alreadyApplied(db, update.update_id))) return 'replayed'
    let answer: UpdateScope['callbackAnswer']
    let outcome: ApplyOutcome
    try {
      const lastTry = (failures.get(update.update_id) ?? 0) + 1 >= maxAttempts
      // Recorded below without effect: the handlers, and the files' download, read these fields as what the Bot
      // API says they are.
      const ignored = malformed(update)
      const prepared = ignored ? undefined : await deps.prepare?.(update, { lastTry })
      outcome = await transact(db, async (tx) => {
        const recorded = await tx
          .insertInto('telegram_inbox')
          .values({ update_id: update.update_id, kind, received_at: now() })
          .onConflict((oc) => oc.column('update_id').doNothing())
          .returning('update_id')
          .executeTakeFirst()
        if (!recorded) return 'replayed'
        if (ignored) {
          logger.warn({ updateId: update.update_id, kind }, 'malformed bot update ignored')
          return 'applied'
        }
        const scope: UpdateScope = {
          tx,
          config,
          logger,
          person: undefined,
          callbackAnswer: undefined,
          prepared,
        }
        const unbind = bindScope(update, scope)
        try {
          await bot.handleUpdate(update)
        } finally {
          unbind()
        }
        answer = scope.callbackAnswer
        return 'applied'
      })
    } catch (error) {
      const attempts = (failures.get(update.update_id) ?? 0) + 1
      logBotError(logger, error, { updateId: update.update_id, kind, attempt: attempts })
      if (attempts >= maxAttempts) {
        failures.delete(update.update_id)
        await giveUp(update, kind)
        return 'gave_up'
      }
      if (failures.size >= MAX_TRACKED_FAILURES) failures.clear()
      failures.set(update.update_id, attempts)
      throw error
    }
    failures.delete(update.update_id)
    if (outcome === 'applied') {
      deps.onCommitted?.()
      await answerCallback(update, answer)
    }
    return outcome
  }

  return {
    async apply(update) {
      const outcome = await applyOnce(update)
      // Counted once here, whichever way the update went (a throw is retried, and counted then).
      botUpdates.inc({ outcome })
      return outcome
    },
  }
}

/**
 * An update whose texts are not strings (a `text`, `caption` or callback `data` of another type), or whose
 * entities have no text to point into: no Telegram sends one, but a forged webhook call may, and grammY's filters
 * only check that a field is there (the bot's fuzzer made handlers throw: seed 361891124 on a number for a text,
 * 362889651 on command entities without a text).
 */
export function malformed(update: Update): boolean {
  const fields = update as unknown as Record<string, unknown>
  for (const key of ['message', 'edited_message', 'callback_query']) {
    const part = fields[key]
    if (part === undefined) continue
    if (typeof part !== 'object' || part === null) return true
    const { text, caption, data, entities, caption_entities } = part as Record<string, unknown>
    for (const value of [text, caption, data]) {
      if (value !== undefined && typeof value !== 'string') return true
    }
    // Entities point into their text: grammY's command filter reads one that is not there.
    if (entities !== undefined && (typeof text !== 'string' || !Array.isArray(entities))) return true
    if (caption_entities !== undefined && (typeof caption !== 'string' || !Array.isArray(caption_entities))) return true
  }
  return false
}

/** The update's kind: its one field besides `update_id` (`message`, `callback_query`, …). */
export function updateKind(update: Update): string {
  const key = Object.keys(update).find((k) => k !== 'update_id')
  return (key ?? 'unknown').slice(0, 64)
}

async function alreadyApplied(db: Db, updateId: number): Promise<boolean> {
  const row = await db
    .selectFrom('telegram_inbox')
    .select('update_id')
    .where('update_id', '=', updateId)
    .executeTakeFirst()
  return row !== undefined
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'error_code' in error) return String(error.error_code)
  return error instanceof Error ? error.name : 'unknown'
}
