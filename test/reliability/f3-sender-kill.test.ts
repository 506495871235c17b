import { expect, test } from 'vitest'
import { migrateToLatest } from '#src/db/migrate.ts'
import { enqueueBotMessage } from '#src/notify/outbox.ts'
import { type CliEnv, freshEnv, withFileDatabase } from '../cli/helpers.ts'
import { startFakeTelegram } from '../support/fake-telegram.ts'
import { expireLeases, waitUntil, withServerFile } from '../support/reliability.ts'
import { seededRandom, startServer, stopServer, waitReady } from '../support/server-process.ts'

/**
 * F3 (TESTING.md): `kill -9` of the sender — the outbox worker of `helpdesk serve` — between a send and
 * its mark. NOTICES messages to CHATS chats are queued before the server starts, each text naming its
 * number. The fake Telegram performs every sendMessage at once but answers 20–200 ms later, so sends are
 * usually in flight; each kill comes right after the fake performed a randomly chosen send, whose answer
 * it still holds (the message is in the chat, the row is not marked). After each kill the server starts
 * again on the same data folder.
 *
 * "Nothing lost": once the last instance has drained, every outbox row is `sent` (none `failed`) and
 * reached its chat at least once.
 * "Duplicates": Telegram has no idempotency key, so a row performed but not marked when its sender died
 * is sent again — that is the only way to a duplicate. So each duplicate must be of a row that was
 * `sending` at a kill and already performed by the fake, once per such kill; and as the sender keeps at
 * most SENDS_IN_FLIGHT sends open at once (deliver.ts), a kill can leave at most that many such rows.
 * TESTING.md's «duplicates ≤ number of kills» is this bound for one send in flight; with four it is four
 * per kill (and still at most one per row per kill), which is what is asserted.
 *
 * The killed instance's claims (5 min) and scheduler lease (30 s) would expire by themselves; the test
 * lets them expire at once, as waiting would (F2 does the same with the poller lease).
 */
const KILLS = Number(process.env.RELIABILITY_SENDER_KILLS ?? 5)
const CHATS = 40
const NOTICES = 200
/** The sender's default concurrency (DrainOptions.concurrency). */
const SENDS_IN_FLIGHT = 4

const { seed, random } = seededRandom()

const textOf = (n: number) => `F3 · уведомление ${n}`
const numberOf = (text: unknown) => Number(String(text).match(/^F3 · уведомление (\d+)$/)?.[1] ?? Number.NaN)

interface OutboxState {
  id: number
  status: string
  payload: string
}

function readOutbox(env: CliEnv): OutboxState[] {
  return withServerFile(
    env,
    (db) => db.prepare('select id, status, payload from outbox order by id').all() as OutboxState[],
    { readonly: true },
  )
}

/** What waiting would do after a kill: the dead sender's claims and its scheduler lease run out. */
function expireDeadSender(env: CliEnv): void {
  withServerFile(env, (db) => {
    db.prepare("update outbox set next_attempt_at = '1970-01-01T00:00:00.000Z' where status = 'sending'").run()
    expireLeases(db, ['scheduler', 'telegram-poller'])
  })
}

test(`kill -9 of the sender between send and mark: every notice sent, duplicates only of what was in flight (${KILLS} kills, seed ${seed})`, async () => {
  const env = await freshEnv()
  const fake = await startFakeTelegram()
  try {
    await withFileDatabase(env, async (db) => {
      await migrateToLatest(db)
      for (let n = 0; n < NOTICES; n++) {
        await db.transaction().execute((tx) => enqueueBotMessage(tx, String(7001 + (n % CHATS)), { text: textOf(n) }))
      }
    })
    const rows = readOutbox(env)
    expect(rows).toHaveLength(NOTICES)
    const rowOf = new Map(
      rows.map((r) => [numberOf((JSON.parse(r.payload) as { message: { text: string } }).message.text), r.id]),
    )

    // Every send is performed at once and answered late (more than the run needs; the rest are never used).
    for (let i = 0; i < NOTICES * 3; i++)
      fake.failNext('sendMessage', { answerAfterMs: 20 + Math.floor(random() * 180) })
    const performed = () => fake.callsOf('sendMessage').filter((c) => c.status === 200)

    const start = () => startServer(env, { telegram: fake })
    let server = start()
    /** Per kill: rows `sending` at the kill that the fake had already performed. */
    const inFlight: number[][] = []
    for (let kill = 0; kill < KILLS; kill++) {
      // A target inside this kill's share of the run, so the kills spread over the whole drain.
      const share = NOTICES / (KILLS + 1)
      const target = Math.floor(kill * share + 1 + random() * (share - 1))
      await fake.waitFor(() => performed().length >= target, 120_000)
      await stopServer(server, 'SIGKILL')
      const delivered = new Set(performed().map((c) => rowOf.get(numberOf(c.params.text))))
      inFlight.push(readOutbox(env).flatMap((r) => (r.status === 'sending' && delivered.has(r.id) ? [r.id] : [])))
      expireDeadSender(env)
      server = start()
    }
    await waitReady(`http://127.0.0.1:${env.port}`)
    await waitUntil(
      () => readOutbox(env).every((r) => r.status === 'sent' || r.status === 'failed'),
      'the outbox to drain',
    )
    await stopServer(server)

    const final = readOutbox(env)
    expect(final.filter((r) => r.status !== 'sent')).toEqual([])
    const deliveries = new Map<number, number>()
    for (const call of performed()) {
      const id = rowOf.get(numberOf(call.params.text))
      expect(id, String(call.params.text)).toBeDefined()
      if (id !== undefined) deliveries.set(id, (deliveries.get(id) ?? 0) + 1)
    }
    for (const row of final)
      expect(deliveries.get(row.id) ?? 0, `deliveries of row ${row.id}`).toBeGreaterThanOrEqual(1)
    const duplicates = [...deliveries.values()].reduce((sum, n) => sum + n - 1, 0)
    process.stdout.write(
      `F3: ${NOTICES} notices, ${KILLS} kills; performed-but-unmarked rows at each kill: ${inFlight.map((k) => k.length).join(', ')}; ${duplicates} duplicates\n`,
    )
    for (const [id, n] of deliveries) {
      const exposures = inFlight.filter((k) => k.includes(id)).length
      expect(n - 1, `duplicates of row ${id}`).toBeLessThanOrEqual(exposures)
    }
    for (const rowsAtKill of inFlight) expect(rowsAtKill.length).toBeLessThanOrEqual(SENDS_IN_FLIGHT)
    expect(duplicates).toBeLessThanOrEqual(KILLS * SENDS_IN_FLIGHT)
    // The kills did land between send and mark (else this test would prove nothing about that window).
    expect(inFlight.filter((k) => k.length > 0).length).toBeGreaterThan(KILLS / 2)
  } finally {
    await fake.close()
  }
}, 300_000)
