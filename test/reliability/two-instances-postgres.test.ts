import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, expect, test } from 'vitest'
import { openDatabase } from '#src/db/database.ts'
import type { Db } from '#src/db/schema.ts'
import { freshEnv } from '../cli/helpers.ts'
import { CookieBrowser, overHttp, signInFirstTime } from '../support/cookie-browser.ts'
import {
  adminApiHeaders,
  createCategory,
  expectAcknowledgedTickets,
  expectJournalVerifies,
  waitUntil,
} from '../support/reliability.ts'
import { startServer, stopServer, waitReady } from '../support/server-process.ts'

/**
 * Several instances behind nginx on one PostgreSQL database (issue 11, «The production setup»): two
 * `helpdesk serve` processes share the database and the data folder (keys, files). Both serve; exactly one
 * holds the scheduler lease and runs the schedules; a page open on one instance hears of a change made
 * through the other; and a `kill -9` of one while clients file tickets through both loses nothing that was
 * acknowledged — the clients retry on the survivor with the same idempotency key, as nginx's
 * `proxy_next_upstream` would.
 */
const CLIENTS = 4
const PASSWORD = 'reliable-pass-2026'

const url = process.env.TEST_DATABASE_URL
// CI always has PostgreSQL (vitest.config.ts refuses to run without it there).
if (!url) process.stderr.write('two-instance test skipped: TEST_DATABASE_URL is not set\n')

const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function scratchDatabase(serverUrl: string): Promise<string> {
  const name = `hd_two_${randomBytes(5).toString('hex')}`
  const admin = openDatabase({ kind: 'postgres', url: serverUrl }, { poolSize: 1 })
  await sql`create database ${sql.id(name)}`.execute(admin)
  cleanups.push(async () => {
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
    await admin.destroy()
  })
  const target = new URL(serverUrl)
  target.pathname = `/${name}`
  return target.toString()
}

/** The `change` events a ticket page's stream receives, collected as they come. */
function watchTicket(base: string, browser: CookieBrowser, ticketId: number): { events: string[]; stop(): void } {
  const events: string[] = []
  const controller = new AbortController()
  void (async () => {
    const response = await fetch(`${base}/tickets/${ticketId}/events`, {
      headers: { cookie: browser.cookie, accept: 'text/event-stream' },
      signal: controller.signal,
    })
    expect(response.status).toBe(200)
    const decoder = new TextDecoder()
    for await (const chunk of response.body ?? []) {
      for (const line of decoder.decode(chunk as Uint8Array, { stream: true }).split('\n')) {
        if (line.startsWith('event: ')) events.push(line.slice('event: '.length))
      }
    }
  })().catch(() => {})
  return { events, stop: () => controller.abort() }
}

test.skipIf(!url)(
  'two instances on one PostgreSQL: both serve, one runs the schedules, live updates cross, a kill -9 loses nothing',
  async () => {
    const databaseUrl = await scratchDatabase(url ?? '')
    const env = await freshEnv()
    const other = await freshEnv()
    const bases = [`http://127.0.0.1:${env.port}`, `http://127.0.0.1:${other.port}`] as const
    const headers = await adminApiHeaders(env, databaseUrl)
    const serverEnv = { AUTH_REQUIRE_2FA: 'none' }
    // A rolling start: the first migrates, the second comes up on the migrated database.
    const servers: ChildProcess[] = [startServer(env, { databaseUrl, env: serverEnv })]
    cleanups.unshift(async () => {
      for (const server of servers) await stopServer(server, 'SIGKILL')
    })
    await waitReady(bases[0])
    servers.push(startServer(env, { databaseUrl, port: other.port, env: serverEnv }))
    await waitReady(bases[1])
    const db: Db = openDatabase({ kind: 'postgres', url: databaseUrl }, { poolSize: 2 })
    cleanups.unshift(() => db.destroy())

    // Both serve.
    for (const base of bases) expect((await fetch(`${base}/login`)).status).toBe(200)
    const categoryId = await createCategory(bases[1], headers)

    // One of them holds the scheduler lease (the schedules run there only).
    const leases = await db.selectFrom('leases').selectAll().where('name', '=', 'scheduler').execute()
    expect(leases).toHaveLength(1)
    const firstHolder = leases[0]?.holder ?? ''
    expect([servers[0]?.pid, servers[1]?.pid].map((pid) => firstHolder.includes(`:${pid}:`))).toContain(true)

    // A ticket page open on the second instance hears of a message added through the first.
    const created = await fetch(`${bases[0]}/api/v1/tickets`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: 'Живое обновление', description: 'Не печатает', category_id: categoryId }),
    })
    expect(created.status).toBe(201)
    const ticketId = ((await created.json()) as { id: number }).id
    const browser = new CookieBrowser(overHttp(bases[1]))
    await signInFirstTime(browser, 'admin', PASSWORD)
    const page = watchTicket(bases[1], browser, ticketId)
    cleanups.unshift(async () => page.stop())
    // The stream is open once its first poll ran; a message then must reach it.
    await new Promise((r) => setTimeout(r, 1000))
    const answered = await fetch(`${bases[0]}/api/v1/tickets/${ticketId}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ body: 'Ответ с первого сервера', internal: false }),
    })
    expect(answered.status).toBe(201)
    await waitUntil(() => page.events.includes('change'), 'the change event on the other instance', {
      timeoutMs: 15_000,
    })
    page.stop()

    // Clients file tickets through both; the first instance is killed midway.
    const acknowledged = new Map<string, number>()
    let running = true
    let firstAlive = true
    const client = async (n: number) => {
      for (let i = 0; running; i++) {
        const key = `two-c${n}-t${i}`
        for (let attempt = 0; ; attempt++) {
          // Round robin while both live; the survivor after the kill (nginx's proxy_next_upstream).
          const base = firstAlive ? bases[(n + i + attempt) % 2] : bases[1]
          try {
            const res = await fetch(`${base}/api/v1/tickets`, {
              method: 'POST',
              headers: { ...headers, 'idempotency-key': key },
              body: JSON.stringify({ title: `Два сервера ${key}`, description: 'Надёжность', category_id: categoryId }),
              signal: AbortSignal.timeout(10_000),
            })
            if (res.status === 201) {
              acknowledged.set(key, ((await res.json()) as { id: number }).id)
              break
            }
            // 409: the same key still in flight on the killed instance's transaction; try again.
            expect([409, 503]).toContain(res.status)
          } catch {
            // The killed instance's connection dropped: the same key goes to the other.
          }
          await new Promise((r) => setTimeout(r, 20))
        }
      }
    }
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n))
    await waitUntil(() => acknowledged.size >= 40, '40 acknowledged tickets before the kill', { timeoutMs: 60_000 })
    firstAlive = false
    await stopServer(servers[0] as ChildProcess, 'SIGKILL')
    const atKill = acknowledged.size
    await waitUntil(() => acknowledged.size >= atKill + 40, '40 more through the survivor', { timeoutMs: 60_000 })
    running = false
    await Promise.all(clients)

    await expectAcknowledgedTickets(db, acknowledged, (key) => `Два сервера ${key}`)
    await expectJournalVerifies(db, env.dataDir)

    // The survivor takes the schedules over once the killed holder's lease runs out (expired here at once).
    await db
      .updateTable('leases')
      .set({ expires_at: '1970-01-01T00:00:00.000Z' })
      .where('name', '=', 'scheduler')
      .execute()
    const survivor = `:${servers[1]?.pid}:`
    let taken: string | undefined
    for (let i = 0; i < 120 && taken === undefined; i++) {
      const lease = await db
        .selectFrom('leases')
        .select(['holder', 'expires_at'])
        .where('name', '=', 'scheduler')
        .executeTakeFirst()
      if (lease && lease.expires_at > new Date().toISOString() && lease.holder.includes(survivor)) taken = lease.holder
      else await new Promise((r) => setTimeout(r, 500))
    }
    expect(taken, `the scheduler lease after the kill (first holder ${firstHolder})`).toBeDefined()
    expect((await fetch(`${bases[1]}/readyz`)).status).toBe(200)
  },
  240_000,
)
