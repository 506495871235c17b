import type { Bot } from 'grammy'
import type { Update } from 'grammy/types'
import type { Config } from '#src/config.ts'
import type { Db, Messenger, Tx } from '#src/db/schema.ts'
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
export type UpdatePreparer<U = Update> = (update: U, attempt: { lastTry: boolean }) => Promise<unknown>

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

export interface UpdateApplier<U = Update> {
  /** Applies one update exactly once. Throws when it failed and may be tried again. */
  apply(update: U): Promise<ApplyOutcome>
}

/**
 * What a messenger's updates need of the applier (issue 15): an inbox of their own, keyed by what the messenger
 * gives (Telegram's `update_id`; for MAX see src/max/max-inbox.ts), the conversation update the features read
 * (grammY's `Update`: a private chat's message or button press — the channel-neutral model the dialogues are
 * written against; Telegram's updates are it already, MAX's are mapped to it), and the answer to a button press.
 */
export interface MessengerInbox<U> {
  readonly messenger: Messenger
  /** The update's inbox key, also what failures are counted by. */
  key(update: U): string | number
  /** Its kind for the inbox row and the logs (`message`, `callback_query`, `message_created`, …). */
  kind(update: U): string
  /** Ids for the logs (never texts, names or chat ids). */
  logFields(update: U): Record<string, unknown>
  /** Records it in the update's transaction; false when it was there already (a replay). */
  record(tx: Tx, update: U, kind: string): Promise<boolean>
  /** Whether it was applied before (checked before the preparer's downloads). */
  applied(db: Db, update: U): Promise<boolean>
  /** Records it as given up (`failed:<kind>`), outside any transaction. */
  recordFailed(db: Db, update: U, kind: string): Promise<void>
  /**
   * The conversation update to handle, mapped in the update's transaction; undefined when there is nothing for
   * the features (recorded without effect). `prepared` is what the preparer returned.
   */
  conversation(tx: Tx, update: U): Promise<Update | undefined>
  /** Whether the update is malformed (recorded without effect, never prepared). */
  malformed(update: U): boolean
  /** Answers a button press after the commit, if the update is one (the one direct API call of the bot). */
  answer(update: U, answer: UpdateScope['callbackAnswer']): Promise<void>
}

export interface InboxApplierDeps<U> {
  db: Db
  bot: Bot<BotContext>
  config: Config
  logger: Logger
  inbox: MessengerInbox<U>
  onCommitted?: () => void
  prepare?: UpdatePreparer<U>
  maxAttempts?: number
}

const MAX_TRACKED_FAILURES = 1000

/** The Telegram applier: its inbox is `telegram_inbox`, keyed by `update_id`. */
export function createUpdateApplier(deps: UpdateApplierDeps): UpdateApplier {
  const { bot } = deps
  const logger = deps.logger.child({ component: 'bot' })
  const inbox: MessengerInbox<Update> = {
    messenger: 'telegram',
    key: (update) => update.update_id,
    kind: updateKind,
    logFields: (update) => ({ updateId: update.update_id }),
    async record(tx, update, kind) {
      const recorded = await tx
        .insertInto('telegram_inbox')
        .values({ update_id: update.update_id, kind, received_at: now() })
        .onConflict((oc) => oc.column('update_id').doNothing())
        .returning('update_id')
        .executeTakeFirst()
      return recorded !== undefined
    },
    applied: (db, update) => alreadyApplied(db, update.update_id),
    async recordFailed(db, update, kind) {
      await db
        .insertInto('telegram_inbox')
        .values({ update_id: update.update_id, kind: `failed:${kind}`.slice(0, 64), received_at: now() })
        .onConflict((oc) => oc.column('update_id').doNothing())
        .execute()
    },
    conversation: async (_tx, update) => update,
    malformed,
    async answer(update, answer) {
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
    },
  }
  return createInboxApplier({ ...deps, inbox })
}

/** Applies a messenger's updates exactly once through its inbox (the rule above). */
export function createInboxApplier<U>(deps: InboxApplierDeps<U>): UpdateApplier<U> {
  const { db, bot, config, inbox } = deps
  const logger = deps.logger.child({ component: 'bot' })
  const maxAttempts = deps.maxAttempts ?? 3
  const failures = new Map<string | number, number>()

  const giveUp = async (update: U, kind: string): Promise<void> => {
    await inbox.recordFailed(db, update, kind)
    logger.error({ ...inbox.logFields(update), kind, attempts: maxAttempts }, 'bot update given up, recorded as failed')
    await inbox.answer(update, { text: texts.failed, showAlert: true })
  }

  const applyOnce = async (update: U): Promise<ApplyOutcome> => {
    const kind = inbox.kind(update)
    const key = inbox.key(update)
    if (deps.prepare && (await inbox.applied(db, update))) return 'replayed'
    let answer: UpdateScope['callbackAnswer']
    let outcome: ApplyOutcome
    try {
      const lastTry = (failures.get(key) ?? 0) + 1 >= maxAttempts
      // Recorded below without effect: the handlers, and the files' download, read these fields as what the
      // messenger's API says they are.
      const ignored = inbox.malformed(update)
      const prepared = ignored ? undefined : await deps.prepare?.(update, { lastTry })
      outcome = await transact(db, async (tx) => {
        if (!(await inbox.record(tx, update, kind))) return 'replayed'
        if (ignored) {
          logger.warn({ ...inbox.logFields(update), kind }, 'malformed bot update ignored')
          return 'applied'
        }
        const conversation = await inbox.conversation(tx, update)
        if (!conversation) return 'applied'
        const scope: UpdateScope = {
          tx,
          messenger: inbox.messenger,
          config,
          logger,
          person: undefined,
          callbackAnswer: undefined,
          prepared,
        }
        const unbind = bindScope(conversation, scope)
        try {
          await bot.handleUpdate(conversation)
        } finally {
          unbind()
        }
        answer = scope.callbackAnswer
        return 'applied'
      })
    } catch (error) {
      const attempts = (failures.get(key) ?? 0) + 1
      logBotError(logger, error, { ...inbox.logFields(update), kind, attempt: attempts })
      if (attempts >= maxAttempts) {
        // Forgotten only once recorded: if even the record fails, the next delivery gives up again, not anew.
        if (failures.size >= MAX_TRACKED_FAILURES) failures.clear()
        failures.set(key, attempts)
        await giveUp(update, kind)
        failures.delete(key)
        return 'gave_up'
      }
      if (failures.size >= MAX_TRACKED_FAILURES) failures.clear()
      failures.set(key, attempts)
      throw error
    }
    failures.delete(key)
    if (outcome === 'applied') {
      deps.onCommitted?.()
      await inbox.answer(update, answer)
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
