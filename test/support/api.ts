import type { Hono } from 'hono'
import pino from 'pino'
import type { AppEnv } from '#src/api/env.ts'
import { createApp } from '#src/app.ts'
import type { Config } from '#src/config.ts'
import type { Db, User } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { createApiToken } from '#src/users/api-tokens.ts'
import { buildActor, type UserOverrides } from './factories.ts'

/**
 * The real app over a test database, and users who call it with their own API token.
 * Nothing is mocked: requests go through `app.request`, the middleware, the use cases and the database.
 */

export function testConfig(overrides: Partial<Config> = {}): Config {
  return Object.freeze({
    dataDir: '/nonexistent',
    database: { kind: 'sqlite', file: ':memory:' },
    host: '127.0.0.1',
    port: 0,
    baseUrl: 'http://helpdesk.test',
    tzDisplay: 'Europe/Moscow',
    logLevel: 'silent',
    telegram: { enabled: false },
    auditKey: 'test-audit-key-0123456789abcdef0123456789abcdef',
    secretKey: 'test-secret-key-0123456789abcdef0123456789abcdef',
    workerEnabled: false,
    ...overrides,
  } satisfies Config)
}

export interface TestApp {
  app: Hono<AppEnv>
  /** Every line the app logged, parsed (pino JSON). */
  logs: Array<Record<string, unknown>>
}

export function testApp(db: Db, config: Config = testConfig()): TestApp {
  const logs: Array<Record<string, unknown>> = []
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        logs.push(JSON.parse(line) as Record<string, unknown>)
      },
    },
  )
  return { app: createApp({ db, config, logger }), logs }
}

export interface ApiUser {
  user: User
  actor: Actor
  token: string
  /** Authorization (and JSON content type) headers for `app.request`. */
  headers: Record<string, string>
}

/** A user (active requester unless said) with a fresh personal API token. */
export async function apiUser(db: Db, overrides: UserOverrides = {}): Promise<ApiUser> {
  const { user, actor } = await buildActor(db, { status: 'active', ...overrides })
  const { token } = await createApiToken(
    db,
    { id: null, role: 'system', status: 'active', channel: 'cli', ip: null },
    {
      userId: user.id,
      name: 'тест',
    },
  )
  return { user, actor, token, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }
}

export interface CallOptions {
  headers?: Record<string, string>
  /** Sent as JSON; a string is sent as is (for malformed bodies). */
  body?: unknown
  /** The client's address, as @hono/node-server would report it from the socket. */
  ip?: string
}

export interface CallResult {
  status: number
  headers: Headers
  body: unknown
  text: string
}

/** One request through the app; the body is parsed when it is JSON. */
export async function call(
  app: Hono<AppEnv>,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult> {
  const init: RequestInit = { method, headers: options.headers ?? {} }
  if (options.body !== undefined) {
    init.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  }
  const env = options.ip ? { incoming: { socket: { remoteAddress: options.ip } } } : undefined
  const response = await app.request(path, init, env)
  const text = await response.text()
  let body: unknown = null
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') body = JSON.parse(text)
  return { status: response.status, headers: response.headers, body, text }
}

/** The `id` of a JSON response body (fails the test when there is none). */
export function idOf(result: CallResult): number {
  const body = result.body
  if (typeof body === 'object' && body !== null && 'id' in body && typeof body.id === 'number') return body.id
  throw new Error(`no id in response ${result.status}: ${result.text}`)
}

/**
 * An error response as the API promises it: the JSON shape, a Russian message, and nothing of the
 * inside (no SQL, no stack frames).
 */
export function expectCleanError(result: CallResult, status: number, code: string): void {
  const problems: string[] = []
  if (result.status !== status) problems.push(`status ${result.status}, expected ${status}`)
  const body = result.body
  const error = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined
  const ok =
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    error.code === code &&
    'message' in error &&
    typeof error.message === 'string' &&
    /[а-яё]/i.test(error.message)
  if (!ok) problems.push(`body is not a Russian ${code} error`)
  if (/select|sql|\bat /i.test(result.text)) problems.push('body leaks internals')
  if (problems.length > 0) throw new Error(`${problems.join('; ')}: ${result.text}`)
}
