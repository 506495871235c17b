import { performance } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import { expect, test } from 'vitest'
import { setAuditKey } from '#src/audit/journal.ts'
import { loadConfig } from '#src/config.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import { type CliEnv, databaseFile, freshEnv, withFileDatabase } from '../cli/helpers.ts'
import { apiUser } from '../support/api.ts'
import { buildCategory, buildGroup, buildUser } from '../support/factories.ts'
import { type FakeTelegram, startFakeTelegram } from '../support/fake-telegram.ts'
import { startServer, stopServer, waitReady } from '../support/server-process.ts'

/**
 * F4 (TESTING.md): the real `helpdesk serve` while Telegram answers 429 with `retry_after`, bursts of
 * 5xx, hangs, and is down. Tickets are filed through the API in every phase, so notices keep coming.
 * Must hold:
 * - no send after a 429 before its `retry_after` has passed (on the fake's arrival times);
 * - the web does not wait for Telegram: the API's p95 latency stays under a second in every phase
 *   (measured, with the figure before the faults printed beside it);
 * - after recovery the outbox drains: every notice `sent`, none given up;
 * - nothing lost or doubled: each notice reached its chat exactly once (none of these faults lets
 *   Telegram perform a call whose answer the sender missed; F3 is where that happens).
 *
 * Durations are scaled down, and the server is told the same scale through its settings:
 * - a hang: in production Telegram hanging 30 s meets the Bot API client's 30 s timeout; here the
 *   timeout is 2 s (TELEGRAM_TIMEOUT_SECONDS) and the fake holds the request 3 s — past the timeout,
 *   which is what «hangs 30 s» tests: the send is given up, counted as a failure and tried again;
 * - down: in production 5 min is 20 first retries (15 s, doubling: 4–5 attempts); here the first retry
 *   is 0.25 s (NOTICE_RETRY_SECONDS) and Telegram is down 5 s — the same 20 of them, the same attempts;
 * - `retry_after` is Telegram's own number of seconds: 2 s here, as real ones are a few seconds and up.
 */
const RETRY_AFTER_S = 2
const TIMEOUT_S = 2
const HANG_MS = (TIMEOUT_S + 1) * 1000
const FIRST_RETRY_S = 0.25
const DOWN_MS = 5000
const LATENCY_BOUND_MS = 1000
/** Methods that put something in a chat: flood control (429) is about them. */
const SENDING = ['sendMessage', 'editMessageText', 'editMessageReplyMarkup', 'sendPhoto', 'sendDocument']

interface World {
  headers: Record<string, string>
  categoryId: number
  /** A category of no group: only its requester is told, so that sends come one by one. */
  quietCategoryId: number
}

async function buildWorld(env: CliEnv): Promise<World> {
  setAuditKey(loadConfig({ DATA_DIR: env.dataDir }).auditKey)
  return withFileDatabase(env, async (db) => {
    await migrateToLatest(db)
    const executors = [
      await buildUser(db, { role: 'executor', telegramChatId: '9701' }),
      await buildUser(db, { role: 'executor', telegramChatId: '9702' }),
    ]
    const group = await buildGroup(
      db,
      'Сети',
      executors.map((e) => e.id),
    )
    const category = await buildCategory(db, { defaultGroupId: group.id })
    const quiet = await buildCategory(db)
    const requester = await apiUser(db, { telegramChatId: '9711' })
    return { headers: requester.headers, categoryId: category.id, quietCategoryId: quiet.id }
  })
}

function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? Number.POSITIVE_INFINITY
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('Telegram: 429, 5xx burst, hang past the timeout, down — retry_after kept, the web unaffected, every notice once', async () => {
  const env = await freshEnv()
  const base = `http://127.0.0.1:${env.port}`
  const fake: FakeTelegram = await startFakeTelegram()
  const world = await buildWorld(env)
  const server = startServer(env, {
    telegram: fake,
    env: { TELEGRAM_TIMEOUT_SECONDS: String(TIMEOUT_S), NOTICE_RETRY_SECONDS: String(FIRST_RETRY_S) },
  })
  const tickets: number[] = []
  const latencies = new Map<string, number[]>()
  let phase = 'before'
  /** A request, its whole answer read, timed into the current phase. */
  const timed = async (path: string, init?: RequestInit): Promise<{ status: number; body: string }> => {
    const started = performance.now()
    const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) })
    const body = await response.text()
    latencies.set(phase, [...(latencies.get(phase) ?? []), performance.now() - started])
    return { status: response.status, body }
  }
  const file = async (categoryId: number) => {
    const response = await timed('/api/v1/tickets', {
      method: 'POST',
      headers: world.headers,
      body: JSON.stringify({ description: `Нет сети, попытка ${tickets.length + 1}`, category_id: categoryId }),
    })
    expect(response.status).toBe(201)
    tickets.push((JSON.parse(response.body) as { id: number }).id)
  }
  /** People use the web the whole time: the ticket list, one request after another. */
  let browsing = true
  let browse: Promise<void> = Promise.resolve()
  const startBrowsing = async () => {
    while (browsing) {
      const response = await timed('/api/v1/tickets?per_page=20', { headers: world.headers })
      expect(response.status).toBe(200)
      await sleep(20)
    }
  }
  const outbox = new Database(databaseFile(env), { readonly: true, fileMustExist: true })
  outbox.pragma('busy_timeout = 5000')
  const waiting = () =>
    (outbox.prepare("select count(*) as n from outbox where status in ('pending', 'sending')").get() as { n: number }).n
  /** Each phase is measured on enough requests to speak of a p95, however quickly it went. */
  const MIN_SAMPLES = 20
  const sampled = () => fake.waitFor(() => (latencies.get(phase)?.length ?? 0) >= MIN_SAMPLES, 15_000)
  const drained = async (what: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs
    while (waiting() > 0) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await sleep(50)
    }
  }

  try {
    await waitReady(base)
    browse = startBrowsing()
    await fake.waitFor(() => fake.callsOf('getMe').some((c) => c.status === 200), 15_000)
    await file(world.categoryId)
    await drained('the first notices')

    // 429: Telegram asks to wait RETRY_AFTER_S. Three notices to one chat, so sends come one by one.
    await sampled()
    phase = '429'
    fake.failNext('sendMessage', { status: 429, retryAfter: RETRY_AFTER_S })
    for (let n = 0; n < 3; n++) await file(world.quietCategoryId)
    await drained('the notices after the 429')
    const limited = fake.callsOf('sendMessage').find((c) => c.status === 429)
    const answeredAt = limited?.answeredAt ?? Number.POSITIVE_INFINITY
    const after = fake.calls.filter((c) => SENDING.includes(c.method) && c.monotonicAt > answeredAt)
    expect(after.length).toBeGreaterThanOrEqual(3)
    for (const call of after) expect(call.monotonicAt - answeredAt).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000)

    // A burst of 5xx: the first sends of two tickets' notices fail, and are retried.
    await sampled()
    phase = '5xx'
    fake.failNext('sendMessage', { status: 500 }, 3)
    fake.failNext('sendMessage', { status: 502 }, 2)
    fake.failNext('sendMessage', { status: 503 }, 2)
    for (let n = 0; n < 2; n++) await file(world.categoryId)
    await drained('the notices after the 5xx burst')

    // A hang past the client's timeout: the sends are given up and tried again.
    await sampled()
    phase = 'hang'
    fake.failNext('sendMessage', { hangMs: HANG_MS }, 3)
    for (let n = 0; n < 2; n++) await file(world.categoryId)
    await fake.waitFor(() => fake.calls.filter((c) => c.fault?.startsWith('hang')).length === 3, 10_000)
    await drained('the notices after the hang')

    // Down: connections refused for DOWN_MS while tickets keep being filed.
    await sampled()
    phase = 'down'
    await fake.down('refused')
    const downFrom = tickets.length
    for (let n = 0; n < 3; n++) {
      await file(world.categoryId)
      await sleep(DOWN_MS / 4)
    }
    await sleep(DOWN_MS / 4)
    expect(waiting()).toBeGreaterThan(0)
    phase = 'recovery'
    await fake.up()
    await drained('the outbox after Telegram came back')
    await sampled()
    const during = tickets.slice(downFrom)
    const attempts = outbox
      .prepare(`select max(attempts) as n from outbox where ticket_id in (${during.map(() => '?').join(',')})`)
      .get(...during) as { n: number }
    // Tried all along the outage (several backoffs), yet never given up.
    expect(attempts.n).toBeGreaterThanOrEqual(3)
  } finally {
    browsing = false
    await browse.catch(() => undefined)
    await stopServer(server)
    await fake.close()
  }

  // Nothing lost, nothing doubled: each notice's ticket reached its chat exactly once.
  const rows = outbox.prepare('select recipient, ticket_id, status from outbox').all() as Array<{
    recipient: string
    ticket_id: number
    status: string
  }>
  outbox.close()
  expect(rows.filter((r) => r.status !== 'sent')).toEqual([])
  expect(rows).toHaveLength(tickets.length + 2 * (tickets.length - 3))
  for (const row of rows) {
    const about = new RegExp(`№ ${row.ticket_id}(?!\\d)`)
    const delivered = fake
      .callsOf('sendMessage')
      .filter(
        (c) => c.status === 200 && String(c.params.chat_id) === row.recipient && about.test(String(c.params.text)),
      )
    expect(delivered, `ticket ${row.ticket_id} to ${row.recipient}`).toHaveLength(1)
  }

  const figures = [...latencies].map(([name, samples]) => `${name} ${Math.round(p95(samples))} ms (${samples.length})`)
  process.stdout.write(`F4: API p95 latency by phase (requests): ${figures.join('; ')}\n`)
  for (const [name, samples] of latencies) {
    expect(samples.length, name).toBeGreaterThanOrEqual(MIN_SAMPLES)
    expect(p95(samples), `p95 during ${name}`).toBeLessThan(LATENCY_BOUND_MS)
  }
}, 120_000)
