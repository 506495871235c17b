import { sql } from 'kysely'
import { afterAll, expect, test } from 'vitest'
import { openDatabase } from '#src/db/database.ts'
import { freePort, freshEnv } from '../cli/helpers.ts'
import { startFakeTelegram } from '../support/fake-telegram.ts'
import {
  adminApiHeaders,
  createCategory,
  expectAcknowledgedTickets,
  expectJournalVerifies,
  watchExit,
} from '../support/reliability.ts'
import { pgBinaries, type ScratchPostgres, startScratchPostgres } from '../support/scratch-postgres.ts'
import { seededRandom, startServer, stopServer, waitReady } from '../support/server-process.ts'

/**
 * F6 (TESTING.md): PostgreSQL connections killed (`pg_terminate_backend`) and the server restarted
 * (`pg_ctl restart -m fast` and `-m immediate`, and one stop long enough to look at) while 6 clients create
 * tickets through the API with idempotency keys, on a scratch cluster of the test's own; the worker runs
 * and the bot polls a fake Telegram meanwhile.
 *
 * "Nothing lost" means: every ticket the server acknowledged (201) is stored exactly once, with its
 * `ticket.create` audit row; a client that retries an unacknowledged request with the same key never
 * makes a second ticket; the audit chain verifies. Besides: the process never exits, no request during the
 * faults gets a 500 (only 201 or 503), none hangs (each answers within 10 s, the pool's 5 s connection
 * timeout and a margin), /readyz is 503 while PostgreSQL is down, and the server serves normally after —
 * the bot included: people who write to it before and after the faults get their answer.
 */
const FAULTS = Number(process.env.RELIABILITY_CYCLES ?? 6)
const CLIENTS = 6
const ANSWER_WITHIN_MS = 10_000

const { seed, random } = seededRandom()

// Only a machine without PostgreSQL's server binaries may skip this; CI must run it.
if (!pgBinaries && process.env.CI === 'true') throw new Error('F6 needs initdb and pg_ctl in CI (PG_BIN)')
if (!pgBinaries) process.stderr.write('F6 skipped: PostgreSQL server binaries (initdb, pg_ctl) are absent\n')

let cluster: ScratchPostgres | undefined
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  await cluster?.destroy()
})

test.skipIf(!pgBinaries)(
  `PostgreSQL killed and restarted during ticket creation: the process lives, nothing acknowledged is lost (${FAULTS} faults, seed ${seed})`,
  async () => {
    cluster = await startScratchPostgres(await freePort())
    const pg = cluster
    const admin = openDatabase({ kind: 'postgres', url: pg.url('postgres') }, { poolSize: 1 })
    await sql`create database helpdesk`.execute(admin)
    const databaseUrl = pg.url('helpdesk')
    const env = await freshEnv()
    const base = `http://127.0.0.1:${env.port}`
    const headers = await adminApiHeaders(env, databaseUrl)

    // The bot polls a fake Telegram through the outage too: its loop must outlive the database's absence.
    const fake = await startFakeTelegram()
    cleanups.push(() => fake.close())
    const server = startServer(env, { databaseUrl, telegram: fake })
    cleanups.unshift(() => stopServer(server, 'SIGKILL'))
    const exited = watchExit(server)
    await waitReady(base)
    const categoryId = await createCategory(base, headers)

    const acknowledged = new Map<string, number>()
    const statuses = new Map<number | string, number>()
    const count = (status: number | string) => statuses.set(status, (statuses.get(status) ?? 0) + 1)
    let slowest = 0
    let running = true
    const client = async (n: number) => {
      for (let i = 0; running; i++) {
        const key = `c${n}-t${i}`
        // Retry the same key until the server acknowledges it, as a careful integration would.
        for (;;) {
          const started = performance.now()
          try {
            const res = await fetch(`${base}/api/v1/tickets`, {
              method: 'POST',
              headers: { ...headers, 'idempotency-key': key },
              body: JSON.stringify({
                title: `Надёжность ${key}`,
                description: 'Не печатает принтер',
                category_id: categoryId,
              }),
              signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
            })
            count(res.status)
            if (res.status === 201) {
              acknowledged.set(key, ((await res.json()) as { id: number }).id)
              break
            }
            const body = (await res.json()) as { error?: { code?: string } }
            if (res.status === 503) expect(body.error?.code).toBe('unavailable')
          } catch (error) {
            // A hang (the timeout) or a dropped connection: both are failures of this test.
            count(error instanceof Error ? error.name : 'error')
          } finally {
            slowest = Math.max(slowest, performance.now() - started)
          }
          if (!running) return
          await new Promise((r) => setTimeout(r, 20))
        }
      }
    }
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n))
    const early = fake.user(7001)
    early.command('/start')
    await fake.waitForBotMessages(early.chatId, 1, 30_000)
    const pause = () => new Promise((r) => setTimeout(r, 300 + random() * 700))

    for (let fault = 0; fault < FAULTS; fault++) {
      await pause()
      const kind = fault % 3
      if (kind === 0) {
        // Every backend of the app, busy or idle, killed at once (as an administrator or a failover would).
        await sql`select pg_terminate_backend(pid) from pg_stat_activity
                  where datname = 'helpdesk' and pid <> pg_backend_pid()`.execute(admin)
      } else {
        await pg.restart(kind === 1 ? 'fast' : 'immediate')
      }
    }

    // A stop long enough to look at: not ready, and writes refused at once with 503.
    await pause()
    await pg.stop('fast')
    const readyz = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) })
    expect(readyz.status).toBe(503)
    const duringOutage = await fetch(`${base}/api/v1/tickets`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: 'Во время остановки', description: 'x', category_id: categoryId }),
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    })
    expect(duringOutage.status).toBe(503)
    await pg.start()
    await waitReady(base)
    await pause()

    running = false
    await Promise.all(clients)
    expect(exited()).toBeUndefined()
    // The server serves normally after the faults.
    const after = await fetch(`${base}/api/v1/tickets`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': 'after' },
      body: JSON.stringify({ title: 'Надёжность after', description: 'Работает', category_id: categoryId }),
    })
    expect(after.status).toBe(201)
    acknowledged.set('after', ((await after.json()) as { id: number }).id)
    expect((await fetch(`${base}/api/v1/tickets`, { headers })).status).toBe(200)
    // The poller, backed off while the database was away, takes updates again.
    const late = fake.user(7002)
    late.command('/start')
    await fake.waitForBotMessages(late.chatId, 1, 45_000)
    await stopServer(server)

    const summary = Object.fromEntries(statuses)
    process.stdout.write(
      `F6: ${acknowledged.size} tickets acknowledged over ${FAULTS} faults; answers ${JSON.stringify(summary)}; slowest ${Math.round(slowest)} ms\n`,
    )
    expect([...statuses.keys()].filter((status) => status !== 201 && status !== 503)).toEqual([])
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0)
    expect(acknowledged.size).toBeGreaterThan(FAULTS)

    const db = openDatabase({ kind: 'postgres', url: databaseUrl }, { poolSize: 1 })
    try {
      const tickets = await expectAcknowledgedTickets(db, acknowledged, (key) => `Надёжность ${key}`)
      expect(tickets.map((t) => t.title)).not.toContain('Во время остановки')
      await expectJournalVerifies(db, env.dataDir)
    } finally {
      await db.destroy()
      await admin.destroy()
    }
  },
  240_000,
)
