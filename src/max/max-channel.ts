import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import { createBotChannel, type Sent } from '#src/notify/bot-channel.ts'
import type { NoticeChannel, SendResult } from '#src/notify/channel.ts'
import { chatIdOf, messengerOf } from '#src/notify/chat-key.ts'
import { clip } from '#src/notify/notice-texts.ts'
import type { BotButton, BotMessage } from '#src/notify/outbox.ts'
import { inlineKeyboard, MAX_TEXT_LIMIT, type MaxApi, MaxApiError } from './max-api.ts'
import { messageNumberOf, midOfNumber } from './max-conversation.ts'
import type { MaxButton, MaxNewMessage } from './max-types.ts'

/**
 * The MAX channel of the outbox (issue 15): the same rows, renderings and rules as Telegram's
 * (src/notify/bot-channel.ts), put into a MAX dialog by POST /messages?user_id=…
 *
 * - Inline buttons are MAX `callback` buttons (the same callback data: MAX takes up to 1024 characters) and `link`
 *   buttons. MAX has no reply keyboard: the main menu's buttons become `message` buttons (pressing one sends its
 *   text, as a reply keyboard's button does), «Поделиться номером» a `request_contact` button; «remove» is nothing.
 * - An edit names our number of the message (max_messages): PUT /messages?message_id=<mid>. An edit of a message
 *   MAX no longer has becomes a new message, as in Telegram.
 * - MAX's answers: 429 → wait (`Retry-After` if given, else 1 s); 403 (the person stopped the bot) and a dialog
 *   that is gone → permanent; other 4xx → a plain failure; 5xx, network, timeouts, `attachment.not.ready` → retry.
 */
/** What the outbox sends to MAX in a second, under MAX's 30 requests a second. */
export const MAX_SENDS_PER_SECOND = 25

export interface MaxChannelDeps {
  db: Db
  config: Pick<Config, 'baseUrl'>
  logger: Logger
  api: MaxApi
}

export function createMaxChannel(deps: MaxChannelDeps): NoticeChannel {
  const { db, api } = deps

  const userOf = (chatKey: string): number | undefined => {
    if (messengerOf(chatKey) !== 'max') return undefined
    const id = Number(chatIdOf(chatKey))
    return Number.isSafeInteger(id) && id > 0 ? id : undefined
  }

  const send = async (chatKey: string, message: BotMessage): Promise<Sent> => {
    const userId = userOf(chatKey)
    if (userId === undefined) return { ok: false, result: { ok: false, permanent: true, error: 'not a MAX chat' } }
    const body = newMessage(message)
    if (message.editMessageId !== undefined) {
      const mid = await midOfNumber(db, message.editMessageId)
      if (mid !== undefined) {
        try {
          await api.editMessage(mid, { ...body, attachments: body.attachments ?? [] })
          return { ok: true, messageId: message.editMessageId }
        } catch (error) {
          if (!isGone(error)) return { ok: false, result: toMaxSendResult(error) }
        }
      }
    }
    try {
      const replyMid =
        message.replyToMessageId === undefined ? undefined : await midOfNumber(db, message.replyToMessageId)
      const sent = await api.sendMessage(
        { userId },
        { ...body, ...(replyMid !== undefined ? { link: { type: 'reply', mid: replyMid } } : {}) },
        { disableLinkPreview: true },
      )
      const messageId = await db.transaction().execute((tx) => messageNumberOf(tx, sent.body.mid))
      return { ok: true, messageId }
    } catch (error) {
      return { ok: false, result: toMaxSendResult(error) }
    }
  }

  const editButtons = async (chatKey: string, messageId: number, buttons: BotButton[][]): Promise<Sent> => {
    if (userOf(chatKey) === undefined) return { ok: true, messageId }
    const mid = await midOfNumber(db, messageId)
    if (mid === undefined) return { ok: true, messageId }
    try {
      // Text left out: kept. Attachments given: the keyboard replaced (none: removed).
      const rows = maxButtons(buttons)
      await api.editMessage(mid, { attachments: rows.length > 0 ? [inlineKeyboard(rows)] : [] })
      return { ok: true, messageId }
    } catch (error) {
      if (isGone(error)) return { ok: true, messageId }
      return { ok: false, result: toMaxSendResult(error) }
    }
  }

  return {
    ...createBotChannel({ ...deps, name: 'max', transport: { send, editButtons } }),
    // MAX asks for at most 30 requests a second in all; the button answers and polls take the rest.
    limits: { globalPerSecond: MAX_SENDS_PER_SECOND, perChatIntervalMs: 200 },
  }
}

/** The message as MAX's `NewMessageBody`: the text within MAX's limit, the buttons as one keyboard. */
export function newMessage(message: BotMessage): MaxNewMessage {
  const rows =
    message.buttons && message.buttons.length > 0
      ? maxButtons(message.buttons)
      : message.keyboard && message.keyboard !== 'remove'
        ? message.keyboard.rows.map((row) =>
            row.map(
              (b): MaxButton =>
                b.requestContact ? { type: 'request_contact', text: b.text } : { type: 'message', text: b.text },
            ),
          )
        : []
  return {
    text: clip(message.text, MAX_TEXT_LIMIT),
    ...(rows.length > 0 ? { attachments: [inlineKeyboard(rows)] } : {}),
  }
}

function maxButtons(rows: BotButton[][]): MaxButton[][] {
  return rows
    .map((row) =>
      row.flatMap((b): MaxButton[] =>
        b.url !== undefined
          ? [{ type: 'link', text: b.text, url: b.url }]
          : b.callbackData !== undefined
            ? [{ type: 'callback', text: b.text, payload: b.callbackData }]
            : [],
      ),
    )
    .filter((row) => row.length > 0)
}

/**
 * The message to edit is not there any more (deleted, or unknown to MAX), or MAX will not edit it (a 403 other than
 * the person's stop): as Telegram's «message can't be edited», not a reason to mark the person blocked.
 */
function isGone(error: unknown): boolean {
  return (
    error instanceof MaxApiError &&
    (error.status === 404 || error.code === 'not.found' || (error.status === 403 && error.code !== 'chat.denied'))
  )
}

/** Maps a failed MAX call onto the outbox's outcome (codes only: MAX's messages may quote the text sent). */
export function toMaxSendResult(error: unknown): SendResult {
  if (!(error instanceof MaxApiError))
    return { ok: false, error: error instanceof Error ? `error: ${error.name}` : 'error' }
  const described = `${error.status} ${error.code}`.slice(0, 300)
  if (error.status === 429)
    return { ok: false, retryAfterMs: Math.max(1, error.retryAfter ?? 1) * 1000, error: described }
  if (error.status === 403 || error.code === 'chat.denied' || error.code === 'chat.not.found') {
    return { ok: false, permanent: true, error: described }
  }
  return { ok: false, error: described }
}
