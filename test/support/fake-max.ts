import { EventEmitter } from 'node:events'
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { nowDate } from '#src/db/time.ts'
import type { MaxAttachment, MaxButton, MaxMessage, MaxUpdate, MaxUser } from '#src/max/max-types.ts'

/**
 * A fake MAX Bot API server on 127.0.0.1, the MAX counterpart of fake-telegram.ts: our client (and later the bot)
 * talks to it over loopback through `apiRoot`. Built from the published OpenAPI schema (docs/max-messenger.md):
 * the token in the `Authorization` header (a query `access_token` is refused as MAX does), `GET /updates` with
 * markers, webhook subscriptions delivered with `X-Max-Bot-Api-Secret`, `POST/PUT/DELETE /messages` with inline
 * keyboards, `POST /answers`, `POST /uploads` with a separate upload host (here: `/upload/…` on the same server,
 * token-less like the real one) and file URLs for downloads (`/files/…`, signed, token-less).
 *
 * It records every request, keeps a transcript per person, plays a person (start with a deep-link payload, text,
 * commands, photos, files, contact sharing, button presses, stopping the bot) and injects faults (any status
 * with MAX's `{ code, message }` body and an optional `Retry-After`, held requests, a 30 rps flood control).
 *
 * Where the schema says nothing (the error codes other than `verify.token`, `deprecated.token` and
 * `attachment.not.ready`; two polls at once; a message to a person who stopped the bot) the behaviour is
 * modelled and marked so. Only the outside world is faked here; nothing of ours is.
 */

export const MAX_BOT_TOKEN = 'fake-max-token-0123456789abcdef'
export const MAX_BOT_ID = 7_000_001
const TEXT_LIMIT = 4000
const CALLBACK_PAYLOAD_LIMIT = 1024
const BUTTON_TEXT_LIMIT = 128
const URL_LIMIT = 2048
const START_PAYLOAD_LIMIT = 512

export interface MaxRecordedCall {
  /** `POST /messages`, `GET /updates`, … ; `upload` and `download` for the token-less hosts. */
  route: string
  query: Record<string, string>
  body: unknown
  headers: IncomingHttpHeaders
  /** The application clock (src/db/time.ts) when the request arrived. */
  at: number
  /** Monotonic ms when the request arrived: for measuring rates in real time. */
  monotonicAt: number
  /** The HTTP status answered (0 while held). */
  status: number
  /** Set when an injected fault or the flood control answered. */
  fault?: string
}

export type MaxFault =
  | { status: number; code?: string; message?: string; retryAfter?: number }
  /** The request is held this long and then answered normally (a client timeout fires first). */
  | { hangMs: number }

export interface FakeMaxOptions {
  token?: string
  botUsername?: string
  /** Refuse messages to people who never opened the dialog (404). Off: any user id gets a dialog. */
  strictChats?: boolean
  /** Answer 429 past this many API requests in any second (MAX's published limit is 30 rps). Off by default. */
  rateLimit?: { perSecond: number; retryAfter?: number }
  /** After each upload, the first this-many messages using it answer `attachment.not.ready`. */
  notReadyAnswers?: number
  /** Pause before a failed webhook delivery is retried (MAX: 60 s and growing). */
  webhookRetryMs?: number
}

export interface FakeMaxPersonOptions {
  firstName?: string
  lastName?: string
  username?: string
}

export interface MaxTranscriptEntry {
  from: 'bot' | 'user'
  mid: string | undefined
  text: string | null | undefined
  /** Inline buttons under a bot message (current, after edits). */
  buttons?: MaxButton[][]
  kind: 'start' | 'stop' | 'text' | 'photo' | 'file' | 'contact' | 'callback' | 'edit' | 'notification'
  at: number
}

export interface MaxSentUpdate {
  /** The update's place in the queue (what markers count). */
  seq: number
  /** The message id, for message updates. */
  mid?: string
}

/** Helpers to play one person in their dialog with the bot. */
export interface FakeMaxPerson {
  readonly userId: number
  readonly chatId: number
  readonly user: MaxUser
  /** Opens the dialog (the «Начать» button or a deep link `https://max.ru/<bot>?start=<payload>`). */
  start(payload?: string): MaxSentUpdate
  send(text: string, options?: { replyTo?: string }): MaxSentUpdate
  command(text: string): MaxSentUpdate
  sendPhoto(options?: { size?: number; content?: Buffer; caption?: string }): MaxSentUpdate
  sendFile(options?: { fileName?: string; size?: number; content?: Buffer; caption?: string }): MaxSentUpdate
  /**
   * The request_contact button's answer: the person's own account and phone, unless `userId` names another
   * (spoofed). `hash` is set for their own (`vouched`); its real formula is unpublished, so it is a placeholder.
   */
  shareContact(options: { phone: string; userId?: number; name?: string; vouched?: boolean }): MaxSentUpdate
  /** Presses a callback button under a bot message; returns the callback id. */
  press(mid: string, payload: string): MaxSentUpdate & { callbackId: string }
  /** Stops the bot: `bot_stopped`, then sends answer 403 until `start()` again. */
  stop(): MaxSentUpdate
  transcript(): MaxTranscriptEntry[]
  /** The bot's messages in this dialog, current content after edits, oldest first. */
  botMessages(): MaxMessage[]
  lastBotMessage(): MaxMessage | undefined
}

interface StoredMessage {
  chatId: number
  fromBot: boolean
  message: MaxMessage
}

interface StoredFile {
  id: number
  kind: 'image' | 'file' | 'video' | 'audio'
  content: Buffer
  fileName: string
  token: string
  /** Messages that may still answer `attachment.not.ready` for it. */
  notReadyLeft: number
}

interface QueuedUpdate {
  seq: number
  update: MaxUpdate
}

interface HeldPoll {
  respond(status: number, body: unknown): void
  /** What the poll would answer now. */
  batch(): { updates: MaxUpdate[]; marker: number }
  timer: NodeJS.Timeout
}

class Refusal extends Error {
  readonly status: number
  readonly code: string
  readonly retryAfter: number | undefined
  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(message)
    this.status = status
    this.code = code
    this.retryAfter = retryAfter
  }
}

const badRequest = (message: string) => new Refusal(400, 'proto.payload', message)

export class FakeMax {
  readonly token: string
  readonly botUser: MaxUser
  /** Every request, in arrival order. */
  readonly calls: MaxRecordedCall[] = []
  readonly webhookDeliveries: Array<{ seq: number; status: number; secretHeader: string | undefined }> = []

  private readonly options: FakeMaxOptions
  private readonly server: Server
  private readonly events = new EventEmitter()
  private port = 0
  private closed = false

  private nextSeq = 1_000
  private readonly pending: QueuedUpdate[] = []
  private readonly polls = new Set<HeldPoll>()
  private subscription: { url: string; secret: string | undefined; types: string[] | undefined } | undefined
  private delivering = false
  private deliveryTimer: NodeJS.Timeout | undefined

  private readonly faults = new Map<string, MaxFault[]>()
  private readonly people = new Map<number, MaxUser>()
  private readonly dialogs = new Map<number, number>()
  private readonly stopped = new Set<number>()
  private nextChatId = 50_000_001
  private nextMid = 1
  private readonly seqByChat = new Map<number, number>()
  private readonly messages = new Map<string, StoredMessage>()
  private readonly transcripts = new Map<number, MaxTranscriptEntry[]>()
  private readonly files = new Map<number, StoredFile>()
  private readonly filesByToken = new Map<string, StoredFile>()
  private readonly uploadSlots = new Map<number, { type: StoredFile['kind']; token: string | undefined }>()
  private nextFile = 1
  private readonly callbacks = new Map<string, { mid: string; answer?: Record<string, unknown> }>()
  private nextCallback = 1
  private commands: unknown[] = []
  private readonly recent: number[] = []
  private readonly holds = new Set<NodeJS.Timeout>()

  constructor(options: FakeMaxOptions = {}) {
    this.options = options
    this.token = options.token ?? MAX_BOT_TOKEN
    this.botUser = {
      user_id: MAX_BOT_ID,
      first_name: 'Helpdesk',
      username: options.botUsername ?? 'helpdesk_test_bot',
      is_bot: true,
      last_activity_time: nowDate().getTime(),
    }
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        this.json(res, 500, { code: 'internal.error', message: String(error) })
      })
    })
    this.events.setMaxListeners(0)
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject)
        this.port = (this.server.address() as AddressInfo).port
        resolve()
      })
    })
    return this
  }

  /** What `MAX_API_ROOT` is set to. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Stops serving: held polls answered, connections cut, deliveries stopped. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.deliveryTimer)
    for (const poll of [...this.polls]) poll.respond(503, { code: 'service.unavailable', message: 'shutting down' })
    for (const timer of this.holds) clearTimeout(timer)
    this.holds.clear()
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  /**
   * Queues faults for a route (`POST /messages`, `GET /updates`, `POST /uploads`, `upload`, `download`, or `*`
   * for any): each answers one request, in order.
   */
  inject(route: string, ...faults: MaxFault[]): void {
    const list = this.faults.get(route) ?? []
    list.push(...faults)
    this.faults.set(route, list)
  }

  /** A person in a dialog with the bot. */
  user(userId: number, options: FakeMaxPersonOptions = {}): FakeMaxPerson {
    const user: MaxUser = this.people.get(userId) ?? {
      user_id: userId,
      first_name: options.firstName ?? `Пользователь ${userId}`,
      ...(options.lastName !== undefined ? { last_name: options.lastName } : {}),
      username: options.username ?? null,
      is_bot: false,
      last_activity_time: nowDate().getTime(),
      name: options.firstName ?? `Пользователь ${userId}`,
    }
    this.people.set(userId, user)
    const chatId = this.dialogOf(userId)
    const say = (
      text: string | null,
      attachments: MaxAttachment[] | undefined,
      kind: MaxTranscriptEntry['kind'],
      replyTo?: string,
    ): MaxSentUpdate => {
      const message = this.userMessage(user, chatId, text, attachments, kind, replyTo)
      const seq = this.queue({
        update_type: 'message_created',
        timestamp: message.timestamp,
        message,
        user_locale: 'ru',
      })
      return { seq, mid: message.body.mid }
    }
    return {
      userId,
      chatId,
      user,
      start: (given) => {
        // MAX drops a payload past its limit and starts the dialog without one.
        const payload = given !== undefined && given.length > START_PAYLOAD_LIMIT ? undefined : given
        this.stopped.delete(userId)
        this.transcript(userId).push({ from: 'user', mid: undefined, text: payload ?? null, kind: 'start', at: now() })
        const seq = this.queue({
          update_type: 'bot_started',
          timestamp: now(),
          chat_id: chatId,
          user: structuredClone(user),
          ...(payload !== undefined ? { payload } : {}),
          user_locale: 'ru',
        })
        return { seq }
      },
      send: (text, o = {}) => say(text, undefined, 'text', o.replyTo),
      command: (text) => say(text, undefined, 'text'),
      sendPhoto: (o = {}) => {
        const file = this.storeFile('image', o.content ?? jpegBytes(o.size ?? 150_000, this.nextFile), 'photo.jpg')
        const attachment: MaxAttachment = {
          type: 'image',
          payload: { photo_id: file.id, url: this.fileUrl(file), token: file.token },
        }
        return say(o.caption ?? null, [attachment], 'photo')
      },
      sendFile: (o = {}) => {
        const content = o.content ?? Buffer.alloc(o.size ?? 50_000, 0x41)
        const file = this.storeFile('file', content, o.fileName ?? 'document.pdf')
        const attachment: MaxAttachment = {
          type: 'file',
          payload: { url: this.fileUrl(file), token: file.token },
          filename: file.fileName,
          size: file.content.length,
        }
        return say(o.caption ?? null, [attachment], 'file')
      },
      shareContact: (o) => {
        const owner = o.userId === undefined ? user : this.people.get(o.userId)
        const name = o.name ?? owner?.first_name ?? 'Контакт'
        const vcf = `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:${name}\r\nTEL;TYPE=cell:${o.phone}\r\nEND:VCARD\r\n`
        const vouched = o.vouched ?? o.userId === undefined
        const attachment: MaxAttachment = {
          type: 'contact',
          payload: {
            vcf_info: vcf,
            ...(vouched ? { hash: `h${userId}${o.phone.replace(/\D/g, '')}` } : {}),
            max_info: owner
              ? structuredClone(owner)
              : {
                  user_id: o.userId ?? 0,
                  first_name: name,
                  username: null,
                  is_bot: false,
                  last_activity_time: now(),
                },
          },
        }
        return say(null, [attachment], 'contact')
      },
      press: (mid, payload) => {
        const callbackId = `cb.${this.nextCallback++}.${userId}`
        this.callbacks.set(callbackId, { mid })
        const stored = this.messages.get(mid)
        this.transcript(userId).push({ from: 'user', mid, text: payload, kind: 'callback', at: now() })
        const seq = this.queue({
          update_type: 'message_callback',
          timestamp: now(),
          callback: { timestamp: now(), callback_id: callbackId, payload, user: structuredClone(user) },
          message: stored ? structuredClone(stored.message) : null,
          user_locale: 'ru',
        })
        return { seq, callbackId }
      },
      stop: () => {
        this.stopped.add(userId)
        this.transcript(userId).push({ from: 'user', mid: undefined, text: null, kind: 'stop', at: now() })
        return { seq: this.queue({ update_type: 'bot_stopped', timestamp: now(), chat_id: chatId, user }) }
      },
      transcript: () => [...this.transcript(userId)],
      botMessages: () => this.botMessages(userId),
      lastBotMessage: () => this.botMessages(userId).at(-1),
    }
  }

  /** Queues any update as given (odd updates, fuzzing). */
  rawUpdate(update: Record<string, unknown>): number {
    return this.queue(update as unknown as MaxUpdate)
  }

  /** Updates the bot has not yet passed with a marker (or had delivered to its webhook). */
  pendingUpdates(): Array<{ seq: number; update: MaxUpdate }> {
    return structuredClone(this.pending)
  }

  transcript(userId: number): MaxTranscriptEntry[] {
    let list = this.transcripts.get(userId)
    if (!list) {
      list = []
      this.transcripts.set(userId, list)
    }
    return list
  }

  /** The bot's messages to a person, current content after edits, oldest first. */
  botMessages(userId: number): MaxMessage[] {
    const chatId = this.dialogs.get(userId)
    return [...this.messages.values()]
      .filter((m) => m.fromBot && m.chatId === chatId)
      .map((m) => structuredClone(m.message))
  }

  /** How the bot answered a button press (undefined while unanswered). */
  callbackAnswer(callbackId: string): Record<string, unknown> | undefined {
    return this.callbacks.get(callbackId)?.answer
  }

  /** The bytes the bot uploaded under an upload token. */
  uploaded(token: string): { kind: string; fileName: string; content: Buffer } | undefined {
    const file = this.filesByToken.get(token)
    return file ? { kind: file.kind, fileName: file.fileName, content: file.content } : undefined
  }

  subscriptionInfo(): { url: string; secret: string | undefined } | undefined {
    return this.subscription ? { url: this.subscription.url, secret: this.subscription.secret } : undefined
  }

  myCommands(): unknown[] {
    return this.commands
  }

  /** Calls of one route, in order. */
  callsOf(route: string): MaxRecordedCall[] {
    return this.calls.filter((c) => c.route === route)
  }

  /** Resolves with the predicate's first truthy value, checked on every change; rejects after the timeout. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = predicate()
        if (value === undefined || value === null || value === false) return
        cleanup()
        resolve(value)
      }
      const interval = setInterval(check, 20)
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`fake MAX: condition not met within ${timeoutMs} ms`))
      }, timeoutMs)
      const cleanup = () => {
        clearInterval(interval)
        clearTimeout(timer)
        this.events.off('change', check)
      }
      this.events.on('change', check)
      check()
    })
  }

  /** Waits until the bot has sent `count` messages to this person. */
  waitForBotMessages(userId: number, count: number, timeoutMs = 5000): Promise<MaxMessage[]> {
    return this.waitFor(() => {
      const list = this.botMessages(userId)
      return list.length >= count ? list : undefined
    }, timeoutMs)
  }

  /** Waits until every queued update has been passed by a marker or delivered to the webhook. */
  waitForConfirmed(timeoutMs = 5000): Promise<true> {
    return this.waitFor(() => this.pending.length === 0, timeoutMs)
  }

  // ---------------------------------------------------------------- HTTP

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.writableEnded || res.destroyed) return
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/xml' : 'application/json; charset=utf-8',
      ...headers,
    })
    res.end(text)
  }

  private refuse(res: ServerResponse, call: MaxRecordedCall, refusal: Refusal): void {
    call.status = refusal.status
    this.json(
      res,
      refusal.status,
      { code: refusal.code, message: refusal.message },
      refusal.retryAfter !== undefined ? { 'retry-after': String(refusal.retryAfter) } : {},
    )
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = req.method ?? 'GET'
    const upload = url.pathname.match(/^\/upload\/(\d+)$/)
    const file = url.pathname.match(/^\/files\/(\d+)$/)
    const route = upload
      ? 'upload'
      : file
        ? 'download'
        : `${method} ${url.pathname.replace(/\/mid\.[\w.]+$/, '/{mid}')}`
    const contentType = req.headers['content-type'] ?? ''
    let body: unknown
    if (contentType.includes('application/json') && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'))
      } catch {
        body = undefined
      }
    }
    const call: MaxRecordedCall = {
      route,
      query: Object.fromEntries(url.searchParams),
      body,
      headers: req.headers,
      at: now(),
      monotonicAt: performance.now(),
      status: 0,
    }
    this.calls.push(call)
    this.changed()

    const fault = this.takeFault(route)
    if (fault && 'hangMs' in fault) {
      call.fault = `hang ${fault.hangMs} ms`
      await this.hold(fault.hangMs)
      if (this.closed || res.destroyed) return
    } else if (fault) {
      call.fault = `status ${fault.status}`
      this.refuse(
        res,
        call,
        new Refusal(fault.status, fault.code ?? faultCode(fault.status), fault.message ?? 'fault', fault.retryAfter),
      )
      this.changed()
      return
    }

    try {
      if (upload) {
        this.receiveUpload(res, call, Number(upload[1]), contentType, raw)
        return
      }
      if (file) {
        this.serveFile(res, call, Number(file[1]), url.searchParams.get('sig'))
        return
      }
      this.authorize(req, url)
      this.floodControl(call)
      if (route === 'GET /updates') {
        this.getUpdates(url.searchParams, (status, answer) => {
          call.status = status
          this.json(res, status, answer)
          this.changed()
        })
        return
      }
      if (raw.length > 0 && body === undefined) throw badRequest('request body is not valid JSON')
      const result = this.apply(route, url.searchParams, body)
      call.status = 200
      this.json(res, 200, result)
    } catch (error) {
      if (!(error instanceof Refusal)) throw error
      this.refuse(res, call, error)
    }
    this.changed()
  }

  private authorize(req: IncomingMessage, url: URL): void {
    const header = req.headers.authorization
    if (header === undefined && url.searchParams.has('access_token')) {
      throw new Refusal(403, 'deprecated.token', 'Query parameter access_token is deprecated, use Authorization header')
    }
    if (header !== this.token) throw new Refusal(401, 'verify.token', 'Invalid access_token')
  }

  /** Modelled: MAX publishes 30 rps, not how it answers past it; we answer 429 as any flood control would. */
  private floodControl(call: MaxRecordedCall): void {
    const limit = this.options.rateLimit
    if (!limit) return
    const t = performance.now()
    while ((this.recent[0] ?? t) <= t - 1000) this.recent.shift()
    if (this.recent.length >= limit.perSecond) {
      call.fault = 'rate limit'
      throw new Refusal(429, 'too.many.requests', 'Too many requests', limit.retryAfter)
    }
    this.recent.push(t)
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

  private takeFault(route: string): MaxFault | undefined {
    for (const key of [route, '*']) {
      const fault = this.faults.get(key)?.shift()
      if (fault) return fault
    }
    return undefined
  }

  // ---------------------------------------------------------------- the methods

  private apply(route: string, q: URLSearchParams, body: unknown): unknown {
    switch (route) {
      case 'GET /me':
        return { ...this.botUser, description: 'Заявки в ИТ-отдел', commands: this.commands }
      case 'PATCH /me': {
        if (!isRecord(body)) throw badRequest('body expected')
        if (Array.isArray(body.commands)) {
          if (body.commands.length > 32) throw badRequest('at most 32 commands')
          this.commands = body.commands
        }
        return { ...this.botUser, commands: this.commands }
      }
      case 'GET /subscriptions':
        return {
          subscriptions: this.subscription
            ? [{ url: this.subscription.url, time: now(), update_types: this.subscription.types ?? null }]
            : [],
        }
      case 'POST /subscriptions':
        return this.subscribe(body)
      case 'DELETE /subscriptions': {
        if (!this.subscription || this.subscription.url !== q.get('url')) {
          return { success: false, message: 'subscription not found' }
        }
        this.subscription = undefined
        return { success: true }
      }
      case 'POST /messages':
        return { message: this.sendMessage(q, body) }
      case 'PUT /messages':
        return this.editMessage(q.get('message_id') ?? '', body)
      case 'DELETE /messages': {
        const stored = this.messages.get(q.get('message_id') ?? '')
        if (!stored) throw new Refusal(404, 'not.found', 'Message not found')
        this.messages.delete(stored.message.body.mid)
        return { success: true }
      }
      case 'GET /messages/{mid}':
        throw new Refusal(404, 'not.found', 'Message not found')
      case 'POST /answers':
        return this.answer(q.get('callback_id') ?? '', body)
      case 'POST /uploads':
        return this.uploadSlot(q.get('type') ?? '')
      default:
        throw new Refusal(404, 'not.found', `Path ${route} not found`)
    }
  }

  private subscribe(body: unknown): { success: true } {
    if (!isRecord(body) || typeof body.url !== 'string') throw badRequest('url is required')
    const target = new URL(body.url)
    // MAX delivers to https on port 443 only; the fake also takes loopback http so that tests need no TLS.
    const loopback = target.hostname === '127.0.0.1' || target.hostname === 'localhost'
    if (target.protocol !== 'https:' && !loopback) throw badRequest('url must start with https://')
    const secret = body.secret === undefined ? undefined : String(body.secret)
    if (secret !== undefined && !/^[a-zA-Z0-9_-]{5,256}$/.test(secret)) throw badRequest('secret: invalid format')
    const types = Array.isArray(body.update_types) ? body.update_types.map(String) : undefined
    this.subscription = { url: body.url, secret, types }
    // With a subscription, long polling stops (the schema's 405 for GET /updates).
    for (const poll of [...this.polls]) {
      poll.respond(405, { code: 'method.not.allowed', message: 'Long polling is disabled while a webhook is set' })
    }
    this.scheduleDelivery(0)
    return { success: true }
  }

  private getUpdates(q: URLSearchParams, respond: (status: number, body: unknown) => void): void {
    if (this.subscription) {
      respond(405, { code: 'method.not.allowed', message: 'Long polling is disabled while a webhook is set' })
      return
    }
    const limit = intParam(q.get('limit'), 100)
    const timeout = intParam(q.get('timeout'), 30)
    if (limit < 1 || limit > 1000) {
      respond(400, { code: 'proto.payload', message: 'limit must be in [1, 1000]' })
      return
    }
    if (timeout < 0 || timeout > 90) {
      respond(400, { code: 'proto.payload', message: 'timeout must be in [0, 90]' })
      return
    }
    const types = q
      .get('types')
      ?.split(',')
      .filter((t) => t !== '')
    const markerText = q.get('marker')
    const marker = markerText === null || markerText === '' || markerText === 'null' ? undefined : Number(markerText)
    if (marker === undefined) {
      // The schema: without a marker only the latest update comes; the earlier ones count as passed.
      this.pending.splice(0, Math.max(0, this.pending.length - 1))
    } else {
      while ((this.pending[0]?.seq ?? Number.POSITIVE_INFINITY) < marker) this.pending.shift()
    }
    // Modelled: a second poll ends the one still held with what it has (nothing).
    for (const poll of [...this.polls]) poll.respond(200, { updates: [], marker: marker ?? this.nextSeq })
    const batch = () => {
      const wanted =
        types && types.length > 0 ? this.pending.filter((u) => types.includes(u.update.update_type)) : this.pending
      const chosen = wanted.slice(0, limit)
      const last = chosen.at(-1)
      // Updates of unwanted types before the last chosen one are passed over with it.
      const nextMarker = last ? last.seq + 1 : types && types.length > 0 ? this.nextSeq : (marker ?? this.nextSeq)
      return { updates: chosen.map((u) => structuredClone(u.update)), marker: nextMarker }
    }
    const first = batch()
    if (first.updates.length > 0 || timeout === 0) {
      respond(200, first)
      return
    }
    const poll: HeldPoll = {
      batch,
      timer: setTimeout(() => poll.respond(200, batch()), timeout * 1000),
      respond: (status, answer) => {
        if (!this.polls.delete(poll)) return
        clearTimeout(poll.timer)
        respond(status, answer)
      },
    }
    this.polls.add(poll)
  }

  private sendMessage(q: URLSearchParams, body: unknown): MaxMessage {
    const userId = q.has('user_id') ? Number(q.get('user_id')) : undefined
    const chatQuery = q.has('chat_id') ? Number(q.get('chat_id')) : undefined
    if (userId === undefined && chatQuery === undefined) throw badRequest('user_id or chat_id is required')
    const chatId = userId !== undefined ? this.dialogFor(userId) : (chatQuery as number)
    const personId = this.personOfChat(chatId)
    if (personId === undefined) throw new Refusal(404, 'chat.not.found', 'Chat not found')
    // Modelled: a person who stopped the bot cannot be written to.
    if (this.stopped.has(personId)) throw new Refusal(403, 'chat.denied', 'The user has stopped the bot')
    const content = this.checkBody(body, false)
    this.notReady(content.attachments)
    const message: MaxMessage = {
      sender: structuredClone(this.botUser),
      recipient: { chat_id: chatId, chat_type: 'dialog', user_id: personId },
      timestamp: now(),
      body: {
        mid: this.newMid(),
        seq: this.nextSeqOf(chatId),
        text: content.text ?? null,
        ...(content.attachments && content.attachments.length > 0 ? { attachments: content.attachments } : {}),
      },
      ...(content.link ? { link: content.link } : {}),
    }
    this.messages.set(message.body.mid, { chatId, fromBot: true, message })
    this.transcript(personId).push({
      from: 'bot',
      mid: message.body.mid,
      text: message.body.text,
      ...buttonsOf(message.body.attachments),
      kind: content.attachments?.some((a) => a.type === 'image')
        ? 'photo'
        : content.attachments?.some((a) => a.type === 'file')
          ? 'file'
          : 'text',
      at: now(),
    })
    return structuredClone(message)
  }

  private editMessage(mid: string, body: unknown): { success: boolean; message?: string } {
    const stored = this.messages.get(mid)
    if (!stored) throw new Refusal(404, 'not.found', 'Message not found')
    if (!stored.fromBot) throw new Refusal(403, 'access.denied', 'Only messages of the bot can be edited')
    const content = this.checkBody(body, true)
    this.applyEdit(stored, content)
    return { success: true }
  }

  private applyEdit(stored: StoredMessage, content: CheckedBody): void {
    const next = structuredClone(stored.message)
    if (content.text !== undefined) next.body.text = content.text
    // NewMessageBody: attachments null/absent keep them, [] removes them all.
    if (content.attachments !== undefined) {
      if (content.attachments.length === 0) delete next.body.attachments
      else next.body.attachments = content.attachments
    }
    stored.message = next
    const personId = this.personOfChat(stored.chatId)
    if (personId !== undefined) {
      this.transcript(personId).push({
        from: 'bot',
        mid: next.body.mid,
        text: next.body.text,
        ...buttonsOf(next.body.attachments),
        kind: 'edit',
        at: now(),
      })
    }
  }

  private answer(callbackId: string, body: unknown): { success: true } {
    const callback = this.callbacks.get(callbackId)
    if (!callback) throw new Refusal(404, 'not.found', 'Callback not found')
    if (!isRecord(body) || (body.message === undefined && body.notification === undefined)) {
      throw badRequest('message or notification is required')
    }
    if (body.notification !== undefined && typeof body.notification !== 'string') throw badRequest('notification')
    const stored = this.messages.get(callback.mid)
    if (body.message !== undefined && body.message !== null) {
      if (!stored) throw new Refusal(404, 'not.found', 'Message not found')
      this.applyEdit(stored, this.checkBody(body.message, true))
    }
    callback.answer = structuredClone(body)
    const personId = stored ? this.personOfChat(stored.chatId) : undefined
    if (personId !== undefined && typeof body.notification === 'string') {
      this.transcript(personId).push({
        from: 'bot',
        mid: callback.mid,
        text: body.notification,
        kind: 'notification',
        at: now(),
      })
    }
    return { success: true }
  }

  private uploadSlot(type: string): { url: string; token?: string } {
    if (type !== 'image' && type !== 'file' && type !== 'video' && type !== 'audio') {
      throw badRequest(`type: expected image, video, audio or file, got ${type}`)
    }
    const slot = this.nextFile++
    const token = type === 'video' || type === 'audio' ? `tok-${type}-${slot}` : undefined
    this.uploadSlots.set(slot, { type, token })
    return { url: `${this.apiRoot}/upload/${slot}?sig=s${slot}`, ...(token ? { token } : {}) }
  }

  private receiveUpload(res: ServerResponse, call: MaxRecordedCall, slotId: number, contentType: string, raw: Buffer) {
    const slot = this.uploadSlots.get(slotId)
    if (!slot) {
      this.refuse(res, call, new Refusal(404, 'not.found', 'upload url not found'))
      return
    }
    const boundary = contentType.match(/boundary=("?)([^";]+)\1/)?.[2]
    const part = boundary ? splitMultipart(raw, boundary).find((p) => /name="data"/.test(p.headers)) : undefined
    if (!part) {
      this.refuse(res, call, new Refusal(400, 'proto.payload', 'multipart field "data" expected'))
      return
    }
    this.uploadSlots.delete(slotId) // one file per upload URL
    const fileName = part.headers.match(/filename="([^"]*)"/)?.[1] ?? 'file'
    const file = this.storeFile(slot.type, part.body, fileName, slot.token, this.options.notReadyAnswers ?? 0)
    call.status = 200
    if (slot.type === 'video' || slot.type === 'audio') {
      this.json(res, 200, '<retval>1</retval>')
    } else if (slot.type === 'image') {
      this.json(res, 200, { photos: { [`p${file.id}`]: { token: file.token } } })
    } else {
      this.json(res, 200, { token: file.token })
    }
    this.changed()
  }

  private serveFile(res: ServerResponse, call: MaxRecordedCall, id: number, sig: string | null): void {
    const file = this.files.get(id)
    if (!file || sig !== `f${id}`) {
      this.refuse(res, call, new Refusal(404, 'not.found', 'file not found'))
      return
    }
    call.status = 200
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.content.length })
    res.end(file.content)
  }

  /** Validates a NewMessageBody as the schema does for what we use; turns upload tokens into attachments. */
  private checkBody(body: unknown, edit: boolean): CheckedBody {
    if (!isRecord(body)) throw badRequest('body expected')
    const text = body.text === null || body.text === undefined ? undefined : body.text
    if (text !== undefined && typeof text !== 'string') throw badRequest('text must be a string')
    if (text !== undefined && [...text].length > TEXT_LIMIT) throw badRequest(`text: length must be ≤ ${TEXT_LIMIT}`)
    if (body.format !== undefined && body.format !== null && body.format !== 'markdown' && body.format !== 'html') {
      throw badRequest('format: markdown or html')
    }
    let attachments: MaxAttachment[] | undefined
    if (Array.isArray(body.attachments)) attachments = body.attachments.map((a) => this.checkAttachment(a))
    else if (body.attachments !== undefined && body.attachments !== null) throw badRequest('attachments: array')
    if (
      !edit &&
      (text === undefined || text.trim() === '') &&
      (attachments === undefined || attachments.length === 0)
    ) {
      throw badRequest('text or attachments required')
    }
    let link: MaxMessage['link']
    if (isRecord(body.link)) {
      const original = this.messages.get(String(body.link.mid))
      if (!original) throw badRequest('link: message not found')
      link = {
        type: body.link.type === 'forward' ? 'forward' : 'reply',
        message: structuredClone(original.message.body),
      }
    }
    return { text, attachments, link }
  }

  private checkAttachment(value: unknown): MaxAttachment {
    if (!isRecord(value) || typeof value.type !== 'string') throw badRequest('attachment: type expected')
    const payload = isRecord(value.payload) ? value.payload : undefined
    if (value.type === 'inline_keyboard') {
      const rows = payload?.buttons
      if (!Array.isArray(rows) || rows.length === 0) throw badRequest('inline_keyboard: buttons expected')
      for (const row of rows) {
        if (!Array.isArray(row)) throw badRequest('inline_keyboard: rows must be arrays')
        for (const button of row) checkButton(button)
      }
      return { type: 'inline_keyboard', payload: { buttons: structuredClone(rows) as MaxButton[][] } }
    }
    if (value.type === 'image' || value.type === 'file' || value.type === 'video' || value.type === 'audio') {
      if (!payload) throw badRequest(`${value.type}: payload expected`)
      if (value.type === 'image' && typeof payload.url === 'string') {
        const file = this.storeFile('image', jpegBytes(10_000, this.nextFile), 'remote.jpg')
        return { type: 'image', payload: { photo_id: file.id, url: this.fileUrl(file), token: file.token } }
      }
      const photos = isRecord(payload.photos) ? Object.values(payload.photos) : []
      const token =
        typeof payload.token === 'string' ? payload.token : isRecord(photos[0]) ? photos[0].token : undefined
      const file = typeof token === 'string' ? this.filesByToken.get(token) : undefined
      if (!file) throw badRequest(`${value.type}: unknown token`)
      if (value.type === 'image') {
        return { type: 'image', payload: { photo_id: file.id, url: this.fileUrl(file), token: file.token } }
      }
      if (value.type === 'file') {
        return {
          type: 'file',
          payload: { url: this.fileUrl(file), token: file.token },
          filename: file.fileName,
          size: file.content.length,
        }
      }
      return { type: value.type, payload: { url: this.fileUrl(file), token: file.token } }
    }
    throw badRequest(`attachment type ${value.type} is not supported by the fake`)
  }

  /** MAX processes an upload for a while: a message using it too soon answers `attachment.not.ready`. */
  private notReady(attachments: MaxAttachment[] | undefined): void {
    for (const attachment of attachments ?? []) {
      if (!('payload' in attachment) || !isRecord(attachment.payload)) continue
      const token = attachment.payload.token
      const file = typeof token === 'string' ? this.filesByToken.get(token) : undefined
      if (file && file.notReadyLeft > 0) {
        file.notReadyLeft--
        throw new Refusal(400, 'attachment.not.ready', 'Key: errors.process.attachment.file.not.processed')
      }
    }
  }

  // ---------------------------------------------------------------- people, chats, updates

  private dialogOf(userId: number): number {
    let chatId = this.dialogs.get(userId)
    if (chatId === undefined) {
      chatId = this.nextChatId++
      this.dialogs.set(userId, chatId)
    }
    return chatId
  }

  private dialogFor(userId: number): number {
    const known = this.dialogs.get(userId)
    if (known !== undefined) return known
    if (this.options.strictChats) throw new Refusal(404, 'chat.not.found', 'Chat not found')
    this.people.set(userId, {
      user_id: userId,
      first_name: `Пользователь ${userId}`,
      username: null,
      is_bot: false,
      last_activity_time: now(),
    })
    return this.dialogOf(userId)
  }

  private personOfChat(chatId: number): number | undefined {
    for (const [userId, dialog] of this.dialogs) if (dialog === chatId) return userId
    return undefined
  }

  private userMessage(
    user: MaxUser,
    chatId: number,
    text: string | null,
    attachments: MaxAttachment[] | undefined,
    kind: MaxTranscriptEntry['kind'],
    replyTo: string | undefined,
  ): MaxMessage {
    const original = replyTo === undefined ? undefined : this.messages.get(replyTo)
    const message: MaxMessage = {
      sender: structuredClone(user),
      recipient: { chat_id: chatId, chat_type: 'dialog', user_id: this.botUser.user_id },
      timestamp: now(),
      body: { mid: this.newMid(), seq: this.nextSeqOf(chatId), text, ...(attachments ? { attachments } : {}) },
      ...(original
        ? {
            link: {
              type: 'reply' as const,
              sender: structuredClone(original.message.sender ?? null),
              message: structuredClone(original.message.body),
            },
          }
        : {}),
    }
    this.messages.set(message.body.mid, { chatId, fromBot: false, message })
    this.transcript(user.user_id).push({ from: 'user', mid: message.body.mid, text, kind, at: now() })
    return structuredClone(message)
  }

  private storeFile(
    kind: StoredFile['kind'],
    content: Buffer,
    fileName: string,
    token?: string,
    notReadyLeft = 0,
  ): StoredFile {
    const id = this.nextFile++
    const file: StoredFile = { id, kind, content, fileName, token: token ?? `tok-${kind}-${id}`, notReadyLeft }
    this.files.set(id, file)
    this.filesByToken.set(file.token, file)
    return file
  }

  private fileUrl(file: StoredFile): string {
    return `${this.apiRoot}/files/${file.id}?sig=f${file.id}`
  }

  private newMid(): string {
    return `mid.${(this.nextMid++).toString(16).padStart(16, '0')}`
  }

  private nextSeqOf(chatId: number): number {
    const seq = (this.seqByChat.get(chatId) ?? 0) + 1
    this.seqByChat.set(chatId, seq)
    return seq
  }

  private queue(update: MaxUpdate): number {
    const seq = this.nextSeq++
    this.pending.push({ seq, update })
    for (const poll of [...this.polls]) {
      const answer = poll.batch()
      if (answer.updates.length > 0) poll.respond(200, answer)
    }
    this.scheduleDelivery(0)
    this.changed()
    return seq
  }

  private scheduleDelivery(delayMs: number): void {
    if (!this.subscription || this.delivering || this.closed) return
    clearTimeout(this.deliveryTimer)
    this.deliveryTimer = setTimeout(() => void this.deliver(), delayMs)
  }

  /** POSTs pending updates to the webhook one at a time, in order; anything but 200 is retried after a pause. */
  private async deliver(): Promise<void> {
    if (this.delivering) return
    this.delivering = true
    try {
      while (this.subscription && !this.closed) {
        const hook = this.subscription
        const next = this.pending[0]
        if (!next) return
        if (hook.types && !hook.types.includes(next.update.update_type)) {
          this.pending.shift()
          continue
        }
        let status = 0
        try {
          const response = await fetch(hook.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(hook.secret !== undefined ? { 'X-Max-Bot-Api-Secret': hook.secret } : {}),
            },
            body: JSON.stringify(next.update),
            signal: AbortSignal.timeout(30_000),
          })
          status = response.status
          await response.arrayBuffer()
        } catch {
          status = 0
        }
        this.webhookDeliveries.push({ seq: next.seq, status, secretHeader: hook.secret })
        this.changed()
        if (status !== 200) {
          this.delivering = false
          this.scheduleDelivery(this.options.webhookRetryMs ?? 200)
          return
        }
        if (this.pending[0] === next) this.pending.shift()
      }
    } finally {
      this.delivering = false
    }
  }

  private changed(): void {
    this.events.emit('change')
  }
}

/** Starts a fake MAX Bot API server on a random loopback port. */
export async function startFakeMax(options: FakeMaxOptions = {}): Promise<FakeMax> {
  return new FakeMax(options).start()
}

// ---------------------------------------------------------------- helpers

interface CheckedBody {
  text: string | undefined
  attachments: MaxAttachment[] | undefined
  link: MaxMessage['link']
}

function checkButton(button: unknown): void {
  if (!isRecord(button) || typeof button.text !== 'string') throw badRequest('button: text expected')
  if ([...button.text].length < 1 || [...button.text].length > BUTTON_TEXT_LIMIT) {
    throw badRequest(`button: text length must be in [1, ${BUTTON_TEXT_LIMIT}]`)
  }
  switch (button.type) {
    case 'callback':
      if (typeof button.payload !== 'string' || button.payload.length > CALLBACK_PAYLOAD_LIMIT) {
        throw badRequest(`callback button: payload of at most ${CALLBACK_PAYLOAD_LIMIT} characters`)
      }
      return
    case 'link':
      if (typeof button.url !== 'string' || button.url.length > URL_LIMIT || !/^https?:\/\//.test(button.url)) {
        throw badRequest('link button: url expected')
      }
      return
    case 'request_contact':
    case 'request_geo_location':
    case 'message':
      return
    default:
      throw badRequest(`button: unknown type ${String(button.type)}`)
  }
}

function buttonsOf(attachments: MaxAttachment[] | null | undefined): { buttons?: MaxButton[][] } {
  const keyboard = attachments?.find((a) => a.type === 'inline_keyboard')
  return keyboard && keyboard.type === 'inline_keyboard' ? { buttons: keyboard.payload.buttons } : {}
}

function faultCode(status: number): string {
  if (status === 429) return 'too.many.requests'
  if (status === 401) return 'verify.token'
  if (status === 403) return 'access.denied'
  if (status === 404) return 'not.found'
  if (status >= 500) return 'internal.error'
  return 'proto.payload'
}

function intParam(value: string | null, fallback: number): number {
  if (value === null || value === '') return fallback
  const n = Number(value)
  return Number.isInteger(n) ? n : Number.NaN
}

/** Deterministic JPEG-looking bytes of the given size, unique per `n`. */
function jpegBytes(size: number, n: number): Buffer {
  const buffer = Buffer.alloc(Math.max(size, 16), 0x20)
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(buffer, 0)
  Buffer.from(` ${n} `).copy(buffer, 4)
  buffer[buffer.length - 2] = 0xff
  buffer[buffer.length - 1] = 0xd9
  return buffer
}

function now(): number {
  return nowDate().getTime()
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
