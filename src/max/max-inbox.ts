import { createHash } from 'node:crypto'
import type { Bot } from 'grammy'
import {
  createInboxApplier,
  type MessengerInbox,
  type UpdateApplier,
  type UpdatePreparer,
} from '#src/bot/apply-update.ts'
import type { BotContext } from '#src/bot/context.ts'
import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import type { Logger } from '#src/logger.ts'
import { clip } from '#src/notify/notice-texts.ts'
import { type MaxApi, MaxApiError } from './max-api.ts'
import { maxConversation, maxMalformed, maxUpdateKey } from './max-conversation.ts'
import type { MaxUpdate } from './max-types.ts'

/**
 * The applier of MAX's updates: the same rule as Telegram's (src/bot/apply-update.ts — recorded in the inbox in
 * the transaction of their effects, a replay has none, a poisonous one is given up after three tries), with
 * `max_inbox` keyed by `maxUpdateKey`, the mapping into the conversation model (max-conversation.ts), and the
 * answer to a press through POST /answers.
 */
export interface MaxApplierDeps {
  db: Db
  bot: Bot<BotContext>
  api: MaxApi
  config: Config
  logger: Logger
  onCommitted?: () => void
  prepare?: UpdatePreparer<MaxUpdate>
  maxAttempts?: number
}

export function createMaxUpdateApplier(deps: MaxApplierDeps): UpdateApplier<MaxUpdate> {
  const logger = deps.logger.child({ component: 'max-bot' })
  const kindOf = (update: MaxUpdate): string => {
    const type = (update as { update_type?: unknown }).update_type
    return (typeof type === 'string' ? type : 'unknown').slice(0, 64)
  }
  const inbox: MessengerInbox<MaxUpdate> = {
    messenger: 'max',
    key: maxUpdateKey,
    kind: kindOf,
    logFields: (update) => ({ updateKey: loggedKey(update) }),
    async record(tx, update, kind) {
      const recorded = await tx
        .insertInto('max_inbox')
        .values({ update_key: maxUpdateKey(update), kind, received_at: now() })
        .onConflict((oc) => oc.column('update_key').doNothing())
        .returning('update_key')
        .executeTakeFirst()
      return recorded !== undefined
    },
    async applied(db, update) {
      const row = await db
        .selectFrom('max_inbox')
        .select('update_key')
        .where('update_key', '=', maxUpdateKey(update))
        .executeTakeFirst()
      return row !== undefined
    },
    async recordFailed(db, update, kind) {
      await db
        .insertInto('max_inbox')
        .values({ update_key: maxUpdateKey(update), kind: `failed:${kind}`.slice(0, 64), received_at: now() })
        .onConflict((oc) => oc.column('update_key').doNothing())
        .execute()
    },
    conversation: maxConversation,
    malformed: maxMalformed,
    async answer(update, answer) {
      if (update.update_type !== 'message_callback' || typeof update.callback?.callback_id !== 'string') return
      // MAX wants a notification or a new message in every answer: a press with nothing to say is left unanswered
      // (the dialogues have edited or followed the message already).
      if (!answer?.text) return
      try {
        await deps.api.answerCallback(update.callback.callback_id, { notification: clip(answer.text, 200) })
      } catch (error) {
        logger.warn(
          { updateKey: loggedKey(update), error: error instanceof MaxApiError ? error.code : 'unknown' },
          'callback not answered',
        )
      }
    },
  }
  return createInboxApplier({
    db: deps.db,
    bot: deps.bot,
    config: deps.config,
    logger: deps.logger,
    inbox,
    ...(deps.onCommitted ? { onCommitted: deps.onCommitted } : {}),
    ...(deps.prepare ? { prepare: deps.prepare } : {}),
    ...(deps.maxAttempts !== undefined ? { maxAttempts: deps.maxAttempts } : {}),
  })
}

/**
 * The inbox key as the logs show it. A message's or a press's key names MAX's ids of the event (`mid`, callback id);
 * every other one is made of the person's MAX user and chat ids, which the logs never carry (apply-update.ts
 * `logFields`; B3 found them there): those are shown as a hash, enough to follow one update through the logs.
 */
export function loggedKey(update: MaxUpdate): string {
  const key = maxUpdateKey(update)
  if (/^(message_created|message_edited|callback|odd|long):/.test(key)) return key
  return `hash:${createHash('sha256').update(key).digest('hex').slice(0, 24)}`
}
