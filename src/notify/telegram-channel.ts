import { type Api, GrammyError, HttpError } from 'grammy'
import type { InlineKeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove } from 'grammy/types'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { SocksProxyAgent } from 'socks-proxy-agent'
import type { Config, TelegramConfig } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import { telegramErrorLabel, telegramErrors } from '#src/metrics/meters.ts'
import { createBotChannel, type Sent } from './bot-channel.ts'
import type { NoticeChannel, SendResult } from './channel.ts'
import { clip, TELEGRAM_TEXT_MAX } from './notice-texts.ts'
import type { BotButton, BotMessage } from './outbox.ts'

/**
 * The Telegram channel: delivers outbox rows through the Bot API (grammY's `Api`), the transport under the
 * channel all messengers share (bot-channel.ts).
 *
 * Telegram's answers map onto SendResult: 429 → wait `retry_after`; 403 and «chat not found» →
 * permanent (the person blocked the bot or is gone); «message is not modified» → delivered; other 4xx
 * → a plain failure; 5xx, network errors and timeouts → a failure to retry.
 * Nothing here logs texts, names or chat ids: row ids, kinds and Telegram's error codes only.
 */

export interface TelegramChannelDeps {
  db: Db
  config: Pick<Config, 'baseUrl'>
  logger: Logger
  api: Api
}

export function createTelegramChannel(deps: TelegramChannelDeps): NoticeChannel {
  const { api } = deps
  return createBotChannel({
    ...deps,
    name: 'telegram',
    transport: {
      send: (chatKey, message) => sendBotMessage(api, chatKey, message),
      editButtons: (chatKey, messageId, buttons) => editButtons(api, chatKey, messageId, buttons),
    },
  })
}

/** How long a Bot API request may take unless TELEGRAM_TIMEOUT_SECONDS says otherwise. */
export const TELEGRAM_TIMEOUT_SECONDS = 30

/** Client options for grammY (`new Api(token, options)`, `new Bot(token, { client })`): API root, proxy. */
export function telegramClientOptions(telegram: Extract<TelegramConfig, { enabled: true }>): {
  apiRoot?: string
  timeoutSeconds: number
  baseFetchConfig?: { agent: HttpsProxyAgent<string> | SocksProxyAgent }
} {
  const agent = telegram.proxy ? proxyAgent(telegram.proxy) : undefined
  return {
    ...(telegram.apiRoot ? { apiRoot: telegram.apiRoot.replace(/\/+$/, '') } : {}),
    timeoutSeconds: telegram.timeoutSeconds ?? TELEGRAM_TIMEOUT_SECONDS,
    ...(agent ? { baseFetchConfig: { agent } } : {}),
  }
}

function proxyAgent(url: string): HttpsProxyAgent<string> | SocksProxyAgent {
  if (/^socks5h?:\/\//.test(url) || /^socks4a?:\/\//.test(url)) return new SocksProxyAgent(url)
  return new HttpsProxyAgent(url)
}

// ---------------------------------------------------------------- sending

type TelegramSender = Pick<Api, 'sendMessage' | 'editMessageText' | 'editMessageReplyMarkup'>

/** Sends or edits one message; an edit whose message is gone becomes a new message. */
async function sendBotMessage(api: TelegramSender, chatId: string, message: BotMessage): Promise<Sent> {
  const text = clip(message.text, TELEGRAM_TEXT_MAX)
  if (message.editMessageId !== undefined) {
    try {
      const edited = await api.editMessageText(chatId, message.editMessageId, text, {
        ...(message.buttons && message.buttons.length > 0
          ? { reply_markup: { inline_keyboard: inlineKeyboard(message.buttons) } }
          : {}),
      })
      return { ok: true, messageId: typeof edited === 'object' ? edited.message_id : message.editMessageId }
    } catch (error) {
      if (isBadRequest(error, 'message is not modified')) return { ok: true, messageId: message.editMessageId }
      if (isBadRequest(error, 'BUTTON_URL_INVALID') && hasUrlButtons(message.buttons)) {
        return sendBotMessage(api, chatId, withoutUrlButtons(message))
      }
      if (!isBadRequest(error, 'message to edit not found') && !isBadRequest(error, "message can't be edited")) {
        return { ok: false, result: toSendResult(error) }
      }
    }
  }
  try {
    const sent = await api.sendMessage(chatId, text, sendOptions(message))
    return { ok: true, messageId: sent.message_id }
  } catch (error) {
    // Telegram refuses some link buttons (an intranet address): put the link in the text instead.
    if (isBadRequest(error, 'BUTTON_URL_INVALID') && hasUrlButtons(message.buttons)) {
      return sendBotMessage(api, chatId, withoutUrlButtons({ ...message, editMessageId: undefined }))
    }
    return { ok: false, result: toSendResult(error) }
  }
}

/**
 * Replaces the inline buttons of a sent message (none left: the keyboard goes). A message deleted, too
 * old to edit, or already showing these buttons is done with; link buttons Telegram refuses were put in
 * the text when the message was sent, so they are left out here too.
 */
async function editButtons(
  api: TelegramSender,
  chatId: string,
  messageId: number,
  buttons: BotButton[][],
): Promise<Sent> {
  const keyboard = inlineKeyboard(buttons)
  try {
    await api.editMessageReplyMarkup(chatId, messageId, {
      ...(keyboard.length > 0 ? { reply_markup: { inline_keyboard: keyboard } } : {}),
    })
    return { ok: true, messageId }
  } catch (error) {
    const gone = ['message is not modified', 'message to edit not found', "message can't be edited"]
    if (gone.some((fragment) => isBadRequest(error, fragment))) return { ok: true, messageId }
    if (isBadRequest(error, 'BUTTON_URL_INVALID') && hasUrlButtons(buttons)) {
      return editButtons(api, chatId, messageId, withoutUrls(buttons))
    }
    return { ok: false, result: toSendResult(error) }
  }
}

function sendOptions(message: BotMessage): Parameters<Api['sendMessage']>[2] {
  const replyMarkup = markup(message)
  return {
    ...(replyMarkup ? { reply_markup: replyMarkup } : {}),
    ...(message.replyToMessageId !== undefined
      ? { reply_parameters: { message_id: message.replyToMessageId, allow_sending_without_reply: true } }
      : {}),
  }
}

/** Inline buttons win over a reply keyboard: a Telegram message carries one markup. */
function markup(
  message: BotMessage,
): { inline_keyboard: InlineKeyboardButton[][] } | ReplyKeyboardMarkup | ReplyKeyboardRemove | undefined {
  if (message.buttons && message.buttons.length > 0) return { inline_keyboard: inlineKeyboard(message.buttons) }
  if (message.keyboard === 'remove') return { remove_keyboard: true }
  if (message.keyboard) {
    return {
      keyboard: message.keyboard.rows.map((row) =>
        row.map((b) => (b.requestContact ? { text: b.text, request_contact: true } : { text: b.text })),
      ),
      resize_keyboard: true,
      ...(message.keyboard.oneTime ? { one_time_keyboard: true } : {}),
    }
  }
  return undefined
}

function inlineKeyboard(rows: BotButton[][]): InlineKeyboardButton[][] {
  return rows
    .map((row) =>
      row.flatMap((b): InlineKeyboardButton[] =>
        b.url !== undefined
          ? [{ text: b.text, url: b.url }]
          : b.callbackData !== undefined
            ? [{ text: b.text, callback_data: b.callbackData }]
            : [],
      ),
    )
    .filter((row) => row.length > 0)
}

function hasUrlButtons(buttons: BotButton[][] | undefined): boolean {
  return (buttons ?? []).some((row) => row.some((b) => b.url !== undefined))
}

function withoutUrls(buttons: BotButton[][] | undefined): BotButton[][] {
  return (buttons ?? []).map((row) => row.filter((b) => b.url === undefined))
}

function withoutUrlButtons(message: BotMessage): BotMessage {
  const links = (message.buttons ?? []).flatMap((row) => row.flatMap((b) => (b.url === undefined ? [] : [b.url])))
  const text = [message.text, ...links.filter((url) => !message.text.includes(url))].join('\n')
  return {
    ...message,
    text,
    buttons: withoutUrls(message.buttons),
  }
}

// ---------------------------------------------------------------- Telegram's answers

function isBadRequest(error: unknown, fragment: string): boolean {
  return error instanceof GrammyError && error.error_code === 400 && error.description.includes(fragment)
}

/** Maps an error of the Bot API call onto the outbox's outcome. */
export function toSendResult(error: unknown): SendResult {
  // Every failed send and edit ends here: the one place to count Telegram's errors for /metrics.
  telegramErrors.inc({
    code:
      error instanceof GrammyError
        ? telegramErrorLabel(error.error_code)
        : error instanceof HttpError
          ? 'network'
          : 'other',
  })
  if (error instanceof GrammyError) {
    const code = error.error_code
    const described = `${code} ${error.description}`.slice(0, 300)
    if (code === 429) {
      const seconds = error.parameters.retry_after ?? 1
      return { ok: false, retryAfterMs: Math.max(1, seconds) * 1000, error: described }
    }
    if (code === 403) return { ok: false, permanent: true, error: described }
    if (code === 400 && /chat not found|user is deactivated|bot was blocked/i.test(error.description)) {
      return { ok: false, permanent: true, error: described }
    }
    return { ok: false, error: described }
  }
  return { ok: false, error: describeError(error) }
}

/**
 * A network error's text names the request URL, which holds the bot token: keep only codes and names.
 */
function describeError(error: unknown): string {
  if (error instanceof HttpError) {
    const inner = error.error
    const code =
      typeof inner === 'object' && inner !== null && 'code' in inner && typeof inner.code === 'string'
        ? inner.code
        : undefined
    const timedOut = inner instanceof Error && /timed out/i.test(inner.message)
    return `network error: ${code ?? (timedOut ? 'timeout' : inner instanceof Error ? inner.name : 'unknown')}`
  }
  if (error instanceof GrammyError) return `${error.error_code} ${error.description}`.slice(0, 300)
  return error instanceof Error ? `error: ${error.name}` : 'error'
}
