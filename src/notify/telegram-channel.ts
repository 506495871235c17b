import { type Api, GrammyError, HttpError } from 'grammy'
import type { InlineKeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove } from 'grammy/types'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { SocksProxyAgent } from 'socks-proxy-agent'
import { z } from 'zod'
import type { Config, TelegramConfig } from '#src/config.ts'
import type { Db, OutboxRow } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import type { Logger } from '#src/logger.ts'
import { telegramErrorLabel, telegramErrors } from '#src/metrics/meters.ts'
import { getSetting } from '#src/settings/settings.ts'
import type { NoticeChannel, SendResult } from './channel.ts'
import {
  clip,
  isTicketNoticeKind,
  isUserNoticeKind,
  type MessageFacts,
  type RenderedNotice,
  renderTicketNotice,
  renderUserNotice,
  type SubjectFacts,
  TELEGRAM_TEXT_MAX,
  type TicketFacts,
} from './notice-texts.ts'
import { type BotButton, type BotMessage, REFRESH_BUTTONS_KIND } from './outbox.ts'

/**
 * The Telegram channel: delivers outbox rows through the Bot API (grammY's `Api`). A `bot_message` row
 * is sent (or edited) exactly as queued; a notice is rendered from the current rows at send time
 * (notice-texts.ts), so the privacy setting in force then is honoured.
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
  const { db, config, api } = deps
  const log = deps.logger.child({ channel: 'telegram' })

  const deliver = async (row: OutboxRow): Promise<SendResult> => {
    // Telegram's answer to an earlier attempt was recorded, but the sender had given up on it (its
    // deadline passed) or died before marking the row: it was delivered, and sending again is a duplicate.
    if (row.telegram_message_id !== null) return { ok: true }
    const payload = payloadSchema.safeParse(parseJson(row.payload))
    if (!payload.success) return { ok: false, error: `payload of outbox row ${row.id} is malformed` }
    if (row.kind === REFRESH_BUTTONS_KIND) return refreshButtons(row, payload.data)
    let message: BotMessage
    if (row.kind === 'bot_message') {
      if (!payload.data.message) return { ok: false, error: 'bot_message without a message' }
      message = payload.data.message
    } else {
      const rendered = await renderRow(db, row, payload.data, config.baseUrl)
      if ('error' in rendered) return { ok: false, error: rendered.error }
      message = rendered
    }
    const sent = await sendBotMessage(api, row.recipient, message)
    if (!sent.ok) return sent.result
    if (sent.messageId !== undefined) {
      try {
        await recordSent(db, row, sent.messageId)
      } catch (error) {
        // Delivered all the same: a reply to it just won't be routed by message id.
        log.error({ err: error, outboxId: row.id }, 'could not record a sent Telegram message')
      }
    }
    return { ok: true }
  }

  /** A notice already in the chat gets the buttons its kind has now; a message gone needs nothing. */
  const refreshButtons = async (row: OutboxRow, payload: Payload): Promise<SendResult> => {
    const { editMessageId, notice } = payload
    if (editMessageId === undefined || notice === undefined) return { ok: false, error: 'refresh without a message' }
    const rendered = await renderRow(db, { ...row, kind: notice }, payload, config.baseUrl)
    if ('error' in rendered) return { ok: false, error: rendered.error }
    const edited = await editButtons(api, row.recipient, editMessageId, rendered.buttons)
    return edited.ok ? { ok: true } : edited.result
  }

  return {
    name: 'telegram',
    async send(row) {
      try {
        const result = await deliver(row)
        log.debug({ outboxId: row.id, kind: row.kind, ok: result.ok }, 'telegram send')
        return result
      } catch (error) {
        return { ok: false, error: describeError(error) }
      }
    },
  }
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

// ---------------------------------------------------------------- payloads

const buttonSchema = z.object({
  text: z.string().min(1),
  callbackData: z.string().min(1).max(64).optional(),
  url: z.string().min(1).optional(),
})

const botMessageSchema = z.object({
  text: z.string(),
  buttons: z.array(z.array(buttonSchema)).optional(),
  keyboard: z
    .union([
      z.literal('remove'),
      z.object({
        rows: z.array(z.array(z.object({ text: z.string().min(1), requestContact: z.boolean().optional() }))),
        oneTime: z.boolean().optional(),
      }),
    ])
    .optional(),
  editMessageId: z.number().int().positive().optional(),
  replyToMessageId: z.number().int().positive().optional(),
})

const id = z.number().int().positive()
const payloadSchema = z.object({
  userId: id.nullable().optional(),
  subjectId: id.optional(),
  assigneeId: id.nullable().optional(),
  breach: z.enum(['response', 'resolution']).optional(),
  automatic: z.boolean().optional(),
  /** ticket_merged, ticket_unmerged: the ticket the duplicate was merged into. */
  mergedInto: id.optional(),
  /** ticket_awaiting_approval: the curators decide. */
  byCurators: z.boolean().optional(),
  message: botMessageSchema.optional(),
  /** refresh_buttons: the sent message, and the notice kind whose buttons it gets. */
  editMessageId: id.optional(),
  notice: z.string().optional(),
  /** ticket_mentioned: the internal note that mentions the person. */
  noteId: id.optional(),
  /** ticket_escalated: the level, and whether it is a critical ticket filed at night (src/duty). */
  level: z.number().int().min(1).max(4).optional(),
  critical: z.boolean().optional(),
})
type Payload = z.infer<typeof payloadSchema>

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------- rendering from the rows

async function renderRow(
  db: Db,
  row: OutboxRow,
  payload: Payload,
  baseUrl: string,
): Promise<RenderedNotice | { error: string }> {
  // A notice to or about a blocked person (ст. 21) carries only the number, the status and the link.
  const privacy = (await getSetting(db, 'privacy.no_pdn_in_telegram')) || (await touchesBlockedPerson(db, row, payload))
  const options = { baseUrl, privacy }
  if (isTicketNoticeKind(row.kind)) {
    if (row.ticket_id === null) return { error: `${row.kind} without a ticket` }
    const ticket = await ticketFacts(db, row.ticket_id)
    if (!ticket) return { error: `ticket ${row.ticket_id} not found` }
    // A mention names its note in the payload: the row's message_id is the delivery status of a message it sends.
    const messageId = row.kind === 'ticket_mentioned' ? (payload.noteId ?? null) : row.message_id
    const withMessage = row.kind === 'ticket_message' || row.kind === 'ticket_mentioned'
    const message = withMessage && messageId !== null ? await messageFacts(db, messageId) : undefined
    const takerId = payload.assigneeId ?? ticket.assigneeId
    return renderTicketNotice(
      row.kind,
      {
        ticket,
        toRequester: payload.userId === ticket.requesterId,
        ...(message ? { message } : {}),
        ...(row.kind === 'ticket_taken' ? { takenBy: takerId === null ? null : await userName(db, takerId) } : {}),
        ...(payload.breach ? { breach: payload.breach } : {}),
        ...(payload.automatic ? { automatic: true } : {}),
        ...(payload.mergedInto ? { mergedInto: payload.mergedInto } : {}),
        ...(payload.byCurators ? { byCurators: true } : {}),
        ...(payload.level ? { escalation: { level: payload.level, critical: payload.critical === true } } : {}),
      },
      options,
    )
  }
  if (isUserNoticeKind(row.kind)) {
    const subjectId = payload.subjectId ?? payload.userId
    if (subjectId === undefined || subjectId === null) return { error: `${row.kind} without a subject` }
    const subject = await subjectFacts(db, subjectId)
    if (!subject) return { error: `user ${subjectId} not found` }
    return renderUserNotice(row.kind, subject, options)
  }
  return { error: `unknown notice kind ${row.kind}` }
}

/** Is anyone this notice goes to or names (recipient, subject, requester, assignee, author) blocked? */
async function touchesBlockedPerson(db: Db, row: OutboxRow, payload: Payload): Promise<boolean> {
  const ids = [payload.userId, payload.subjectId, payload.assigneeId].filter((v): v is number => typeof v === 'number')
  const people = db.selectFrom('users').select('id').where('blocked_at', 'is not', null)
  const direct = ids.length > 0 ? await people.where('id', 'in', ids).executeTakeFirst() : undefined
  if (direct) return true
  if (row.ticket_id !== null) {
    const ticket = await db
      .selectFrom('tickets')
      .select(['requester_id', 'assignee_id'])
      .where('id', '=', row.ticket_id)
      .executeTakeFirst()
    const named = [ticket?.requester_id, ticket?.assignee_id].filter((v): v is number => typeof v === 'number')
    if (named.length > 0 && (await people.where('id', 'in', named).executeTakeFirst())) return true
  }
  const messageId = row.message_id ?? payload.noteId ?? null
  if (messageId !== null) {
    const author = await db
      .selectFrom('ticket_messages as m')
      .innerJoin('users as u', 'u.id', 'm.author_id')
      .select('u.blocked_at')
      .where('m.id', '=', messageId)
      .executeTakeFirst()
    if (author?.blocked_at) return true
  }
  return false
}

async function ticketFacts(db: Db, ticketId: number): Promise<TicketFacts | undefined> {
  const row = await db
    .selectFrom('tickets as t')
    .innerJoin('users as r', 'r.id', 't.requester_id')
    .leftJoin('users as a', 'a.id', 't.assignee_id')
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .leftJoin('departments as d', 'd.id', 't.department_id')
    .leftJoin('departments as rd', 'rd.id', 'r.department_id')
    .select([
      't.id',
      't.status',
      't.title',
      't.priority',
      't.assignee_id',
      't.requester_id',
      't.resolution',
      't.cancel_reason',
      't.rating',
      'c.name as category_name',
      'd.name as department_name',
      'rd.name as requester_department_name',
      'r.full_name as requester_name',
      'a.full_name as assignee_name',
    ])
    .where('t.id', '=', ticketId)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    id: row.id,
    status: row.status,
    title: row.title,
    priority: row.priority,
    categoryName: row.category_name,
    departmentName: row.department_name ?? row.requester_department_name,
    requesterId: row.requester_id,
    requesterName: row.requester_name,
    assigneeId: row.assignee_id,
    assigneeName: row.assignee_name,
    resolution: row.resolution,
    cancelReason: row.cancel_reason,
    rating: row.rating,
  }
}

async function messageFacts(db: Db, messageId: number): Promise<MessageFacts | undefined> {
  const message = await db
    .selectFrom('ticket_messages as m')
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .select(['m.body', 'u.full_name'])
    .where('m.id', '=', messageId)
    .executeTakeFirst()
  if (!message) return undefined
  const files = await db
    .selectFrom('attachments')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('message_id', '=', messageId)
    .executeTakeFirst()
  return {
    body: message.body,
    authorName: message.full_name,
    attachments: Number(files?.n ?? 0),
  }
}

async function userName(db: Db, userId: number): Promise<string | null> {
  const user = await db.selectFrom('users').select('full_name').where('id', '=', userId).executeTakeFirst()
  return user?.full_name ?? null
}

async function subjectFacts(db: Db, userId: number): Promise<SubjectFacts | undefined> {
  const user = await db
    .selectFrom('users as u')
    .leftJoin('departments as d', 'd.id', 'u.department_id')
    .select([
      'u.id',
      'u.full_name',
      'u.phone',
      'u.position',
      'u.room',
      'u.status',
      'u.rejection_reason',
      'd.name as department_name',
    ])
    .where('u.id', '=', userId)
    .executeTakeFirst()
  if (!user) return undefined
  return {
    id: user.id,
    fullName: user.full_name,
    phone: user.phone,
    departmentName: user.department_name,
    position: user.position,
    room: user.room,
    status: user.status,
    rejectionReason: user.rejection_reason,
  }
}

// ---------------------------------------------------------------- sending

type TelegramSender = Pick<Api, 'sendMessage' | 'editMessageText' | 'editMessageReplyMarkup'>

type Sent = { ok: true; messageId: number | undefined } | { ok: false; result: SendResult }

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

async function recordSent(db: Db, row: OutboxRow, messageId: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('outbox').set({ telegram_message_id: messageId }).where('id', '=', row.id).execute()
    if (row.ticket_id === null) return
    await tx
      .insertInto('telegram_messages')
      .values({
        chat_id: row.recipient,
        message_id: messageId,
        ticket_id: row.ticket_id,
        outbox_id: row.id,
        created_at: now(),
      })
      .onConflict((oc) => oc.columns(['chat_id', 'message_id']).doNothing())
      .execute()
  })
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
