import type { Agent } from 'node:http'
import { Bot, BotError, type Middleware } from 'grammy'
import type { UserFromGetMe } from 'grammy/types'
import { z } from 'zod'
import type { Config } from '#src/config.ts'
import type { Db, User } from '#src/db/schema.ts'
import { isDomainError } from '#src/errors.ts'
import type { Logger } from '#src/logger.ts'
import { findUserByChatId } from '#src/users/user-store.ts'
import { BotContext } from './context.ts'
import { account } from './features/account.ts'
import { approvalDecisions } from './features/approval-decisions.ts'
import { cancel } from './features/cancel.ts'
import { duty } from './features/duty.ts'
import { equipmentStart } from './features/equipment-start.ts'
import { fallback, help } from './features/help.ts'
import { newTicket } from './features/new-ticket.ts'
import { outages } from './features/outages.ts'
import { reconsent } from './features/reconsent.ts'
import { registration } from './features/registration.ts'
import { registrationDecisions } from './features/registration-decisions.ts'
import { telegramLink } from './features/telegram-link.ts'
import { tickets } from './features/tickets.ts'

/**
 * The Telegram bot (STYLE.md: bot-base/telegram-bot-template): explicit dependencies, one Composer per
 * feature, one error boundary. The bot never sends by itself: every reply is an outbox row written in
 * the update's transaction (ctx.say), and updates reach it only through apply-update.ts.
 */
export interface BotDependencies {
  db: Db
  config: Config
  logger: Logger
  token: string
  /** A local Bot API server, or the fake one in tests (TELEGRAM_API_ROOT). */
  apiRoot?: string
  /** An HTTP(S) or SOCKS proxy agent (TELEGRAM_PROXY). */
  fetchAgent?: Agent
  /** Known bot info: skips getMe (tests). */
  botInfo?: UserFromGetMe
  /** Long polling holds a request this long; the client's timeout must outlast it. */
  clientTimeoutSeconds?: number
}

export function createBot(deps: BotDependencies): Bot<BotContext> {
  const bot = new Bot<BotContext>(deps.token, {
    ContextConstructor: BotContext,
    ...(deps.botInfo ? { botInfo: deps.botInfo } : {}),
    client: {
      ...(deps.apiRoot ? { apiRoot: deps.apiRoot.replace(/\/+$/, '') } : {}),
      ...(deps.fetchAgent ? { baseFetchConfig: { agent: deps.fetchAgent, compress: true } } : {}),
      timeoutSeconds: deps.clientTimeoutSeconds ?? 60,
    },
  })

  bot.use(servedUpdatesOnly)
  bot.use(domainErrorBoundary)
  bot.use(
    cancel,
    help,
    account,
    telegramLink,
    reconsent,
    registrationDecisions,
    // Issue 14: «Согласовать» / «Отклонить» an access request, and the reason of a rejection.
    approvalDecisions,
    // Issue 14: `/start eq_<id>` from a device's QR sticker, for active people (the rest go on to registration).
    equipmentStart,
    registration,
    // Issue 14: `/duty` (who is on duty now) and «Принял» under a critical ticket filed at night.
    duty,
    // Issue 14: «У меня тоже» / «Нет, у меня другое» and «Не присылать такие объявления» (massive outages).
    outages,
    newTicket,
    tickets,
    fallback,
  )

  // The boundary for errors outside apply-update's own handling (bot.start is never used; kept for safety).
  bot.catch((error) => logBotError(deps.logger, error))
  return bot
}

/**
 * Only private chats are served, and only messages and button presses: group and channel posts, edited
 * messages, member updates and kinds we do not know are recorded in the inbox and otherwise ignored.
 * Loads the person of the chat for the features.
 */
const servedUpdatesOnly: Middleware<BotContext> = async (ctx, next) => {
  const chat = ctx.chat
  const from = ctx.from
  if (chat?.type !== 'private' || !from || from.is_bot) return
  // In a private chat the chat is the person: a mismatch is not an update Telegram sends.
  if (from.id !== chat.id) return
  if (!ctx.message && !ctx.callbackQuery) return
  if (ctx.callbackQuery && ctx.callbackQuery.data === undefined) return
  // Telegram's updates are typed, but an odd one must be ignored, not crash a handler that trusts the type.
  if (!servedShape.safeParse(ctx.update).success) return
  withoutNul(ctx.message)
  const person = await findUserByChatId(ctx.tx, ctx.chatKey)
  if (person) await cameBack(ctx, person)
  ctx.person = person
  await next()
}

/**
 * The person wrote from this messenger: notices follow them there (notify/chat-key.ts), and if they had been marked
 * blocked there after a refusal, writing to the bot again means they unblocked it — notices resume.
 */
async function cameBack(ctx: BotContext, person: User): Promise<void> {
  const messenger = ctx.scope.messenger
  const blocked = messenger === 'max' ? 'max_blocked_at' : 'telegram_blocked_at'
  if (person[blocked] === null && person.messenger === messenger) return
  await ctx.tx
    .updateTable('users')
    .set({ [blocked]: null, messenger })
    .where('id', '=', person.id)
    .execute()
  person[blocked] = null
  person.messenger = messenger
}

/**
 * PostgreSQL cannot store NUL (U+0000) in text: a message carrying one would fail on every attempt and
 * be given up unanswered. The web refuses such input (api/validate.ts); the bot drops the character.
 */
function withoutNul(message: { text?: string; caption?: string } | undefined): void {
  if (!message) return
  if (typeof message.text === 'string') message.text = message.text.replaceAll('\u0000', '')
  if (typeof message.caption === 'string') message.caption = message.caption.replaceAll('\u0000', '')
}

const chatShape = z.looseObject({ id: z.number().int(), type: z.string() })
const messageShape = z.looseObject({
  message_id: z.number().int().positive(),
  chat: chatShape,
  text: z.string().optional(),
  caption: z.string().optional(),
  media_group_id: z.string().optional(),
  contact: z.looseObject({ phone_number: z.string(), user_id: z.number().int().optional() }).optional(),
})
/** The fields the features read, with the types they rely on. */
const servedShape = z.union([
  z.looseObject({ message: messageShape }),
  z.looseObject({
    callback_query: z.looseObject({
      id: z.string(),
      data: z.string(),
      message: z.looseObject({ message_id: z.number().int().nonnegative(), date: z.number(), chat: chatShape }),
    }),
  }),
])

/**
 * A refusal of the domain (DomainError) becomes a polite answer; the use case's savepoint has rolled
 * back its own writes, and the rest of the update commits. Anything else propagates: the whole update
 * rolls back and is tried again.
 */
const domainErrorBoundary: Middleware<BotContext> = async (ctx, next) => {
  try {
    await next()
  } catch (error) {
    if (!isDomainError(error)) throw error
    if (ctx.callbackQuery) ctx.answerLater(error.message, true)
    else await ctx.say({ text: error.message })
  }
}

/** Logs a failed update by ids and error codes only (never texts, names or chat ids). */
export function logBotError(logger: Logger, error: unknown, fields: Record<string, unknown> = {}): void {
  const inner = error instanceof BotError ? error.error : error
  const updateId = error instanceof BotError ? error.ctx.update.update_id : undefined
  logger.error(
    { ...(updateId !== undefined ? { updateId } : {}), ...fields, error: describeError(inner) },
    'bot update failed',
  )
}

/** Name, code and stack frames of an error — its message may quote personal data (SQL values). */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error }
  const code =
    'code' in error && (typeof error.code === 'string' || typeof error.code === 'number') ? error.code : undefined
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, 8)
    .map((line) => line.trim())
  return { name: error.name, ...(code !== undefined ? { code } : {}), frames }
}
