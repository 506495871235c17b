import { expect, test } from 'vitest'
import { freshEnv, withFileDatabase } from '../cli/helpers.ts'
import {
  adminApiHeaders,
  createCategory,
  expectAcknowledgedTickets,
  expectJournalVerifies,
  expectSqliteIntact,
} from '../support/reliability.ts'
import { seededRandom, startServer, stopServer, waitReady } from '../support/server-process.ts'

/**
 * F1 (TESTING.md): `kill -9` of the server at random moments while 8 clients create tickets with
 * idempotency keys. "Nothing lost" means: every ticket the server acknowledged (201) is stored exactly
 * once, with its audit row; a client that retries an unacknowledged request with the same key never makes
 * a second ticket; the audit chain verifies; SQLite's integrity check passes.
 */
const CYCLES = Number(process.env.RELIABILITY_CYCLES ?? 20)
const CLIENTS = 8

const { seed, random } = seededRandom()

test(`kill -9 during ticket creation loses no acknowledged ticket and duplicates none (${CYCLES} cycles, seed ${seed})`, async () => {
  const env = await freshEnv()
  const base = `http://127.0.0.1:${env.port}`
  const headers = await adminApiHeaders(env)

  let server = startServer(env, { worker: 'off' })
  await waitReady(base)
  const categoryId = await createCategory(base, headers)

  const acknowledged = new Map<string, number>()
  let running = true
  let attempts = 0
  const client = async (n: number) => {
    for (let i = 0; running; i++) {
      const key = `c${n}-t${i}`
      // Retry the same key until the server acknowledges it, as a careful integration would.
      for (;;) {
        attempts++
        try {
          const res = await fetch(`${base}/api/v1/tickets`, {
            method: 'POST',
            headers: { ...headers, 'idempotency-key': key },
            body: JSON.stringify({
              title: `Надёжность ${key}`,
              description: 'Не печатает принтер',
              category_id: categoryId,
              priority: 'normal',
            }),
          })
          if (res.status === 201) {
            acknowledged.set(key, ((await res.json()) as { id: number }).id)
            break
          }
        } catch {
          // the server is down: wait for it to come back
        }
        if (!running) return
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  }
  const clients = Array.from({ length: CLIENTS }, (_, n) => client(n))

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    await new Promise((r) => setTimeout(r, 200 + random() * 800))
    await stopServer(server, 'SIGKILL')
    server = startServer(env, { worker: 'off' })
    await waitReady(base)
  }
  await new Promise((r) => setTimeout(r, 300))
  running = false
  await Promise.all(clients)
  await stopServer(server)

  expect(acknowledged.size).toBeGreaterThan(CYCLES)
  process.stdout.write(`F1: ${acknowledged.size} tickets acknowledged in ${attempts} attempts over ${CYCLES} kills\n`)
  await withFileDatabase(env, async (db) => {
    await expectAcknowledgedTickets(db, acknowledged, (key) => `Надёжность ${key}`)
    await expectJournalVerifies(db, env.dataDir)
    await expectSqliteIntact(db)
  })
}, 600_000)
