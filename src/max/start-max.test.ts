import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import pino from 'pino'
import { afterEach, describe, expect, test } from 'vitest'
import type { UpdateApplier } from '#src/bot/apply-update.ts'
import { botCommands } from '#src/bot/start-bot.ts'
import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import { testConfig } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { type FakeMax, startFakeMax } from '../../test/support/fake-max.ts'
import { type MaxHarness, maxHarness } from '../../test/support/max-harness.ts'
import { tempDirs } from '../../test/support/temp-dirs.ts'
import { maxUpdateKey } from './max-conversation.ts'
import { MAX_POLLER_LEASE, MAX_SERVED_TYPES } from './max-polling.ts'
import type { MaxUpdate } from './max-types.ts'
import {
  MAX_WEBHOOK_PATH,
  maxWebhookHandler,
  maxWebhookSecretOf,
  type RunningMaxBot,
  startMaxBot,
} from './start-max.ts'

/**
 * The MAX bot's start and its webhook route (issue 15), against the fake MAX server and a real database: the
 * route's answers as MAX reads them (MAX redelivers anything but 200), the secret, and the background start —
 * GET /me retried, the command hints, then long polling or the webhook subscription.
 */
const tempDir = tempDirs('helpdesk-start-max-')
const SECRET = 'test-max-webhook-secret'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function harness(): Promise<MaxHarness> {
  const db: Db = (await testDatabase()).db
  const h = await maxHarness({ db })
  cleanups.push(() => h.close())
  return h
}

async function inboxKeys(db: Db): Promise<string[]> {
  return (await db.selectFrom('max_inbox').select('update_key').execute()).map((r) => r.update_key)
}

function webhookApp(deps: Parameters<typeof maxWebhookHandler>[0]): Hono {
  const app = new Hono()
  app.post(MAX_WEBHOOK_PATH, maxWebhookHandler(deps))
  return app
}

/** Posts as MAX does; `secret: null` leaves the header out. */
function post(app: Hono, body: string, secret: string | null = SECRET): Promise<Response> {
  return Promise.resolve(
    app.request(MAX_WEBHOOK_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret !== null ? { 'X-Max-Bot-Api-Secret': secret } : {}) },
      body,
    }),
  )
}

describe('maxWebhookHandler', () => {
  test('200 once the update is applied; a redelivery is 200 too, and has no second effect', async () => {
    const h = await harness()
    const app = webhookApp({ applier: h.applier, secret: SECRET, ready: () => true })
    const person = h.fake.user(8_500_001)
    const sent = person.send('Принтер не печатает')
    const update = h.fake.pendingUpdates().find((u) => u.seq === sent.seq)?.update
    const response = await post(app, JSON.stringify(update))
    expect(response.status).toBe(200)
    expect(await inboxKeys(h.db)).toEqual([`message_created:${sent.mid}`])
    const outbox = await h.db.selectFrom('outbox').select('id').execute()
    expect((await post(app, JSON.stringify(update))).status).toBe(200)
    expect(await inboxKeys(h.db)).toHaveLength(1)
    expect(await h.db.selectFrom('outbox').select('id').execute()).toEqual(outbox)
  })

  test('401 without the secret or with a wrong one, before anything else; nothing applied', async () => {
    const h = await harness()
    const app = webhookApp({ applier: h.applier, secret: SECRET, ready: () => false })
    const update = { update_type: 'bot_started', timestamp: 1, chat_id: 1, user: { user_id: 1, first_name: 'X' } }
    for (const secret of [null, '', 'wrong', `${SECRET}x`, SECRET.toUpperCase()]) {
      const response = await post(app, JSON.stringify(update), secret)
      expect(response.status, String(secret)).toBe(401)
    }
    // Not ready and not even valid JSON: the secret is checked first.
    expect((await post(app, 'not json', 'wrong')).status).toBe(401)
    expect(await inboxKeys(h.db)).toEqual([])
  })

  test('503 while the bot is not ready: MAX delivers it again later', async () => {
    const h = await harness()
    let ready = false
    const app = webhookApp({ applier: h.applier, secret: SECRET, ready: () => ready })
    const update = JSON.stringify({ update_type: 'dialog_muted', timestamp: 5, chat_id: 2, user: { user_id: 2 } })
    expect((await post(app, update)).status).toBe(503)
    expect(await inboxKeys(h.db)).toEqual([])
    ready = true
    expect((await post(app, update)).status).toBe(200)
    expect(await inboxKeys(h.db)).toHaveLength(1)
  })

  test.each([
    ['not JSON', '{"update_type":'],
    ['an array', '[{"update_type":"message_created"}]'],
    ['null', 'null'],
    ['no update_type', '{"timestamp":1}'],
    ['a number for update_type', '{"update_type":5}'],
  ])('400 on %s, and nothing applied', async (_, body) => {
    const h = await harness()
    const app = webhookApp({ applier: h.applier, secret: SECRET })
    expect((await post(app, body)).status).toBe(400)
    expect(await inboxKeys(h.db)).toEqual([])
  })

  test('500 when the applier throws (it logged why): MAX delivers the update again', async () => {
    const h = await harness()
    let failing = true
    const applier: UpdateApplier<MaxUpdate> = {
      apply: (update) => (failing ? Promise.reject(new Error('the database went away')) : h.applier.apply(update)),
    }
    const app = webhookApp({ applier, secret: SECRET, ready: () => true })
    const sent = h.fake.user(8_500_002).send('Раз')
    const update = JSON.stringify(h.fake.pendingUpdates().find((u) => u.seq === sent.seq)?.update)
    const response = await post(app, update)
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain('database')
    failing = false
    expect((await post(app, update)).status).toBe(200)
    expect(await inboxKeys(h.db)).toEqual([`message_created:${sent.mid}`])
  })
})

describe('maxWebhookSecretOf', () => {
  const enabled = (webhookSecret: string | undefined, secretKey = 'k'.repeat(48)): Config =>
    testConfig({
      secretKey,
      max: { enabled: true, token: 't', mode: 'webhook', webhookSecret, apiRoot: undefined, proxy: undefined },
    })

  test('MAX_WEBHOOK_SECRET when set', () => {
    expect(maxWebhookSecretOf(enabled('my_secret-1'))).toBe('my_secret-1')
  })

  test('else one derived from the instance’s secret key: stable, of MAX’s alphabet and length, not the key', () => {
    const derived = maxWebhookSecretOf(enabled(undefined))
    expect(derived).toMatch(/^[A-Za-z0-9_-]{5,256}$/)
    expect(maxWebhookSecretOf(enabled(undefined))).toBe(derived)
    expect(derived).not.toContain('k'.repeat(8))
    expect(maxWebhookSecretOf(enabled(undefined, 'z'.repeat(48)))).not.toBe(derived)
    expect(maxWebhookSecretOf(testConfig({ secretKey: 'k'.repeat(48) }))).toBe(derived)
  })
})

interface Started {
  fake: FakeMax
  db: Db
  config: Config
  logs: Array<Record<string, unknown>>
  bot: RunningMaxBot
}

async function startBot(options: { mode?: 'polling' | 'webhook'; baseUrl?: string; before?: (fake: FakeMax) => void }) {
  const db: Db = (await testDatabase()).db
  const fake = await startFakeMax()
  cleanups.push(() => fake.close())
  options.before?.(fake)
  const config = testConfig({
    dataDir: tempDir(),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    max: {
      enabled: true,
      token: fake.token,
      mode: options.mode ?? 'polling',
      webhookSecret: SECRET,
      apiRoot: fake.apiRoot,
      proxy: undefined,
    },
  })
  const logs: Array<Record<string, unknown>> = []
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) })
  const bot = startMaxBot({
    db,
    config,
    logger,
    holder: 'max-start-test',
    pollTimeoutSeconds: 1,
    minRetryMs: 10,
    maxRetryMs: 40,
    minBackoffMs: 10,
    maxBackoffMs: 40,
  })
  if (!bot) throw new Error('MAX is configured: a bot expected')
  cleanups.push(() => bot.stop())
  return { fake, db, config, logs, bot } satisfies Started
}

describe('startMaxBot', () => {
  test('without MAX_BOT_TOKEN there is no MAX bot', async () => {
    const { db } = await testDatabase()
    const logger = pino({ level: 'silent' })
    expect(startMaxBot({ db, config: testConfig(), logger, holder: 'x' })).toBeUndefined()
    expect(startMaxBot({ db, config: testConfig({ max: { enabled: false } }), logger, holder: 'x' })).toBeUndefined()
  })

  test('polling: GET /me retried until MAX answers, the command hints set, then updates polled and applied', async () => {
    const s = await startBot({ before: (fake) => fake.inject('GET /me', { status: 502 }, { status: 500 }) })
    expect(s.bot.ready).toBe(false)
    expect(s.bot.username).toBeUndefined()
    await s.fake.waitFor(() => s.fake.callsOf('GET /updates').length > 0)
    expect(s.fake.callsOf('GET /me').map((c) => c.status)).toEqual([502, 500, 200])
    expect(s.logs.filter((l) => l.msg === 'MAX bot start step failed').map((l) => l.retryInMs)).toEqual([10, 20])
    expect(s.bot.ready).toBe(true)
    expect(s.bot.username).toBe('helpdesk_test_bot')
    expect(s.fake.myCommands()).toEqual(botCommands.map((c) => ({ name: c.command, description: c.description })))
    expect(s.fake.callsOf('POST /subscriptions')).toEqual([])

    const person = s.fake.user(8_500_003)
    person.start()
    await s.fake.waitForConfirmed()
    const keys = await inboxKeys(s.db)
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatch(new RegExp(`^bot_started:${person.chatId}:${person.userId}:`))
    // The dialogues answered /start: the answer waits in the outbox for the MAX channel.
    const replies = await s.db.selectFrom('outbox').select(['channel', 'recipient']).execute()
    expect(replies.length).toBeGreaterThan(0)
    expect(replies.every((r) => r.channel === 'max' && r.recipient === `max:${person.userId}`)).toBe(true)

    await s.bot.stop()
    const lease = await s.db.selectFrom('leases').select('holder').where('name', '=', MAX_POLLER_LEASE).execute()
    expect(lease).toEqual([])
  })

  test('command hints MAX refuses are not worth stopping for: polling starts all the same', async () => {
    const s = await startBot({ before: (fake) => fake.inject('PATCH /me', { status: 500 }) })
    await s.fake.waitFor(() => s.fake.callsOf('GET /updates').length > 0)
    expect(s.logs.some((l) => l.msg === 'could not set the MAX command hints')).toBe(true)
    expect(s.fake.myCommands()).toEqual([])
  })

  test('stopped while MAX is still refusing GET /me: it gives up at once and never polls', async () => {
    const s = await startBot({
      before: (fake) => fake.inject('GET /me', ...Array.from({ length: 50 }, () => ({ status: 503 }))),
    })
    await s.fake.waitFor(() => s.fake.callsOf('GET /me').length >= 2)
    await s.bot.stop()
    const calls = s.fake.callsOf('GET /me').length
    expect(s.bot.ready).toBe(false)
    expect(s.fake.callsOf('GET /updates')).toEqual([])
    expect(s.fake.callsOf('PATCH /me')).toEqual([])
    // Nothing retries after the stop: one more failure's pause would have called again.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(s.fake.callsOf('GET /me')).toHaveLength(calls)
  })

  test('webhook: subscribes BASE_URL/max/webhook with the secret; MAX’s deliveries are applied through the route', async () => {
    let running: RunningMaxBot | undefined
    const app = webhookApp({
      applier: { apply: (update) => (running ? running.applier.apply(update) : Promise.reject(new Error('not yet'))) },
      secret: SECRET,
      ready: () => running?.ready ?? false,
    })
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())))
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    const s = await startBot({ mode: 'webhook', baseUrl })
    running = s.bot
    await s.fake.waitFor(() => s.fake.subscriptionInfo())
    expect(s.fake.subscriptionInfo()).toEqual({ url: `${baseUrl}${MAX_WEBHOOK_PATH}`, secret: SECRET })
    expect(s.fake.callsOf('POST /subscriptions')[0]?.body).toMatchObject({ update_types: [...MAX_SERVED_TYPES] })

    const person = s.fake.user(8_500_004)
    const sent = person.send('Через вебхук')
    await s.fake.waitForConfirmed()
    expect(s.fake.webhookDeliveries.at(-1)).toMatchObject({ seq: sent.seq, status: 200, secretHeader: SECRET })
    const update = { update_type: 'message_created', message: { body: { mid: sent.mid } } } as unknown as MaxUpdate
    expect(await inboxKeys(s.db)).toEqual([maxUpdateKey(update)])
    expect(s.fake.callsOf('GET /updates')).toEqual([])
  })
})
