import { timingSafeEqual } from 'node:crypto'
import type { Agent, IncomingHttpHeaders } from 'node:http'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type {
  MaxAttachment,
  MaxBotInfo,
  MaxButton,
  MaxErrorBody,
  MaxMessage,
  MaxNewMessage,
  MaxSubscription,
  MaxUpdate,
  MaxUpdateType,
  MaxUploadedAttachment,
} from './max-types.ts'

/**
 * A thin typed client of the MAX Bot API (docs/max-messenger.md): one method per call we use, nothing more.
 * Plain HTTP over node:http(s) rather than the official `@maxhub/max-bot-api`, so that the proxy agent shared
 * with Telegram (TELEGRAM_PROXY's kind: https-proxy-agent / socks-proxy-agent) carries every request, uploads
 * and downloads included, and so that errors come out as one typed `MaxApiError`.
 *
 * The token goes in the `Authorization` header (MAX no longer accepts `access_token` in the query) and only to
 * the API root: upload URLs and file URLs are other hosts that MAX signs by themselves, and never see it.
 * Error messages name the call (`POST /messages`), never a URL with its query, a text or a name.
 */

/** The API root MAX publishes since 2026 (`platform-api.max.ru` is the older name); `MAX_API_ROOT` overrides it. */
export const DEFAULT_MAX_API_ROOT = 'https://platform-api2.max.ru'
/** MAX refuses longer texts (NewMessageBody.text maxLength). */
export const MAX_TEXT_LIMIT = 4000
/** The longest deep-link payload MAX passes on to the bot; longer ones are dropped silently. */
export const MAX_START_PAYLOAD_LIMIT = 512
/** What we download of one incoming file at most, as for Telegram (the attachments store's bound). */
export const DEFAULT_DOWNLOAD_LIMIT = 20 * 1024 * 1024

export interface MaxApiOptions {
  token: string
  /** Where the API is (tests: the fake's loopback address). */
  apiRoot?: string
  /** An HTTP(S)/SOCKS proxy agent, used for every request including uploads and downloads. */
  agent?: Agent
  /** A call gives up after this long (long polls: their own timeout plus 10 s). */
  timeoutMs?: number
  /** Downloads larger than this fail with `file.too.large` without reading the rest. */
  downloadLimit?: number
}

/**
 * A failed call. `status` is the HTTP status, 0 when no answer came (network, timeout); `code` is MAX's error key
 * (`verify.token`, `attachment.not.ready`, …) or ours (`network`, `timeout`, `unexpected.response`,
 * `unsuccessful`, `file.too.large`); `retryAfter` is in seconds, set when the answer carried `Retry-After`.
 */
export class MaxApiError extends Error {
  readonly status: number
  readonly code: string
  readonly retryAfter: number | undefined
  /** Which call failed, e.g. `POST /messages`. */
  readonly operation: string
  constructor(operation: string, status: number, code: string, description: string, retryAfter?: number) {
    super(`MAX ${operation}: ${status === 0 ? '' : `${status} `}${code}: ${description}`)
    this.name = 'MaxApiError'
    this.operation = operation
    this.status = status
    this.code = code
    this.retryAfter = retryAfter
  }
}

/** Worth trying again later: no answer, flood control, the far side's trouble, or a file still being processed. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof MaxApiError)) return false
  if (error.code === 'file.too.large') return false
  return error.status === 0 || error.status === 429 || error.status >= 500 || error.code === 'attachment.not.ready'
}

export interface GetUpdatesParams {
  /** The marker of the previous answer; without it MAX answers only its latest update. */
  marker?: number | null
  /** 1–1000, MAX's default 100. */
  limit?: number
  /** Seconds to hold the poll open, 0–90, MAX's default 30. */
  timeout?: number
  types?: readonly MaxUpdateType[]
}

export interface UpdateBatch {
  updates: MaxUpdate[]
  /** Pass it to the next poll: everything before it counts as received. */
  marker: number | null
}

export type MaxTarget = { userId: number } | { chatId: number }

export type UploadType = 'image' | 'file' | 'video' | 'audio'

interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

interface SendOptions {
  method: string
  headers: Record<string, string>
  body?: Buffer
  timeoutMs: number
  signal?: AbortSignal | undefined
  maxBytes?: number
}

export class MaxApi {
  readonly apiRoot: string
  private readonly token: string
  private readonly agent: Agent | undefined
  private readonly timeoutMs: number
  private readonly downloadLimit: number

  constructor(options: MaxApiOptions) {
    if (options.token.trim() === '') throw new Error('MAX_BOT_TOKEN is empty')
    this.token = options.token
    this.apiRoot = (options.apiRoot ?? DEFAULT_MAX_API_ROOT).replace(/\/+$/, '')
    this.agent = options.agent
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.downloadLimit = options.downloadLimit ?? DEFAULT_DOWNLOAD_LIMIT
  }

  /** GET /me: the bot itself (its `username` makes the deep links). */
  getMe(): Promise<MaxBotInfo> {
    return this.call('GET', '/me')
  }

  /** GET /updates: a long poll. Abort it with `signal` to stop polling at once. */
  async getUpdates(params: GetUpdatesParams = {}, signal?: AbortSignal): Promise<UpdateBatch> {
    const timeout = params.timeout ?? 30
    const answer = await this.call<{ updates?: MaxUpdate[]; marker?: number | null }>('GET', '/updates', {
      query: {
        marker: params.marker ?? undefined,
        limit: params.limit,
        timeout,
        types: params.types && params.types.length > 0 ? params.types.join(',') : undefined,
      },
      timeoutMs: timeout * 1000 + 10_000,
      signal,
    })
    if (!Array.isArray(answer.updates)) throw unexpected('GET /updates', 200, 'no updates list')
    return { updates: answer.updates, marker: typeof answer.marker === 'number' ? answer.marker : null }
  }

  /** POST /messages to a person (`userId`) or a chat (`chatId`); answers the message as sent. */
  async sendMessage(
    target: MaxTarget,
    message: MaxNewMessage,
    options: { disableLinkPreview?: boolean } = {},
  ): Promise<MaxMessage> {
    const answer = await this.call<{ message?: MaxMessage }>('POST', '/messages', {
      query: {
        ...('userId' in target ? { user_id: target.userId } : { chat_id: target.chatId }),
        ...(options.disableLinkPreview ? { disable_link_preview: true } : {}),
      },
      body: message,
    })
    if (!answer.message) throw unexpected('POST /messages', 200, 'no message in the answer')
    return answer.message
  }

  /** PUT /messages: replaces the text and (unless `attachments` is left out) the keyboard of a bot message. */
  async editMessage(messageId: string, message: MaxNewMessage): Promise<void> {
    await this.simple('PUT', '/messages', { query: { message_id: messageId }, body: message })
  }

  /** DELETE /messages. */
  async deleteMessage(messageId: string): Promise<void> {
    await this.simple('DELETE', '/messages', { query: { message_id: messageId } })
  }

  /**
   * POST /answers: the answer to a button press. `notification` shows a one-off notice to the person;
   * `message` replaces the message that carried the button.
   */
  async answerCallback(callbackId: string, answer: { message?: MaxNewMessage; notification?: string }): Promise<void> {
    await this.simple('POST', '/answers', { query: { callback_id: callbackId }, body: answer })
  }

  /** PATCH /me: the command hints MAX shows (at most 32). */
  async setCommands(commands: ReadonlyArray<{ name: string; description: string }>): Promise<void> {
    await this.call('PATCH', '/me', { body: { commands } })
  }

  /** POST /subscriptions: deliver updates to an HTTPS URL (port 443) with `X-Max-Bot-Api-Secret`. */
  async subscribe(url: string, secret: string, updateTypes?: readonly MaxUpdateType[]): Promise<void> {
    await this.simple('POST', '/subscriptions', {
      body: { url, secret, ...(updateTypes ? { update_types: updateTypes } : {}) },
    })
  }

  /** DELETE /subscriptions: back to long polling. */
  async unsubscribe(url: string): Promise<void> {
    await this.simple('DELETE', '/subscriptions', { query: { url } })
  }

  async getSubscriptions(): Promise<MaxSubscription[]> {
    const answer = await this.call<{ subscriptions?: MaxSubscription[] }>('GET', '/subscriptions')
    return answer.subscriptions ?? []
  }

  /**
   * Uploads a file: POST /uploads for a one-off upload URL, then the bytes there as multipart `data`. Answers the
   * attachment to put into a new message. A message sent at once may still get `attachment.not.ready` (retryable).
   */
  async upload(type: UploadType, content: Buffer, fileName: string, mimeType?: string): Promise<MaxUploadedAttachment> {
    const endpoint = await this.call<{ url?: string; token?: string }>('POST', '/uploads', { query: { type } })
    if (typeof endpoint.url !== 'string') throw unexpected('POST /uploads', 200, 'no upload url')
    const boundary = `----helpdesk${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`
    const body = multipart(boundary, content, fileName, mimeType ?? 'application/octet-stream')
    // The upload host is not the API: it gets no token (the URL is signed by MAX).
    const answer = await this.send(endpoint.url, 'upload', {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
      body,
      timeoutMs: Math.max(this.timeoutMs, 120_000),
    })
    if (answer.status !== 200) throw failure('upload', answer)
    if (type === 'video' || type === 'audio') {
      // These answer `<retval>1</retval>`; the token came with the upload URL.
      if (typeof endpoint.token !== 'string') throw unexpected('POST /uploads', 200, 'no token for media upload')
      return { type, payload: { token: endpoint.token } }
    }
    const uploaded = parseJson(answer.body)
    if (!isRecord(uploaded)) throw unexpected('upload', answer.status, 'not JSON')
    if (type === 'file') {
      const token = typeof uploaded.token === 'string' ? uploaded.token : endpoint.token
      if (token === undefined) throw unexpected('upload', answer.status, 'no token')
      return { type, payload: { token } }
    }
    if (isRecord(uploaded.photos)) {
      return { type, payload: { photos: uploaded.photos as Record<string, { token: string }> } }
    }
    const token = typeof uploaded.token === 'string' ? uploaded.token : endpoint.token
    if (token === undefined) throw unexpected('upload', answer.status, 'no token')
    return { type, payload: { token } }
  }

  /** GETs an incoming attachment's bytes by its `payload.url` (signed by MAX: no token sent), within the limit. */
  async download(url: string, signal?: AbortSignal): Promise<Buffer> {
    // A URL that does not parse (`http://`, from a forged update: B3) is as bad as another scheme: failed for good,
    // not a TypeError that would have the update tried again.
    if (!/^https?:\/\//.test(url) || !URL.canParse(url)) {
      throw new MaxApiError('download', 0, 'bad.url', 'not an http(s) URL')
    }
    const answer = await this.send(url, 'download', {
      method: 'GET',
      headers: {},
      timeoutMs: Math.max(this.timeoutMs, 60_000),
      signal,
      maxBytes: this.downloadLimit,
    })
    if (answer.status !== 200) throw failure('download', answer)
    return answer.body
  }

  // ---------------------------------------------------------------- transport

  /** A call whose answer is `{ success, message }`: `success: false` is a failure too. */
  private async simple(method: string, path: string, options: CallOptions): Promise<void> {
    const answer = await this.call<{ success?: boolean; message?: string }>(method, path, options)
    if (answer.success === false) {
      throw new MaxApiError(`${method} ${path}`, 200, 'unsuccessful', answer.message ?? 'success: false')
    }
  }

  private async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const operation = `${method} ${path}`
    const query = new URLSearchParams()
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) query.set(key, String(value))
    }
    const search = query.size > 0 ? `?${query}` : ''
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body))
    const answer = await this.send(`${this.apiRoot}${path}${search}`, operation, {
      method,
      headers: {
        authorization: this.token,
        accept: 'application/json',
        ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
      },
      ...(body ? { body } : {}),
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      signal: options.signal,
    })
    if (answer.status !== 200) throw failure(operation, answer)
    const parsed = parseJson(answer.body)
    if (!isRecord(parsed)) throw unexpected(operation, answer.status, 'not a JSON object')
    return parsed as T
  }

  /** One HTTP exchange through the agent; failures to get an answer become `MaxApiError` with status 0. */
  private send(url: string, operation: string, options: SendOptions): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new MaxApiError(operation, 0, 'aborted', 'the call was aborted'))
        return
      }
      const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, {
        method: options.method,
        headers: { 'user-agent': 'kgkbsmp-helpdesk', ...options.headers },
        ...(this.agent ? { agent: this.agent } : {}),
      })
      let settled = false
      const finish = (error: MaxApiError | undefined, answer?: RawAnswer) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        if (error) {
          request.destroy()
          reject(error)
        } else if (answer) resolve(answer)
      }
      const timer = setTimeout(
        () => finish(new MaxApiError(operation, 0, 'timeout', `no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      )
      const onAbort = () => finish(new MaxApiError(operation, 0, 'aborted', 'the call was aborted'))
      options.signal?.addEventListener('abort', onAbort, { once: true })
      request.on('error', (error: NodeJS.ErrnoException) =>
        finish(new MaxApiError(operation, 0, 'network', error.code ?? error.name)),
      )
      request.on('response', (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (options.maxBytes !== undefined && size > options.maxBytes) {
            finish(new MaxApiError(operation, 413, 'file.too.large', `larger than ${options.maxBytes} bytes`))
            return
          }
          chunks.push(chunk)
        })
        response.on('end', () =>
          finish(undefined, {
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        )
        response.on('error', (error: NodeJS.ErrnoException) =>
          finish(new MaxApiError(operation, 0, 'network', error.code ?? error.name)),
        )
      })
      request.end(options.body)
    })
  }
}

interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  timeoutMs?: number
  signal?: AbortSignal | undefined
}

// ---------------------------------------------------------------- helpers for the conversation layer

/** An inline keyboard attachment: rows of buttons. */
export function inlineKeyboard(rows: MaxButton[][]): { type: 'inline_keyboard'; payload: { buttons: MaxButton[][] } } {
  return { type: 'inline_keyboard', payload: { buttons: rows } }
}

/** The bot's deep link with a start payload (QR stickers, the web's account link): https://max.ru/<bot>?start=… */
export function startLink(botUsername: string, payload: string): string {
  if (payload.length > MAX_START_PAYLOAD_LIMIT) throw new Error('a MAX start payload is at most 512 characters')
  return `https://max.ru/${encodeURIComponent(botUsername)}?start=${encodeURIComponent(payload)}`
}

/** Checks a webhook's `X-Max-Bot-Api-Secret` header against ours in constant time. */
export function webhookSecretMatches(header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string') return false
  const a = Buffer.from(header)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}

export interface SharedContact {
  /** Digits only, as in the vCard's TEL line (no `+`). */
  phone: string | undefined
  /** The MAX account the contact belongs to, when MAX says so. */
  userId: number | undefined
  /** The contact is the sender's own account (as Telegram's contact.user_id === from.id). */
  own: boolean
  /**
   * MAX's signature of the vCard, meant to prove the phone is the one bound to the account. How to check it is
   * not in the published schema (docs/max-messenger.md, open questions): kept for the conversation layer.
   */
  hash: string | undefined
}

/**
 * Reads a `contact` attachment (the answer to a request_contact button) sent by `senderId`; undefined for any
 * other attachment.
 */
export function sharedContact(attachment: MaxAttachment, senderId: number): SharedContact | undefined {
  if (attachment.type !== 'contact') return undefined
  // Read as untrusted: a forged webhook call (TESTING.md B3) may put anything of any type here.
  const payload: Record<string, unknown> = isRecord(attachment.payload) ? attachment.payload : {}
  const vcf = typeof payload.vcf_info === 'string' ? payload.vcf_info : ''
  const tel = vcf.match(/^TEL[^:\r\n]*:([^\r\n]+)$/im)?.[1]
  const digits = tel?.replace(/\D/g, '')
  const owner = isRecord(payload.max_info) ? payload.max_info.user_id : undefined
  const userId = typeof owner === 'number' && Number.isSafeInteger(owner) && owner > 0 ? owner : undefined
  const hash = payload.hash
  return {
    phone: digits === undefined || digits === '' ? undefined : digits,
    userId,
    own: userId !== undefined && userId === senderId,
    hash: typeof hash === 'string' && hash !== '' ? hash : undefined,
  }
}

function multipart(boundary: string, content: Buffer, fileName: string, mimeType: string): Buffer {
  const safeName = fileName.replace(/["\r\n\\]/g, '_')
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="${safeName}"\r\n` +
        `Content-Type: ${mimeType}\r\n\r\n`,
    ),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
}

function failure(operation: string, answer: RawAnswer): MaxApiError {
  const parsed = parseJson(answer.body)
  const body: Partial<MaxErrorBody> = isRecord(parsed) ? parsed : {}
  const code = typeof body.code === 'string' && body.code !== '' ? body.code : `http.${answer.status}`
  const message = typeof body.message === 'string' ? body.message : 'no description'
  return new MaxApiError(operation, answer.status, code, message, retryAfterOf(answer.headers['retry-after']))
}

function unexpected(operation: string, status: number, what: string): MaxApiError {
  return new MaxApiError(operation, status, 'unexpected.response', what)
}

/** `Retry-After` as seconds: a number of seconds or an HTTP date. */
function retryAfterOf(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '') return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds))
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000))
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
