import { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { nowDate } from '#src/db/time.ts'

/**
 * A fake Telegram Bot API server on 127.0.0.1 (TESTING.md): the real bot and the real grammY client
 * talk to it over loopback through `apiRoot`. It answers the methods we use the way Telegram does
 * (status codes, `{ ok, error_code, description, parameters }` bodies, the 20 MB download limit, 409
 * for getUpdates while a webhook is set), records every call, keeps a transcript per chat, lets a test
 * act as a person, and injects faults.
 *
 * Only the outside world is faked here; nothing of ours is.
 */

export const BOT_TOKEN = '123456:TEST-token-for-the-fake-server'
/** Telegram lets a bot download files up to 20 MB. */
export const DOWNLOAD_LIMIT = 20 * 1024 * 1024
const MAX_TEXT = 4096
const MAX_CAPTION = 1024
const MAX_CALLBACK_DATA = 64

export interface RecordedCall {
  method: string
  params: Record<string, unknown>
  /** The application clock (src/db/time.ts) when the request arrived: tests move it with setClock. */
  at: number
  /** Monotonic ms (performance.now()) when the request arrived: for measuring rates in real time. */
  monotonicAt: number
  /** The HTTP status answered (0 while the request is held). */
  status: number
  /** Monotonic ms when the answer went out: a request arriving before another's answer was already in flight. */
  answeredAt?: number
  /** Set when the answer came from an injected fault or the fake's flood control. */
  fault?: string
  /** The call arrived in a webhook response body rather than as a request of its own. */
  viaWebhookReply?: boolean
}

export type Fault =
  | { status: 429; retryAfter: number }
  | { status: 409; description?: string }
  | { status: number; description?: string }
  | { hangMs: number }
  /** Telegram performs the call at once, but its answer comes this much later (or never, if the client is gone). */
  | { answerAfterMs: number }

export interface TgUser {
  id: number
  is_bot: boolean
  first_name: string
  last_name?: string
  username?: string
  language_code?: string
}

export interface TgChat {
  id: number
  type: 'private' | 'group' | 'supergroup' | 'channel'
  first_name?: string
  username?: string
  title?: string
}

export interface TgPhotoSize {
  file_id: string
  file_unique_id: string
  width: number
  height: number
  file_size: number
}

export interface TgDocument {
  file_id: string
  file_unique_id: string
  file_name?: string
  mime_type?: string
  file_size: number
}

export interface TgInlineButton {
  text: string
  callback_data?: string
  url?: string
}

export interface TgMessage {
  message_id: number
  date: number
  chat: TgChat
  from?: TgUser
  text?: string
  caption?: string
  entities?: Array<{ type: string; offset: number; length: number }>
  photo?: TgPhotoSize[]
  document?: TgDocument
  contact?: { phone_number: string; first_name: string; user_id?: number }
  media_group_id?: string
  reply_to_message?: TgMessage
  reply_markup?: { inline_keyboard: TgInlineButton[][] }
  edit_date?: number
}

export interface TgUpdate {
  update_id: number
  message?: TgMessage
  edited_message?: TgMessage
  callback_query?: {
    id: string
    from: TgUser
    message?: TgMessage
    chat_instance: string
    data?: string
  }
  [other: string]: unknown
}

/** One line of a chat's transcript, as a person would see the conversation. */
export interface TranscriptEntry {
  from: 'bot' | 'user'
  messageId: number
  text: string | undefined
  /** Inline buttons under a bot message (current, after edits). */
  buttons?: TgInlineButton[][]
  /** The reply keyboard or its removal sent with a bot message. */
  keyboard?: unknown
  kind: 'text' | 'photo' | 'document' | 'contact' | 'callback' | 'edit'
  at: number
}

interface StoredFile {
  file_id: string
  file_unique_id: string
  size: number
  path: string
  content: Buffer | undefined
  kind: 'photo' | 'document'
  mimeType: string | undefined
}

interface PendingPoll {
  respond(status: number, body: unknown): void
  limit: number
  timer: NodeJS.Timeout
}

interface ApiAnswer {
  status: number
  body: unknown
}

class ApiFailure extends Error {
  readonly status: number
  readonly retryAfter: number | undefined
  constructor(status: number, description: string, retryAfter?: number) {
    super(description)
    this.status = status
    this.retryAfter = retryAfter
  }
}

const bad = (description: string) => new ApiFailure(400, `Bad Request: ${description}`)

export interface FakeTelegramOptions {
  token?: string
  botUsername?: string
  /** Refuse messages to chats no person has opened (400 chat not found). Off: any chat id works. */
  strictChats?: boolean
  /**
   * Answer 429 like Telegram's flood control when the bot sends faster than one message a second to
   * a chat or `globalPerSecond` overall. Off by default.
   */
  floodControl?: { perChatIntervalMs: number; globalPerSecond: number; toleranceMs?: number }
  /** Pause before a failed webhook delivery is tried again. */
  webhookRetryMs?: number
}

export interface PersonOptions {
  firstName?: string
  lastName?: string
  username?: string
}

export interface SentUpdate {
  updateId: number
  messageId: number
}

/** Helpers to play one person in a private chat with the bot. */
export interface FakePerson {
  readonly id: number
  readonly chatId: number
  readonly from: TgUser
  send(text: string): SentUpdate
  command(text: string): SentUpdate
  sendPhoto(options?: {
    size?: number
    caption?: string
    mediaGroupId?: string
    content?: Buffer
    /** A Telegram reply to this message of the chat. */
    replyTo?: number
  }): SentUpdate
  sendDocument(options?: {
    fileName?: string
    mimeType?: string
    size?: number
    caption?: string
    content?: Buffer
    mediaGroupId?: string
  }): SentUpdate
  /** An album: `count` photos sharing one media_group_id, the caption on the first. */
  sendAlbum(count: number, options?: { caption?: string; size?: number; replyTo?: number }): SentUpdate[]
  /** The contact button: the person's own contact unless `userId` names someone else (spoofed). */
  shareContact(options: { phone: string; userId?: number; firstName?: string }): SentUpdate
  /** Presses an inline button under a bot message; returns the callback query's id. */
  press(messageId: number, callbackData: string): { updateId: number; callbackQueryId: string }
  replyTo(messageId: number, text: string): SentUpdate
  editedMessage(messageId: number, text: string): SentUpdate
  /** The person blocks the bot: sends answer 403 until `unblock()`. */
  block(): void
  unblock(): void
  transcript(): TranscriptEntry[]
  /** The bot's messages in this chat, current content after edits, oldest first. */
  botMessages(): TgMessage[]
  lastBotMessage(): TgMessage | undefined
}

export class FakeTelegram {
  readonly token: string
  readonly botUser: TgUser
  /** Every request, in arrival order. */
  readonly calls: RecordedCall[] = []
  readonly webhookDeliveries: Array<{ updateId: number; status: number; at: number }> = []

  private readonly options: FakeTelegramOptions
  private readonly server: Server
  private readonly events = new EventEmitter()
  private port = 0
  private isDown: 'refused' | '502' | undefined
  private closed = false

  private nextUpdateId = 100_000
  private readonly pending: TgUpdate[] = []
  private readonly polls = new Set<PendingPoll>()
  private allowedUpdates: string[] = []
  private webhook: { url: string; secret: string | undefined; lastError: string | undefined } | undefined
  private delivering = false
  private deliveryTimer: NodeJS.Timeout | undefined

  private readonly faults = new Map<string, Fault[]>()
  private readonly chats = new Map<number, TgChat>()
  private readonly nextMessageId = new Map<number, number>()
  /** chat → message id → message (both sides), current content. */
  private readonly messages = new Map<number, Map<number, TgMessage>>()
  private readonly transcripts = new Map<number, TranscriptEntry[]>()
  private readonly blocked = new Set<number>()
  private readonly files = new Map<string, StoredFile>()
  private readonly filesByPath = new Map<string, StoredFile>()
  private nextFile = 1
  private readonly callbackQueries = new Map<string, { answered: boolean; params?: Record<string, unknown> }>()
  private nextCallback = 1
  private readonly mediaGroups = { next: 1 }
  private commands: unknown[] = []
  private readonly recentSends: number[] = []
  private readonly lastSendByChat = new Map<number, number>()
  private readonly holds = new Set<NodeJS.Timeout>()

  constructor(options: FakeTelegramOptions = {}) {
    this.options = options
    this.token = options.token ?? BOT_TOKEN
    const botId = Number(this.token.split(':')[0]) || 123456
    this.botUser = {
      id: botId,
      is_bot: true,
      first_name: 'Helpdesk',
      username: options.botUsername ?? 'helpdesk_test_bot',
    }
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.json(res, 500, { ok: false, error_code: 500, description: String(error) })
      })
    })
    this.events.setMaxListeners(0)
  }

  /** Listens on a random loopback port. */
  async start(): Promise<this> {
    await this.listen(0)
    return this
  }

  /** What grammY takes as `apiRoot`. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Stops serving: held polls are answered, connections cut, deliveries stopped. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.deliveryTimer)
    for (const hold of this.holds) clearTimeout(hold)
    this.holds.clear()
    for (const poll of [...this.polls]) poll.respond(200, { ok: true, result: [] })
    await this.stopListening()
  }

  // ---------------------------------------------------------------- faults

  /** The next `times` calls of `method` ('*' for any, 'download' for file downloads) meet this fault. */
  failNext(method: string, fault: Fault, times = 1): void {
    const list = this.faults.get(method) ?? []
    for (let i = 0; i < times; i++) list.push(fault)
    this.faults.set(method, list)
  }

  /** Telegram becomes unreachable: connections refused (default) or a proxy's 502 for every request. */
  async down(mode: 'refused' | '502' = 'refused'): Promise<void> {
    this.isDown = mode
    for (const poll of [...this.polls]) poll.respond(502, 'Bad Gateway')
    if (mode === 'refused') await this.stopListening()
  }

  async up(): Promise<void> {
    const wasRefused = this.isDown === 'refused'
    this.isDown = undefined
    if (wasRefused && !this.closed) await this.listen(this.port)
    this.scheduleDelivery(0)
  }

  // ---------------------------------------------------------------- people and updates

  /** A person in a private chat with the bot (chat id = user id, as in Telegram). */
  user(id: number, options: PersonOptions = {}): FakePerson {
    const from: TgUser = {
      id,
      is_bot: false,
      first_name: options.firstName ?? `Пользователь ${id}`,
      ...(options.lastName ? { last_name: options.lastName } : {}),
      ...(options.username ? { username: options.username } : {}),
      language_code: 'ru',
    }
    const chat: TgChat = {
      id,
      type: 'private',
      first_name: from.first_name,
      ...(from.username ? { username: from.username } : {}),
    }
    this.chats.set(id, chat)
    const replyTo = (messageId: number | undefined): Partial<TgMessage> => {
      const original = messageId === undefined ? undefined : this.messages.get(id)?.get(messageId)
      return original ? { reply_to_message: structuredClone(original) } : {}
    }
    const say = (fields: Partial<TgMessage>, kind: TranscriptEntry['kind']): SentUpdate => {
      const message = this.userMessage(chat, from, fields, kind)
      return { updateId: this.queue({ message }), messageId: message.message_id }
    }
    return {
      id,
      chatId: id,
      from,
      send: (text) => say({ text }, 'text'),
      command: (text) => {
        const length = text.split(/\s/)[0]?.length ?? text.length
        return say({ text, entities: [{ type: 'bot_command', offset: 0, length }] }, 'text')
      },
      sendPhoto: (o = {}) =>
        say(
          {
            photo: this.photoSizes(o.size ?? 150_000, o.content),
            ...(o.caption !== undefined ? { caption: o.caption } : {}),
            ...(o.mediaGroupId !== undefined ? { media_group_id: o.mediaGroupId } : {}),
            ...replyTo(o.replyTo),
          },
          'photo',
        ),
      sendDocument: (o = {}) => {
        const file = this.storeFile('document', o.size ?? 50_000, o.mimeType, o.content)
        const document: TgDocument = {
          file_id: file.file_id,
          file_unique_id: file.file_unique_id,
          file_size: file.size,
          ...(o.fileName !== undefined ? { file_name: o.fileName } : {}),
          ...(o.mimeType !== undefined ? { mime_type: o.mimeType } : {}),
        }
        return say(
          {
            document,
            ...(o.caption !== undefined ? { caption: o.caption } : {}),
            ...(o.mediaGroupId !== undefined ? { media_group_id: o.mediaGroupId } : {}),
          },
          'document',
        )
      },
      sendAlbum: (count, o = {}) => {
        const group = `album-${this.mediaGroups.next++}`
        const sent: SentUpdate[] = []
        for (let i = 0; i < count; i++) {
          sent.push(
            say(
              {
                photo: this.photoSizes(o.size ?? 150_000),
                media_group_id: group,
                ...(i === 0 && o.caption !== undefined ? { caption: o.caption } : {}),
                ...replyTo(o.replyTo),
              },
              'photo',
            ),
          )
        }
        return sent
      },
      shareContact: (o) =>
        say(
          { contact: { phone_number: o.phone, first_name: o.firstName ?? from.first_name, user_id: o.userId ?? id } },
          'contact',
        ),
      press: (messageId, callbackData) => {
        const callbackQueryId = String(this.nextCallback++)
        this.callbackQueries.set(callbackQueryId, { answered: false })
        const message = this.messages.get(id)?.get(messageId) ?? {
          message_id: messageId,
          date: unixNow(),
          chat,
          text: '',
        }
        this.transcript(id).push({
          from: 'user',
          messageId,
          text: callbackData,
          kind: 'callback',
          at: nowDate().getTime(),
        })
        const updateId = this.queue({
          callback_query: {
            id: callbackQueryId,
            from,
            message: structuredClone(message),
            chat_instance: `ci-${id}`,
            data: callbackData,
          },
        })
        return { updateId, callbackQueryId }
      },
      replyTo: (messageId, text) => {
        const original = this.messages.get(id)?.get(messageId)
        return say({ text, ...(original ? { reply_to_message: structuredClone(original) } : {}) }, 'text')
      },
      editedMessage: (messageId, text) => {
        const original = this.messages.get(id)?.get(messageId)
        const edited: TgMessage = {
          ...(original ?? { message_id: messageId, date: unixNow(), chat, from }),
          text,
          edit_date: unixNow(),
        }
        this.messages.get(id)?.set(messageId, edited)
        this.transcript(id).push({ from: 'user', messageId, text, kind: 'edit', at: nowDate().getTime() })
        return { updateId: this.queue({ edited_message: edited }), messageId }
      },
      block: () => {
        this.blocked.add(id)
      },
      unblock: () => {
        this.blocked.delete(id)
      },
      transcript: () => [...this.transcript(id)],
      botMessages: () => this.botMessages(id),
      lastBotMessage: () => this.botMessages(id).at(-1),
    }
  }

  /** Queues any update as given (fuzzing: group and channel messages, unknown fields); update_id is set. */
  rawUpdate(update: Record<string, unknown>): number {
    return this.queue(update)
  }

  /** Updates not yet confirmed by the bot. */
  pendingUpdates(): TgUpdate[] {
    return structuredClone(this.pending)
  }

  transcript(chatId: number | string): TranscriptEntry[] {
    const id = Number(chatId)
    let list = this.transcripts.get(id)
    if (!list) {
      list = []
      this.transcripts.set(id, list)
    }
    return list
  }

  /** The bot's messages in a chat, current content after edits, oldest first. */
  botMessages(chatId: number | string): TgMessage[] {
    const all = this.messages.get(Number(chatId))
    if (!all) return []
    return [...all.values()].filter((m) => m.from?.id === this.botUser.id).sort((a, b) => a.message_id - b.message_id)
  }

  /** How the bot answered a callback query (undefined while unanswered). */
  callbackAnswer(callbackQueryId: string): Record<string, unknown> | undefined {
    return this.callbackQueries.get(callbackQueryId)?.params
  }

  myCommands(): unknown[] {
    return this.commands
  }

  webhookInfo(): { url: string; secret: string | undefined } | undefined {
    return this.webhook ? { url: this.webhook.url, secret: this.webhook.secret } : undefined
  }

  /** Calls of one method (answered or not), in order. */
  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method)
  }

  /** Resolves with the predicate's first truthy value, checked on every change; rejects after the timeout. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const value = predicate()
        if (value === undefined || value === null || value === false) return false
        cleanup()
        resolve(value)
        return true
      }
      const onChange = () => {
        check()
      }
      const interval = setInterval(onChange, 20)
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`fake Telegram: condition not met within ${timeoutMs} ms`))
      }, timeoutMs)
      const cleanup = () => {
        clearInterval(interval)
        clearTimeout(timer)
        this.events.off('change', onChange)
      }
      this.events.on('change', onChange)
      check()
    })
  }

  /** Waits until the bot has sent (or edited) `count` messages in total to this chat. */
  waitForBotMessages(chatId: number | string, count: number, timeoutMs = 5000): Promise<TgMessage[]> {
    return this.waitFor(() => {
      const list = this.botMessages(chatId)
      return list.length >= count ? list : undefined
    }, timeoutMs)
  }

  /** Waits until every queued update has been confirmed (polled past, or delivered to the webhook). */
  waitForConfirmed(timeoutMs = 5000): Promise<true> {
    return this.waitFor(() => this.pending.length === 0, timeoutMs)
  }

  // ---------------------------------------------------------------- HTTP

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject)
        this.port = (this.server.address() as AddressInfo).port
        resolve()
      })
    })
  }

  private stopListening(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve()
        return
      }
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded || res.destroyed) return
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json' })
    res.end(text)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req)
    if (this.isDown === '502') {
      this.json(res, 502, '<html><body><h1>502 Bad Gateway</h1></body></html>')
      return
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const download = url.pathname.match(/^\/file\/bot([^/]+)\/(.+)$/)
    if (download) {
      await this.download(res, download[1] ?? '', decodeURIComponent(download[2] ?? ''))
      return
    }
    const match = url.pathname.match(/^\/bot([^/]+)\/([A-Za-z]+)$/)
    if (!match) {
      this.json(res, 404, { ok: false, error_code: 404, description: 'Not Found' })
      return
    }
    if (match[1] !== this.token) {
      this.json(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' })
      return
    }
    const method = match[2] ?? ''
    let params: Record<string, unknown>
    try {
      params = { ...Object.fromEntries(url.searchParams), ...parseParams(req.headers['content-type'] ?? '', body) }
    } catch {
      this.json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid request body' })
      return
    }
    const call: RecordedCall = { method, params, at: nowDate().getTime(), monotonicAt: performance.now(), status: 0 }
    this.calls.push(call)
    this.changed()

    const fault = this.takeFault(method)
    let answerAfterMs = 0
    if (fault && 'hangMs' in fault) {
      call.fault = `hang ${fault.hangMs} ms`
      await this.hold(fault.hangMs)
      if (this.closed || res.destroyed) return
    } else if (fault && 'answerAfterMs' in fault) {
      call.fault = `answer after ${fault.answerAfterMs} ms`
      answerAfterMs = fault.answerAfterMs
    } else if (fault) {
      call.fault = `status ${fault.status}`
      call.status = fault.status
      call.answeredAt = performance.now()
      this.json(res, fault.status, faultBody(fault))
      this.changed()
      return
    }

    if (method === 'getUpdates') {
      this.getUpdates(params, (status, answer) => {
        call.status = status
        this.json(res, status, answer)
        this.changed()
      })
      return
    }
    const answer = this.dispatch(method, params)
    if (answer.status !== 200 && isFlood(answer)) call.fault = 'flood control'
    call.status = answer.status
    if (answerAfterMs > 0) {
      this.changed()
      await this.hold(answerAfterMs)
      if (this.closed || res.destroyed) return
    }
    call.answeredAt = performance.now()
    this.json(res, answer.status, answer.body)
    this.changed()
  }

  private hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.holds.delete(timer)
        resolve()
      }, ms)
      this.holds.add(timer)
    })
  }

  private takeFault(method: string): Fault | undefined {
    for (const key of [method, '*']) {
      const list = this.faults.get(key)
      const fault = list?.shift()
      if (fault) return fault
    }
    return undefined
  }

  private async download(res: ServerResponse, token: string, path: string): Promise<void> {
    if (token !== this.token) {
      this.json(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' })
      return
    }
    const call: RecordedCall = {
      method: 'download',
      params: { file_path: path },
      at: nowDate().getTime(),
      monotonicAt: performance.now(),
      status: 0,
    }
    this.calls.push(call)
    const fault = this.takeFault('download')
    if (fault && 'answerAfterMs' in fault) {
      // Downloads answer at once: a late answer here is only a slow one.
      await this.hold(fault.answerAfterMs)
    } else if (fault && 'hangMs' in fault) {
      call.fault = `hang ${fault.hangMs} ms`
      await this.hold(fault.hangMs)
    } else if (fault) {
      call.fault = `status ${fault.status}`
      call.status = fault.status
      this.json(res, fault.status, faultBody(fault))
      return
    }
    const file = this.filesByPath.get(path)
    if (!file || file.size > DOWNLOAD_LIMIT) {
      call.status = 404
      this.json(res, 404, { ok: false, error_code: 404, description: 'Not Found' })
      return
    }
    call.status = 200
    const content = fileContent(file)
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': content.length })
    res.end(content)
    this.changed()
  }

  // ---------------------------------------------------------------- the methods

  private dispatch(method: string, params: Record<string, unknown>): ApiAnswer {
    try {
      const result = this.apply(method, params)
      return { status: 200, body: { ok: true, result } }
    } catch (error) {
      if (error instanceof ApiFailure) {
        return {
          status: error.status,
          body: {
            ok: false,
            error_code: error.status,
            description: error.message,
            ...(error.retryAfter !== undefined ? { parameters: { retry_after: error.retryAfter } } : {}),
          },
        }
      }
      throw error
    }
  }

  private apply(method: string, p: Record<string, unknown>): unknown {
    switch (method) {
      case 'getMe':
        return {
          ...this.botUser,
          can_join_groups: false,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        }
      case 'setWebhook':
        return this.setWebhook(p)
      case 'deleteWebhook':
        this.webhook = undefined
        if (truthy(p.drop_pending_updates)) this.pending.splice(0)
        return true
      case 'getWebhookInfo':
        return {
          url: this.webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: this.pending.length,
          ...(this.webhook?.lastError ? { last_error_message: this.webhook.lastError } : {}),
          ...(this.allowedUpdates.length > 0 ? { allowed_updates: this.allowedUpdates } : {}),
        }
      case 'sendMessage':
        return this.sendMessage(p)
      case 'editMessageText':
        return this.editMessage(p, 'text')
      case 'editMessageReplyMarkup':
        return this.editMessage(p, 'markup')
      case 'answerCallbackQuery': {
        const query = this.callbackQueries.get(String(p.callback_query_id ?? ''))
        if (!query || query.answered) throw bad('query is too old and response timeout expired or query ID is invalid')
        query.answered = true
        query.params = p
        return true
      }
      case 'sendPhoto':
        return this.sendMedia(p, 'photo')
      case 'sendDocument':
        return this.sendMedia(p, 'document')
      case 'getFile': {
        const file = this.files.get(String(p.file_id ?? ''))
        if (!file) throw bad('invalid file_id')
        if (file.size > DOWNLOAD_LIMIT) throw bad('file is too big')
        return {
          file_id: file.file_id,
          file_unique_id: file.file_unique_id,
          file_size: file.size,
          file_path: file.path,
        }
      }
      case 'setMyCommands': {
        if (!Array.isArray(p.commands)) throw bad('parameter "commands" is required')
        this.commands = p.commands
        return true
      }
      case 'deleteMessage': {
        const chatId = chatIdOf(p)
        const messageId = Number(p.message_id)
        const chat = this.messages.get(chatId)
        if (!chat?.delete(messageId)) throw bad('message to delete not found')
        return true
      }
      case 'close':
      case 'logOut':
        return true
      default:
        throw new ApiFailure(404, 'Not Found')
    }
  }

  private setWebhook(p: Record<string, unknown>): true {
    const url = String(p.url ?? '')
    if (url === '') {
      this.webhook = undefined
      return true
    }
    if (!/^https?:\/\//.test(url)) throw bad('bad webhook: An HTTPS URL must be provided for webhook')
    const secret = p.secret_token === undefined ? undefined : String(p.secret_token)
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret))
      throw bad('secret token contains unallowed characters')
    if (Array.isArray(p.allowed_updates)) this.allowedUpdates = p.allowed_updates.map(String)
    if (truthy(p.drop_pending_updates)) this.pending.splice(0)
    this.webhook = { url, secret, lastError: undefined }
    for (const poll of [...this.polls]) {
      poll.respond(409, {
        ok: false,
        error_code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      })
    }
    this.scheduleDelivery(0)
    return true
  }

  private getUpdates(p: Record<string, unknown>, respond: (status: number, body: unknown) => void): void {
    if (this.webhook) {
      respond(409, {
        ok: false,
        error_code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      })
      return
    }
    // A newer getUpdates ends the one still held, as Telegram does (two pollers: the older one gets 409).
    for (const poll of [...this.polls]) {
      poll.respond(409, {
        ok: false,
        error_code: 409,
        description:
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      })
    }
    if (Array.isArray(p.allowed_updates)) this.allowedUpdates = p.allowed_updates.map(String)
    const offset = p.offset === undefined ? undefined : Number(p.offset)
    if (offset !== undefined && Number.isFinite(offset)) {
      if (offset >= 0) {
        while ((this.pending[0]?.update_id ?? Number.POSITIVE_INFINITY) < offset) this.pending.shift()
      } else {
        this.pending.splice(0, Math.max(0, this.pending.length + offset))
      }
    }
    this.dropDisallowed()
    const limit = Math.min(100, Math.max(1, Number(p.limit ?? 100) || 100))
    const timeout = Math.max(0, Number(p.timeout ?? 0) || 0)
    if (this.pending.length > 0 || timeout === 0) {
      respond(200, { ok: true, result: structuredClone(this.pending.slice(0, limit)) })
      return
    }
    const poll: PendingPoll = {
      limit,
      timer: setTimeout(() => poll.respond(200, { ok: true, result: [] }), timeout * 1000),
      respond: (status, body) => {
        if (!this.polls.delete(poll)) return
        clearTimeout(poll.timer)
        respond(status, body)
      },
    }
    this.polls.add(poll)
  }

  private dropDisallowed(): void {
    if (this.allowedUpdates.length === 0) return
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const update = this.pending[i]
      if (update && !this.allowedUpdates.includes(updateType(update))) this.pending.splice(i, 1)
    }
  }

  private floodCheck(chatId: number): void {
    const flood = this.options.floodControl
    const t = performance.now()
    if (flood) {
      const tolerance = flood.toleranceMs ?? 50
      const last = this.lastSendByChat.get(chatId)
      if (last !== undefined && t - last < flood.perChatIntervalMs - tolerance) {
        throw new ApiFailure(429, 'Too Many Requests: retry after 1', 1)
      }
      while ((this.recentSends[0] ?? t) < t - 1000 + tolerance) this.recentSends.shift()
      if (this.recentSends.length >= flood.globalPerSecond)
        throw new ApiFailure(429, 'Too Many Requests: retry after 1', 1)
    }
    this.recentSends.push(t)
    this.lastSendByChat.set(chatId, t)
  }

  private targetChat(p: Record<string, unknown>): TgChat {
    const chatId = chatIdOf(p)
    let chat = this.chats.get(chatId)
    if (!chat) {
      if (this.options.strictChats) throw bad('chat not found')
      chat = { id: chatId, type: 'private', first_name: `Чат ${chatId}` }
      this.chats.set(chatId, chat)
    }
    if (this.blocked.has(chatId)) throw new ApiFailure(403, 'Forbidden: bot was blocked by the user')
    return chat
  }

  private sendMessage(p: Record<string, unknown>): TgMessage {
    const chat = this.targetChat(p)
    const text = typeof p.text === 'string' ? p.text : ''
    if (text.trim() === '') throw bad('message text is empty')
    if ([...text].length > MAX_TEXT) throw bad('message is too long')
    const markup = checkMarkup(p.reply_markup)
    this.floodCheck(chat.id)
    const message = this.botMessage(chat, { text }, p, markup)
    this.transcript(chat.id).push({
      from: 'bot',
      messageId: message.message_id,
      text,
      ...(message.reply_markup ? { buttons: message.reply_markup.inline_keyboard } : {}),
      ...(markup && !('inline_keyboard' in markup) ? { keyboard: markup } : {}),
      kind: 'text',
      at: nowDate().getTime(),
    })
    return message
  }

  private sendMedia(p: Record<string, unknown>, kind: 'photo' | 'document'): TgMessage {
    const chat = this.targetChat(p)
    const input = p[kind]
    if (input === undefined || input === '') throw bad(`there is no ${kind} in the request`)
    const caption = typeof p.caption === 'string' ? p.caption : undefined
    if (caption !== undefined && [...caption].length > MAX_CAPTION) throw bad('message caption is too long')
    const markup = checkMarkup(p.reply_markup)
    let file: StoredFile | undefined
    if (input instanceof UploadedFile) file = this.storeFile(kind, input.content.length, undefined, input.content)
    else if (typeof input === 'string') {
      file = this.files.get(input)
      if (!file && !/^https?:\/\//.test(input)) throw bad('wrong file identifier/HTTP URL specified')
      file ??= this.storeFile(kind, 10_000)
    } else throw bad(`wrong ${kind} parameter`)
    this.floodCheck(chat.id)
    const fields: Partial<TgMessage> =
      kind === 'photo'
        ? { photo: [photoSize(file, 1280)] }
        : {
            document: {
              file_id: file.file_id,
              file_unique_id: file.file_unique_id,
              file_size: file.size,
              ...(input instanceof UploadedFile && input.fileName ? { file_name: input.fileName } : {}),
            },
          }
    const message = this.botMessage(chat, { ...fields, ...(caption !== undefined ? { caption } : {}) }, p, markup)
    this.transcript(chat.id).push({
      from: 'bot',
      messageId: message.message_id,
      text: caption,
      ...(message.reply_markup ? { buttons: message.reply_markup.inline_keyboard } : {}),
      kind,
      at: nowDate().getTime(),
    })
    return message
  }

  private editMessage(p: Record<string, unknown>, what: 'text' | 'markup'): TgMessage {
    const chatId = chatIdOf(p)
    const message = this.messages.get(chatId)?.get(Number(p.message_id))
    if (!message) throw bad('message to edit not found')
    if (message.from?.id !== this.botUser.id) throw bad("message can't be edited")
    const markup = checkMarkup(p.reply_markup)
    if (markup && !('inline_keyboard' in markup)) throw bad('inline keyboard expected')
    const nextText = what === 'text' ? (typeof p.text === 'string' ? p.text : '') : message.text
    if (what === 'text' && (nextText ?? '').trim() === '') throw bad('message text is empty')
    if (what === 'text' && [...(nextText ?? '')].length > MAX_TEXT) throw bad('message is too long')
    const nextMarkup = markup && 'inline_keyboard' in markup ? markup : undefined
    if (nextText === message.text && JSON.stringify(nextMarkup) === JSON.stringify(message.reply_markup ?? undefined)) {
      throw bad(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      )
    }
    const edited: TgMessage = { ...message, edit_date: unixNow() }
    if (nextText !== undefined) edited.text = nextText
    if (nextMarkup) edited.reply_markup = nextMarkup
    else delete edited.reply_markup
    this.messages.get(chatId)?.set(message.message_id, edited)
    this.transcript(chatId).push({
      from: 'bot',
      messageId: message.message_id,
      text: edited.text,
      ...(edited.reply_markup ? { buttons: edited.reply_markup.inline_keyboard } : {}),
      kind: 'edit',
      at: nowDate().getTime(),
    })
    return edited
  }

  private botMessage(
    chat: TgChat,
    fields: Partial<TgMessage>,
    p: Record<string, unknown>,
    markup: Markup | undefined,
  ): TgMessage {
    const replyTo = replyToId(p)
    const original = replyTo === undefined ? undefined : this.messages.get(chat.id)?.get(replyTo)
    if (replyTo !== undefined && !original && !truthy(p.allow_sending_without_reply)) {
      throw bad('message to be replied not found')
    }
    const message: TgMessage = {
      message_id: this.nextId(chat.id),
      date: unixNow(),
      chat,
      from: this.botUser,
      ...fields,
      ...(original ? { reply_to_message: structuredClone(original) } : {}),
      ...(markup && 'inline_keyboard' in markup && markup.inline_keyboard.length > 0 ? { reply_markup: markup } : {}),
    }
    this.store(chat.id, message)
    return structuredClone(message)
  }

  private userMessage(
    chat: TgChat,
    from: TgUser,
    fields: Partial<TgMessage>,
    kind: TranscriptEntry['kind'],
  ): TgMessage {
    const message: TgMessage = { message_id: this.nextId(chat.id), date: unixNow(), chat, from, ...fields }
    this.store(chat.id, message)
    this.transcript(chat.id).push({
      from: 'user',
      messageId: message.message_id,
      text: message.text ?? message.caption,
      kind,
      at: nowDate().getTime(),
    })
    return message
  }

  private store(chatId: number, message: TgMessage): void {
    let chat = this.messages.get(chatId)
    if (!chat) {
      chat = new Map()
      this.messages.set(chatId, chat)
    }
    chat.set(message.message_id, message)
  }

  private nextId(chatId: number): number {
    const id = (this.nextMessageId.get(chatId) ?? 0) + 1
    this.nextMessageId.set(chatId, id)
    return id
  }

  private photoSizes(size: number, content?: Buffer): TgPhotoSize[] {
    const small = this.storeFile('photo', Math.min(size, 1_500), 'image/jpeg')
    const large = this.storeFile('photo', size, 'image/jpeg', content)
    return [photoSize(small, 90), photoSize(large, 1280)]
  }

  private storeFile(kind: 'photo' | 'document', size: number, mimeType?: string, content?: Buffer): StoredFile {
    const n = this.nextFile++
    const file: StoredFile = {
      file_id: `${kind === 'photo' ? 'AgAC' : 'BQAC'}fake${n}`,
      file_unique_id: `u${n}`,
      size: content?.length ?? size,
      path: `${kind === 'photo' ? 'photos' : 'documents'}/file_${n}.${kind === 'photo' ? 'jpg' : extensionOf(mimeType)}`,
      content,
      kind,
      mimeType,
    }
    this.files.set(file.file_id, file)
    this.filesByPath.set(file.path, file)
    return file
  }

  private queue(update: Record<string, unknown>): number {
    const updateId = this.nextUpdateId++
    this.pending.push({ ...update, update_id: updateId })
    this.changed()
    const poll = [...this.polls][0]
    if (poll) {
      this.dropDisallowed()
      if (this.pending.length > 0)
        poll.respond(200, { ok: true, result: structuredClone(this.pending.slice(0, poll.limit)) })
    }
    this.scheduleDelivery(0)
    return updateId
  }

  private scheduleDelivery(delayMs: number): void {
    if (!this.webhook || this.delivering || this.closed || this.isDown) return
    clearTimeout(this.deliveryTimer)
    this.deliveryTimer = setTimeout(() => void this.deliver(), delayMs)
  }

  /** Sends pending updates to the webhook one at a time, in order; a failure is retried after a pause. */
  private async deliver(): Promise<void> {
    if (this.delivering) return
    this.delivering = true
    try {
      while (this.webhook && !this.closed && !this.isDown) {
        this.dropDisallowed()
        const update = this.pending[0]
        if (!update) return
        const hook = this.webhook
        let status = 0
        let replied: unknown
        try {
          const response = await fetch(hook.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(hook.secret !== undefined ? { 'X-Telegram-Bot-Api-Secret-Token': hook.secret } : {}),
            },
            body: JSON.stringify(update),
            signal: AbortSignal.timeout(10_000),
          })
          status = response.status
          const text = await response.text()
          if (text.trim().startsWith('{')) replied = JSON.parse(text)
        } catch (error) {
          hook.lastError = error instanceof Error ? error.message : String(error)
        }
        this.webhookDeliveries.push({ updateId: update.update_id, status, at: nowDate().getTime() })
        if (status >= 200 && status < 300) {
          if (this.pending[0] === update) this.pending.shift()
          hook.lastError = undefined
          if (isRecord(replied) && typeof replied.method === 'string') this.webhookReply(replied)
          this.changed()
        } else {
          if (status !== 0) hook.lastError = `Wrong response from the webhook: ${status}`
          this.changed()
          this.delivering = false
          this.scheduleDelivery(this.options.webhookRetryMs ?? 200)
          return
        }
      }
    } finally {
      this.delivering = false
    }
  }

  /** grammY may answer a webhook with one method call in the response body; Telegram performs it. */
  private webhookReply(body: Record<string, unknown>): void {
    const { method, ...params } = body
    const call: RecordedCall = {
      method: String(method),
      params,
      at: nowDate().getTime(),
      monotonicAt: performance.now(),
      status: 0,
      viaWebhookReply: true,
    }
    this.calls.push(call)
    call.status = this.dispatch(String(method), params).status
  }

  private changed(): void {
    this.events.emit('change')
  }
}

/** Starts a fake Telegram Bot API server on a random loopback port. */
export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  return new FakeTelegram(options).start()
}

// ---------------------------------------------------------------- helpers

/** A file part of a multipart request. */
export class UploadedFile {
  readonly content: Buffer
  readonly fileName: string | undefined
  constructor(content: Buffer, fileName: string | undefined) {
    this.content = content
    this.fileName = fileName
  }
}

type Markup =
  | { inline_keyboard: TgInlineButton[][] }
  | { keyboard: unknown[][]; one_time_keyboard?: boolean }
  | { remove_keyboard: true }
  | { force_reply: true }

/** Checks reply_markup as Telegram does for what we use (button data at most 64 bytes, a text on each). */
function checkMarkup(value: unknown): Markup | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (!isRecord(value)) throw bad("can't parse reply keyboard markup JSON object")
  if (Array.isArray(value.inline_keyboard)) {
    for (const row of value.inline_keyboard) {
      if (!Array.isArray(row)) throw bad('field "inline_keyboard" must be an Array of Arrays')
      for (const button of row) {
        if (!isRecord(button) || typeof button.text !== 'string' || button.text === '') throw bad('BUTTON_TEXT_INVALID')
        const data = button.callback_data
        if (
          data !== undefined &&
          (typeof data !== 'string' || Buffer.byteLength(data) > MAX_CALLBACK_DATA || data === '')
        ) {
          throw bad('BUTTON_DATA_INVALID')
        }
        if (data === undefined && typeof button.url !== 'string') throw bad('can\'t find field "callback_data"')
        if (typeof button.url === 'string' && !/^(https?|tg):\/\//.test(button.url)) throw bad('BUTTON_URL_INVALID')
      }
    }
    return value as Markup
  }
  if (Array.isArray(value.keyboard)) {
    for (const row of value.keyboard) {
      if (!Array.isArray(row)) throw bad('field "keyboard" must be an Array of Arrays')
    }
    return value as Markup
  }
  if (value.remove_keyboard === true || value.force_reply === true) return value as Markup
  throw bad("can't parse reply keyboard markup JSON object")
}

function replyToId(p: Record<string, unknown>): number | undefined {
  if (isRecord(p.reply_parameters) && p.reply_parameters.message_id !== undefined) {
    return Number(p.reply_parameters.message_id)
  }
  return p.reply_to_message_id === undefined ? undefined : Number(p.reply_to_message_id)
}

function chatIdOf(p: Record<string, unknown>): number {
  const id = Number(p.chat_id)
  if (p.chat_id === undefined || !Number.isFinite(id)) throw bad('chat not found')
  return id
}

function faultBody(fault: Exclude<Fault, { hangMs: number } | { answerAfterMs: number }>): unknown {
  const descriptions: Record<number, string> = {
    400: 'Bad Request',
    403: 'Forbidden: bot was blocked by the user',
    409: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
  }
  if ('retryAfter' in fault) {
    return {
      ok: false,
      error_code: 429,
      description: `Too Many Requests: retry after ${fault.retryAfter}`,
      parameters: { retry_after: fault.retryAfter },
    }
  }
  const description = ('description' in fault ? fault.description : undefined) ?? descriptions[fault.status] ?? 'Error'
  return { ok: false, error_code: fault.status, description }
}

function isFlood(answer: ApiAnswer): boolean {
  return answer.status === 429
}

function photoSize(file: StoredFile, side: number): TgPhotoSize {
  return { file_id: file.file_id, file_unique_id: file.file_unique_id, width: side, height: side, file_size: file.size }
}

/** Deterministic bytes of the declared size, starting with the type's magic numbers, unique per file. */
function fileContent(file: StoredFile): Buffer {
  if (file.content) return file.content
  const buffer = Buffer.alloc(file.size, 0x20)
  const head =
    file.kind === 'photo' || file.mimeType === 'image/jpeg'
      ? Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00])
      : file.mimeType === 'application/pdf'
        ? Buffer.from('%PDF-1.4\n')
        : file.mimeType === 'image/png'
          ? Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
          : Buffer.from(`file ${file.file_id}\n`)
  head.copy(buffer, 0, 0, Math.min(head.length, buffer.length))
  // Each file's bytes differ (its id after the magic numbers): an album is three files, not one.
  const id = Buffer.from(` ${file.file_id} `)
  if (buffer.length >= head.length + id.length + 2) id.copy(buffer, head.length)
  if ((file.kind === 'photo' || file.mimeType === 'image/jpeg') && buffer.length >= head.length + 2) {
    buffer[buffer.length - 2] = 0xff
    buffer[buffer.length - 1] = 0xd9
  }
  return buffer
}

function extensionOf(mimeType: string | undefined): string {
  if (mimeType === 'application/pdf') return 'pdf'
  if (mimeType === 'image/png') return 'png'
  if (mimeType === 'image/jpeg') return 'jpg'
  return 'dat'
}

function updateType(update: TgUpdate): string {
  return Object.keys(update).find((k) => k !== 'update_id') ?? 'unknown'
}

function unixNow(): number {
  return Math.floor(nowDate().getTime() / 1000)
}

function truthy(value: unknown): boolean {
  return value === true || value === 'true' || value === 1 || value === '1'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** JSON, urlencoded and multipart bodies (grammY's own multipart dialect included), `attach://` resolved. */
function parseParams(contentType: string, body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {}
  if (contentType.includes('application/json')) {
    const parsed: unknown = JSON.parse(body.toString('utf8'))
    if (!isRecord(parsed)) throw new Error('not an object')
    return parsed
  }
  if (contentType.includes('application/x-www-form-urlencoded')) {
    return decodeFields(Object.fromEntries(new URLSearchParams(body.toString('utf8'))))
  }
  const boundary = contentType.match(/boundary=("?)([^";]+)\1/)?.[2]
  if (contentType.includes('multipart/form-data') && boundary) {
    const fields: Record<string, string> = {}
    const files: Record<string, UploadedFile> = {}
    for (const part of splitMultipart(body, boundary)) {
      const name = part.headers.match(/name="([^"]*)"/)?.[1]
      if (name === undefined) continue
      const fileName = part.headers.match(/filename=(?:"([^"]*)"|([^;\r\n]+))/)
      if (fileName) files[name] = new UploadedFile(part.body, fileName[1] ?? fileName[2])
      else fields[name] = part.body.toString('utf8')
    }
    const decoded = decodeFields(fields)
    for (const [key, value] of Object.entries(decoded)) {
      const attached = typeof value === 'string' ? value.match(/^attach:\/\/(.+)$/)?.[1] : undefined
      if (attached !== undefined && files[attached]) decoded[key] = files[attached]
    }
    return decoded
  }
  throw new Error(`unsupported content type ${contentType}`)
}

/** Form fields are strings; objects and arrays arrive JSON-encoded (reply_markup, allowed_updates, …). */
function decodeFields(fields: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) {
    const trimmed = value.trim()
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        out[key] = JSON.parse(trimmed)
        continue
      } catch {
        // Not JSON after all: keep the text.
      }
    }
    out[key] = value
  }
  return out
}

function splitMultipart(body: Buffer, boundary: string): Array<{ headers: string; body: Buffer }> {
  const delimiter = Buffer.from(`--${boundary}`)
  const parts: Array<{ headers: string; body: Buffer }> = []
  let start = body.indexOf(delimiter)
  while (start !== -1) {
    let from = start + delimiter.length
    if (body.subarray(from, from + 2).toString() === '--') break
    if (body.subarray(from, from + 2).toString() === '\r\n') from += 2
    const next = body.indexOf(delimiter, from)
    if (next === -1) break
    let end = next
    if (body.subarray(end - 2, end).toString() === '\r\n') end -= 2
    const part = body.subarray(from, end)
    const split = part.indexOf('\r\n\r\n')
    if (split !== -1) parts.push({ headers: part.subarray(0, split).toString('utf8'), body: part.subarray(split + 4) })
    start = next
  }
  return parts
}
