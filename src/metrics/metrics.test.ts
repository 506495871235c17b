import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GrammyError } from 'grammy'
import type { Hono } from 'hono'
import pino from 'pino'
import { afterAll, describe, expect, test } from 'vitest'
import type { AppEnv } from '#src/api/env.ts'
import { audit } from '#src/audit/journal.ts'
import { createUpdateApplier } from '#src/bot/apply-update.ts'
import { createBot } from '#src/bot/create-bot.ts'
import type { Config } from '#src/config.ts'
import { ConfigError, loadConfig } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { toSendResult } from '#src/notify/telegram-channel.ts'
import { systemActor } from '#src/users/actor.ts'
import { apiUser, call, testApp, testConfig } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { startFakeTelegram } from '../../test/support/fake-telegram.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'

/**
 * GET /metrics through the real app on a real database: the text parses as Prometheus' exposition
 * format, requests are counted under their route template, the figures read from the database match
 * it, and only METRICS_ALLOW or METRICS_TOKEN reach it (anyone else sees an ordinary 404).
 */

const LOOPBACK = '127.0.0.1'
const TOKEN = 'metrics-token-0123456789abcdef'

type Samples = Map<string, number>

/** A sample line: name, optional {labels}, value (Prometheus text format 0.0.4). */
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|[Nn]a[Nn]|[+-]Inf)$/

/** Parses a scrape strictly: every line a HELP, a TYPE or a sample of a declared family; none unparsed. */
function parse(text: string): Samples {
  const samples: Samples = new Map()
  const families = new Map<string, string>()
  const problems: string[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
    if (meta) {
      if (meta[1] === 'TYPE') families.set(meta[2] ?? '', meta[3] ?? '')
      continue
    }
    const sample = SAMPLE.exec(line)
    if (!sample) {
      problems.push(`unparsed: ${line}`)
      continue
    }
    const name = sample[1] ?? ''
    const family = [name, name.replace(/_(bucket|sum|count|total|created)$/, '')].find((n) => families.has(n))
    if (!family) problems.push(`no TYPE for ${name}`)
    samples.set(`${name}${sample[2] ?? ''}`, Number(sample[3]))
  }
  expect(problems).toEqual([])
  return samples
}

async function scrape(app: Hono<AppEnv>): Promise<{ text: string; samples: Samples }> {
  const res = await call(app, 'GET', '/metrics', { ip: LOOPBACK })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return { text: res.text, samples: parse(res.text) }
}

function metricsApp(db: Db, overrides: Partial<Config> = {}) {
  return testApp(db, testConfig(overrides)).app
}

describe('GET /metrics', () => {
  test('the scrape is Prometheus text with the default process metrics under helpdesk_', async () => {
    const { db } = await testDatabase()
    const { text, samples } = await scrape(metricsApp(db))
    for (const family of [
      'helpdesk_nodejs_eventloop_lag_seconds',
      'helpdesk_nodejs_heap_size_used_bytes',
      'helpdesk_nodejs_gc_duration_seconds',
      'helpdesk_process_cpu_user_seconds_total',
      'helpdesk_process_resident_memory_bytes',
      'helpdesk_http_requests_total',
      'helpdesk_http_request_duration_seconds',
      'helpdesk_audit_write_seconds',
      'helpdesk_bot_updates_total',
      'helpdesk_telegram_errors_total',
      'helpdesk_db_connection_wait_seconds_total',
    ]) {
      expect(text, family).toContain(`# TYPE ${family} `)
    }
    expect(samples.get('helpdesk_database_up')).toBe(1)
    // Nothing of the process's default registry: its metrics carry no prefix.
    expect(text).not.toMatch(/^process_/m)
  })

  test('a request is counted under its route template, never its raw path', async () => {
    const { db } = await testDatabase()
    const app = metricsApp(db)
    const { user, headers } = await apiUser(db)
    const ticket = await buildTicket(db, { requesterId: user.id })
    expect((await call(app, 'GET', `/api/v1/tickets/${ticket.id}`, { headers })).status).toBe(200)
    expect((await call(app, 'GET', '/api/v1/tickets/987654', { headers })).status).toBe(404)
    // A page: the login redirect answers before the page's handler, the route is still the page's.
    expect((await call(app, 'GET', `/tickets/${ticket.id}`)).status).toBe(303)
    expect((await call(app, 'GET', '/no/such/page/123456')).status).toBe(404)
    expect((await call(app, 'GET', '/login/telegram/secret-one-time-token')).status).toBeLessThan(500)

    const { text, samples } = await scrape(app)
    const count = (labels: string) => samples.get(`helpdesk_http_requests_total{${labels}}`)
    expect(count('method="GET",route="/api/v1/tickets/:id",status="200"')).toBe(1)
    expect(count('method="GET",route="/api/v1/tickets/:id",status="404"')).toBe(1)
    expect(count('method="GET",route="/tickets/:id",status="303"')).toBe(1)
    expect(count('method="GET",route="unmatched",status="404"')).toBe(1)
    expect(
      samples.get(
        'helpdesk_http_request_duration_seconds_count{method="GET",route="/api/v1/tickets/:id",status="200"}',
      ),
    ).toBe(1)
    expect(text).not.toContain('987654')
    expect(text).not.toContain('123456')
    expect(text).not.toContain('secret-one-time-token')
    expect(text).not.toContain(`/tickets/${ticket.id}"`)
  })

  test('tickets by status are what the database holds', async () => {
    const { db } = await testDatabase()
    for (const status of ['new', 'new', 'in_progress', 'resolved', 'closed', 'closed', 'closed'] as const) {
      await buildTicket(db, { status, resolvedAt: status === 'resolved' || status === 'closed' ? now() : null })
    }
    const app = metricsApp(db)
    // Two Prometheus servers scraping at once each get every status (the gauges are refilled per scrape).
    const [{ samples }, other] = await Promise.all([scrape(app), scrape(app)])
    expect(other.samples.get('helpdesk_tickets{status="closed"}')).toBe(3)
    const rows = await db
      .selectFrom('tickets')
      .select(['status', db.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute()
    const inDb = Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]))
    expect(inDb).toEqual({ new: 2, in_progress: 1, resolved: 1, closed: 3 })
    for (const status of ['new', 'in_progress', 'waiting', 'resolved', 'closed', 'cancelled']) {
      expect(samples.get(`helpdesk_tickets{status="${status}"}`), status).toBe(inDb[status] ?? 0)
    }
  })

  test('the outbox depth counts undelivered rows and the age is that of the oldest', async () => {
    const { db } = await testDatabase()
    const app = metricsApp(db)
    const empty = (await scrape(app)).samples
    expect(empty.get('helpdesk_outbox_depth')).toBe(0)
    expect(empty.get('helpdesk_outbox_oldest_pending_age_seconds')).toBe(0)

    const at = new Date('2026-12-03T10:00:00.000Z')
    const minutesAgo = (minutes: number) => new Date(at.getTime() - minutes * 60_000).toISOString()
    const rows = [
      { status: 'pending', created_at: minutesAgo(10) },
      { status: 'sending', created_at: minutesAgo(3) },
      { status: 'pending', created_at: minutesAgo(1) },
      // Delivered and given-up rows are not waiting, however old.
      { status: 'sent', created_at: minutesAgo(600) },
      { status: 'failed', created_at: minutesAgo(900) },
    ] as const
    for (const row of rows) {
      await db
        .insertInto('outbox')
        .values({
          channel: 'telegram',
          recipient: '1',
          kind: 'bot_message',
          payload: '{}',
          status: row.status,
          next_attempt_at: row.created_at,
          last_error: null,
          ticket_id: null,
          message_id: null,
          created_at: row.created_at,
          sent_at: null,
          telegram_message_id: null,
        })
        .execute()
    }
    await db
      .insertInto('jobs')
      .values({
        kind: 'test',
        payload: '{}',
        run_at: minutesAgo(5),
        status: 'failed',
        last_error: 'boom',
        locked_until: null,
        unique_key: null,
        created_at: minutesAgo(5),
        finished_at: minutesAgo(4),
      })
      .execute()
    setTestClock(at.toISOString())
    const { samples } = await scrape(app)
    expect(samples.get('helpdesk_outbox_depth')).toBe(3)
    expect(samples.get('helpdesk_outbox_oldest_pending_age_seconds')).toBe(600)
    expect(samples.get('helpdesk_outbox_failed')).toBe(1)
    expect(samples.get('helpdesk_jobs_failed')).toBe(1)
  })

  test('the last good backup is the newest one verified by a restore; none, no sample', async () => {
    const { db } = await testDatabase()
    const app = metricsApp(db)
    const gauge = 'helpdesk_backup_last_success_timestamp_seconds'
    expect((await scrape(app)).samples.has(gauge)).toBe(false)
    const backup = (finished: string, ok: number, verified: boolean) =>
      db
        .insertInto('backups')
        .values({
          started_at: finished,
          finished_at: finished,
          file: 'x.tar.age',
          bytes: 1,
          trigger: 'schedule',
          ok,
          error: ok ? null : 'disk full',
          verified_at: verified ? finished : null,
        })
        .execute()
    await backup('2026-12-01T23:31:00.000Z', 1, true)
    await backup('2026-12-02T23:31:00.000Z', 1, true)
    // Newer, but failed, or made and never verified: not a good backup.
    await backup('2026-12-03T23:31:00.000Z', 0, false)
    await backup('2026-12-04T23:31:00.000Z', 1, false)
    expect((await scrape(app)).samples.get(gauge)).toBe(Date.parse('2026-12-02T23:31:00.000Z') / 1000)
  })

  test('a database that is gone still gives a scrape, with helpdesk_database_up 0', async () => {
    const { db } = await testDatabase()
    const app = metricsApp(db)
    expect((await scrape(app)).samples.get('helpdesk_database_up')).toBe(1)
    await db.destroy()
    const { samples } = await scrape(app)
    expect(samples.get('helpdesk_database_up')).toBe(0)
    expect(samples.has('helpdesk_outbox_depth')).toBe(false)
    expect(samples.has('helpdesk_backup_last_success_timestamp_seconds')).toBe(false)
    expect(samples.has('helpdesk_tickets{status="new"}')).toBe(false)
  })

  test('a database that holds every connection gives up the scrape, and the wait is seen', async () => {
    const { db, dialect } = await testDatabase()
    const app = metricsApp(db)
    await scrape(app)
    // Transactions that hold every connection (SQLite's one; the test pool's 4 on PostgreSQL) until let go.
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const holders = Array.from({ length: 4 }, () => db.transaction().execute(() => gate))
    // A query queued behind them; on PostgreSQL it may meet the pool's own 5 s timeout instead.
    const queued = db
      .selectFrom('tickets')
      .select('id')
      .execute()
      .catch(() => [])
    try {
      const { samples } = await scrape(app)
      expect(samples.get('helpdesk_database_up')).toBe(0)
      expect(samples.has('helpdesk_jobs_failed')).toBe(false)
      if (dialect === 'postgres') expect(samples.get('helpdesk_db_pool_clients{state="waiting"}')).toBeGreaterThan(0)
    } finally {
      release()
      await Promise.all([...holders, queued])
    }
    const { samples } = await scrape(app)
    expect(samples.get('helpdesk_database_up')).toBe(1)
    // The query that waited for the held connection waited seconds (the scrape gave up after its 3).
    expect(samples.get(`helpdesk_db_connection_wait_seconds_total{dialect="${dialect}"}`)).toBeGreaterThan(1)
  })

  test('connection waits are measured, and PostgreSQL shows its pool', async () => {
    const { db } = await testDatabase()
    const app = metricsApp(db)
    await scrape(app)
    const { samples } = await scrape(app)
    const dialect = testDialect()
    expect(samples.get(`helpdesk_db_connection_acquires_total{dialect="${dialect}"}`)).toBeGreaterThan(0)
    expect(samples.get(`helpdesk_db_connection_wait_seconds_total{dialect="${dialect}"}`)).toBeGreaterThanOrEqual(0)
    if (dialect === 'postgres') {
      expect(samples.get('helpdesk_db_pool_clients{state="total"}')).toBeGreaterThan(0)
      expect(samples.has('helpdesk_db_pool_clients{state="waiting"}')).toBe(true)
    } else {
      expect(samples.has('helpdesk_db_pool_clients{state="total"}')).toBe(false)
    }
  })

  test('journal writes and Telegram errors are counted, in every app of the process', async () => {
    const { db } = await testDatabase()
    const first = metricsApp(db)
    const second = metricsApp(db)
    const before = (await scrape(first)).samples
    await audit(db, systemActor(), { action: 'test.metrics', description: 'Проверка метрик' })
    toSendResult(
      new GrammyError('e', { ok: false, error_code: 429, description: 'Too Many Requests' }, 'sendMessage', {}),
    )
    for (const app of [first, second]) {
      const { samples } = await scrape(app)
      const grown = (key: string) => (samples.get(key) ?? 0) - (before.get(key) ?? 0)
      expect(grown('helpdesk_audit_write_seconds_count')).toBe(1)
      expect(grown('helpdesk_telegram_errors_total{code="429"}')).toBe(1)
    }
  })

  test('bot updates are counted by outcome', async () => {
    const { db } = await testDatabase()
    const app = metricsApp(db)
    const fake = await startFakeTelegram()
    try {
      const config = testConfig()
      const logger = pino({ level: 'silent' })
      const bot = createBot({ db, config, logger, token: fake.token, apiRoot: fake.apiRoot })
      await bot.init()
      const applier = createUpdateApplier({ db, bot, config, logger })
      const before = (await scrape(app)).samples
      const update = {
        update_id: 7_000_001,
        message: {
          message_id: 1,
          date: 1_700_000_000,
          chat: { id: 555, type: 'private' as const, first_name: 'A' },
          from: { id: 555, is_bot: false, first_name: 'A' },
          text: 'привет',
        },
      }
      expect(await applier.apply(update)).toBe('applied')
      expect(await applier.apply(structuredClone(update))).toBe('replayed')
      const { samples } = await scrape(app)
      const grown = (outcome: string) => {
        const key = `helpdesk_bot_updates_total{outcome="${outcome}"}`
        return (samples.get(key) ?? 0) - (before.get(key) ?? 0)
      }
      expect([grown('applied'), grown('replayed'), grown('gave_up')]).toEqual([1, 1, 0])
    } finally {
      await fake.close()
    }
  })

  test('the example Grafana dashboard asks only for metrics the scrape has', async () => {
    const { db } = await testDatabase()
    const { text } = await scrape(metricsApp(db))
    const dashboard = readFileSync(path.join(import.meta.dirname, '../../deploy/grafana-dashboard.json'), 'utf8')
    const asked = new Set(
      [...dashboard.matchAll(/helpdesk_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
    )
    expect(asked.size).toBeGreaterThan(15)
    const declared = [...asked].filter((name) => !text.includes(`# TYPE ${name} `))
    expect(declared).toEqual([])
  })
})

describe('who may read /metrics', () => {
  test('loopback by default; any other address, or no known address, gets the ordinary 404', async () => {
    const { db } = await testDatabase()
    const app = metricsApp(db)
    for (const ip of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect((await call(app, 'GET', '/metrics', { ip })).status, ip).toBe(200)
    }
    const notFound = await call(app, 'GET', '/no-such-page')
    for (const ip of ['10.1.2.3', '192.168.0.5', 'fe80::1', undefined]) {
      const res = await call(app, 'GET', '/metrics', ip ? { ip } : {})
      expect(res.status, String(ip)).toBe(404)
      expect(res.text).toBe(notFound.text)
    }
  })

  test('X-Forwarded-For is believed only from TRUST_PROXY', async () => {
    const { db } = await testDatabase()
    const forwarded = { 'x-forwarded-for': '127.0.0.1' }
    const direct = metricsApp(db)
    expect((await call(direct, 'GET', '/metrics', { ip: '10.1.2.3', headers: forwarded })).status).toBe(404)
    // Behind nginx on this host: the peer is loopback, the client is who nginx says.
    const proxied = metricsApp(db, { trustProxy: ['loopback'] })
    const outside = { 'x-forwarded-for': '10.1.2.3' }
    expect((await call(proxied, 'GET', '/metrics', { ip: LOOPBACK, headers: outside })).status).toBe(404)
    expect((await call(proxied, 'GET', '/metrics', { ip: LOOPBACK })).status).toBe(200)
  })

  test('METRICS_ALLOW lets a Prometheus elsewhere in', async () => {
    const { db } = await testDatabase()
    const app = metricsApp(db, { metricsAllow: ['10.20.0.0/16', '192.168.1.7'] })
    expect((await call(app, 'GET', '/metrics', { ip: '10.20.3.4' })).status).toBe(200)
    expect((await call(app, 'GET', '/metrics', { ip: '192.168.1.7' })).status).toBe(200)
    expect((await call(app, 'GET', '/metrics', { ip: '10.21.3.4' })).status).toBe(404)
    // The list replaces the default: loopback is then not in it.
    expect((await call(app, 'GET', '/metrics', { ip: LOOPBACK })).status).toBe(404)
  })

  test('the bearer token opens it from anywhere; a wrong one, or any without METRICS_TOKEN, is a 404', async () => {
    const { db } = await testDatabase()
    const app = metricsApp(db, { metricsToken: TOKEN })
    const as = (authorization: string) => call(app, 'GET', '/metrics', { ip: '10.1.2.3', headers: { authorization } })
    const good = await as(`Bearer ${TOKEN}`)
    expect(good.status).toBe(200)
    parse(good.text)
    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', TOKEN, `Basic ${TOKEN}`]) {
      expect((await as(wrong)).status, wrong).toBe(404)
    }
    const tokenless = metricsApp(db)
    const res = await call(tokenless, 'GET', '/metrics', {
      ip: '10.1.2.3',
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(res.status).toBe(404)
  })
})

describe('METRICS_* settings', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  const load = (env: Record<string, string>) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-metrics-'))
    dirs.push(dir)
    return loadConfig({ DATA_DIR: dir, ...env })
  }

  test('loopback unless set; a list of addresses and ranges; empty means the token only', () => {
    expect(load({}).metricsAllow).toEqual(['loopback'])
    expect(load({ METRICS_ALLOW: '10.0.0.0/8, 192.168.1.7 ::1' }).metricsAllow).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
    ])
    expect(load({ METRICS_ALLOW: '' }).metricsAllow).toEqual([])
    expect(load({ METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN)
    expect(load({}).metricsToken).toBeUndefined()
  })

  test('a bad address or a short token stops the start with a Russian message', () => {
    expect(() => load({ METRICS_ALLOW: 'prometheus.local' })).toThrow(ConfigError)
    expect(() => load({ METRICS_ALLOW: '10.0.0.0/33' })).toThrow(/METRICS_ALLOW.*префикса/)
    expect(() => load({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN.*16/)
  })
})
