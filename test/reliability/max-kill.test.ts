import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, expect, test } from 'vitest'
import { buttons } from '#src/bot/texts.ts'
import { openDatabase } from '#src/db/database.ts'
import type { Db } from '#src/db/schema.ts'
import { maxUpdateKey } from '#src/max/max-conversation.ts'
import { MAX_POLLER_LEASE } from '#src/max/max-polling.ts'
import type { MaxUpdate } from '#src/max/max-types.ts'
import { callback } from '#src/notify/callback-data.ts'
import { chatKeyOf } from '#src/notify/chat-key.ts'
import { type CliEnv, databaseFile, freshEnv } from '../cli/helpers.ts'
import { buildCategory, buildUser } from '../support/factories.ts'
import { type FakeMaxPerson, startFakeMax } from '../support/fake-max.ts'
import { maxHarness } from '../support/max-harness.ts'
import { expectSqliteIntact } from '../support/reliability.ts'
import { seededRandom, startServer, stopServer, waitReady } from '../support/server-process.ts'

/**
 * F2 (TESTING.md) for the MAX bot (issue 15): `kill -9` of the real `helpdesk serve` while it applies MAX's updates,
 * in both of its modes and on both databases. "Every update has exactly one effect" means here: each update has one
 * `max_inbox` row (none recorded as failed); each person's tickets are exactly the ones their updates file, each
 * once (none lost, none doubled, each journaled once); and each person's replies (outbox rows) are exactly those of
 * a run that was never killed — the same script applied once, in this process, through the same applier.
 *
 * PEOPLE registered people each file ROUNDS tickets through the bot: «Новая заявка» → the category button → the
 * description → the urgency button (4 updates a ticket). The server is killed `KILLS` times when the inbox has
 * reached a random count — inside a batch (polling) or between a delivery's commit and its 200 (webhook) — and
 * started again.
 * - Polling: the new instance polls with the stored marker, gets the unconfirmed batch again, and the inbox drops
 *   what was applied; the marker never goes back, every poll after the very first carries one, and at the end it
 *   stands past the last update (MAX has nothing left unconfirmed).
 * - Webhook: the delivery in flight at the kill fails and MAX delivers it again (to the new instance, after its
 *   503s while it starts): a redelivered update that had been committed has no second effect.
 *
 * The worker is off: the outbox rows are the replies (what leaves it is F3's concern).
 */
const KILLS = Number(process.env.RELIABILITY_BOT_KILLS ?? 5)
const PEOPLE = 12
const ROUNDS = 5
/** The first MAX user id of the people. */
const FIRST_ID = 8_100_001
const WEBHOOK_SECRET = 'max-kill-webhook-secret'

const { seed, random } = seededRandom()

const pgUrl = process.env.TEST_DATABASE_URL
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** A database of its own on the test's PostgreSQL server, dropped after the file. */
async function scratchPostgres(serverUrl: string): Promise<string> {
  const name = `hd_maxkill_${randomBytes(5).toString('hex')}`
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

async function countOf(db: Db, table: 'max_inbox' | 'tickets'): Promise<number> {
  try {
    const row = await db.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirst()
    return Number(row?.n ?? 0)
  } catch {
    // Not migrated yet.
    return 0
  }
}

/** Checked often, so that a kill lands soon after its target, inside the batch. */
async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    // Not a busy loop: the fake MAX server answers the server from this same process.
    await new Promise((r) => setTimeout(r, 20))
  }
}

const descriptionOf = (person: number, round: number) => `Не печатает принтер: человек ${person}, заявка ${round}`

/** One ticket filed through the bot: 4 updates. The presses name no message (the worker sent none). */
function queueTicket(person: FakeMaxPerson, description: string, categoryId: number): void {
  person.send(buttons.newTicket)
  person.press('mid.not-sent', callback.category(categoryId))
  person.send(description)
  person.press('mid.not-sent', callback.urgency('normal'))
}

/** The outbox kinds each chat gets from one person's script applied once, never killed: the reference. */
async function referenceReplies(): Promise<string[]> {
  const h = await maxHarness()
  try {
    const category = await buildCategory(h.db, { name: 'Принтеры' })
    const user = await buildUser(h.db, { telegramChatId: null, consent: true })
    await h.db
      .updateTable('users')
      .set({ max_user_id: String(FIRST_ID) })
      .where('id', '=', user.id)
      .execute()
    const person = h.fake.user(FIRST_ID)
    for (let round = 0; round < ROUNDS; round++) queueTicket(person, descriptionOf(0, round), category.id)
    for (const { update } of h.fake.pendingUpdates()) {
      expect(await h.applier.apply(update as MaxUpdate)).toBe('applied')
    }
    const tickets = await h.db.selectFrom('tickets').select('description').orderBy('id').execute()
    // The script does file its tickets: the reference is a real one.
    expect(tickets.map((t) => t.description)).toEqual(Array.from({ length: ROUNDS }, (_, r) => descriptionOf(0, r)))
    const rows = await h.db
      .selectFrom('outbox')
      .select('kind')
      .where('recipient', '=', chatKeyOf('max', FIRST_ID))
      .orderBy('id')
      .execute()
    expect(rows.length).toBeGreaterThan(ROUNDS)
    return rows.map((r) => r.kind)
  } finally {
    await h.close()
  }
}

interface Setup {
  mode: 'polling' | 'webhook'
  database: 'sqlite' | 'postgres'
}

const setups: Setup[] = [
  { mode: 'polling', database: 'sqlite' },
  { mode: 'webhook', database: 'sqlite' },
  ...(pgUrl
    ? [
        { mode: 'polling' as const, database: 'postgres' as const },
        { mode: 'webhook' as const, database: 'postgres' as const },
      ]
    : []),
]
if (!pgUrl) process.stderr.write('MAX F2 on PostgreSQL skipped: TEST_DATABASE_URL is not set\n')

test.each(setups)(
  `kill -9 while the MAX bot applies updates ($mode, $database): every update has exactly one effect (${KILLS} kills, seed ${seed})`,
  async ({ mode, database }) => {
    const expectedReplies = await referenceReplies()
    const env: CliEnv = await freshEnv()
    const base = `http://127.0.0.1:${env.port}`
    const databaseUrl = database === 'postgres' && pgUrl ? await scratchPostgres(pgUrl) : undefined
    const fake = await startFakeMax({ webhookRetryMs: 50 })
    let server: ChildProcess | undefined
    let db: Db | undefined
    try {
      const startMaxServer = () =>
        startServer(env, {
          worker: 'off',
          ...(databaseUrl ? { databaseUrl } : {}),
          env: {
            MAX_BOT_TOKEN: fake.token,
            MAX_API_ROOT: fake.apiRoot,
            MAX_MODE: mode,
            MAX_WEBHOOK_SECRET: WEBHOOK_SECRET,
            BASE_URL: base,
          },
        })
      server = startMaxServer()
      await waitReady(base)
      db = databaseUrl
        ? openDatabase({ kind: 'postgres', url: databaseUrl }, { poolSize: 2 })
        : openDatabase({ kind: 'sqlite', file: databaseFile(env) })
      const handle = db

      // The world, written beside the running server (it migrated the database): people registered in MAX.
      const category = await buildCategory(handle, { name: 'Принтеры' })
      const userIds: number[] = []
      for (let n = 0; n < PEOPLE; n++) {
        const user = await buildUser(handle, { telegramChatId: null, consent: true })
        await handle
          .updateTable('users')
          .set({ max_user_id: String(FIRST_ID + n) })
          .where('id', '=', user.id)
          .execute()
        userIds.push(user.id)
      }
      // MAX hands a poll without a marker only its latest update (the very first start): the updates come once
      // the poller is waiting, as they would for a bot that has been running. A webhook gets all of them.
      if (mode === 'polling') await fake.waitFor(() => fake.callsOf('GET /updates').length > 0, 60_000)
      const people = Array.from({ length: PEOPLE }, (_, n) => fake.user(FIRST_ID + n))
      for (let round = 0; round < ROUNDS; round++) {
        // Interleaved, as people write at once: each batch holds several people's updates.
        for (const [n, person] of people.entries()) queueTicket(person, descriptionOf(n, round), category.id)
      }
      const queued = fake.pendingUpdates()
      const total = queued.length
      expect(total).toBe(PEOPLE * ROUNDS * 4)
      const lastSeq = queued.at(-1)?.seq ?? 0

      const inbox = () => countOf(handle, 'max_inbox')
      const killedAt: number[] = []
      for (let kill = 0; kill < KILLS; kill++) {
        // A target inside this kill's share of the run, so that the kills spread over all of it; the first one
        // after the first batch (one update, polled without a marker) has stored its marker.
        const share = total / KILLS
        const target = Math.max(2, Math.floor(kill * share + 1 + random() * (share - 2)))
        await waitFor(async () => (await inbox()) >= target, `inbox row ${target}`)
        await stopServer(server, 'SIGKILL')
        killedAt.push(await inbox())
        // The killed instance held the poller lease (70 s); waiting it out is what this does at once.
        await handle
          .updateTable('leases')
          .set({ expires_at: '1970-01-01T00:00:00.000Z' })
          .where('name', '=', MAX_POLLER_LEASE)
          .execute()
        server = startMaxServer()
      }
      await waitReady(base)
      await waitFor(async () => (await inbox()) >= total, 'every update applied')
      await fake.waitForConfirmed(60_000)
      await stopServer(server)
      const redelivered = new Set(
        fake.webhookDeliveries.filter((d) => d.status !== 200 && d.status !== 503).map((d) => d.seq),
      )
      process.stdout.write(
        `F2 MAX (${mode}, ${database}): ${total} updates, killed at inbox counts ${killedAt.join(', ')}; ` +
          `GET /updates ${fake.callsOf('GET /updates').length}, deliveries ${fake.webhookDeliveries.length}, ` +
          `cut by a kill ${redelivered.size}\n`,
      )
      expect(killedAt.some((n) => n > 0 && n < total)).toBe(true)

      // One inbox row per update, none given up.
      const rows = await handle.selectFrom('max_inbox').select(['update_key', 'kind']).execute()
      expect(rows).toHaveLength(total)
      expect(rows.filter((r) => r.kind.startsWith('failed:'))).toEqual([])
      const keys = new Set(rows.map((r) => r.update_key))
      for (const { update } of queued) {
        expect(keys.has(maxUpdateKey(update)), maxUpdateKey(update)).toBe(true)
      }

      // Each person's tickets: exactly the ones they filed, each once, each journaled once.
      const tickets = await handle
        .selectFrom('tickets')
        .select(['id', 'requester_id', 'description'])
        .orderBy('id')
        .execute()
      expect(tickets).toHaveLength(PEOPLE * ROUNDS)
      for (const [n, userId] of userIds.entries()) {
        const own = tickets.filter((t) => t.requester_id === userId).map((t) => t.description)
        expect(own).toEqual(Array.from({ length: ROUNDS }, (_, r) => descriptionOf(n, r)))
      }
      const journaled = await handle
        .selectFrom('audit_log')
        .select('object_id')
        .where('action', '=', 'ticket.create')
        .where('result', '=', 'success')
        .execute()
      expect(journaled.map((r) => Number(r.object_id)).sort((a, b) => a - b)).toEqual(tickets.map((t) => t.id))

      // Each chat got exactly the replies of a run never killed: none lost, none twice.
      const replies = await handle.selectFrom('outbox').select(['recipient', 'kind']).orderBy('id').execute()
      const recipients = new Set(replies.map((r) => r.recipient))
      expect([...recipients].sort()).toEqual(people.map((p) => chatKeyOf('max', p.userId)).sort())
      for (const person of people) {
        const chat = chatKeyOf('max', person.userId)
        expect(
          replies.filter((r) => r.recipient === chat).map((r) => r.kind),
          `replies to ${chat}`,
        ).toEqual(expectedReplies)
      }
      // Each dialogue ended with its last ticket.
      expect(await handle.selectFrom('bot_conversations').select('chat_id').execute()).toEqual([])

      if (mode === 'polling') {
        // The marker moved on: past the last update at the end; every poll but the very first carried one, and
        // none went back (a new instance starts from the stored one).
        const state = await handle.selectFrom('max_poll_state').select('marker').executeTakeFirstOrThrow()
        expect(Number(state.marker)).toBe(lastSeq + 1)
        const markers = fake.callsOf('GET /updates').map((c) => c.query.marker)
        expect(markers.slice(1).every((m) => m !== undefined && m !== '')).toBe(true)
        const numbers = markers.slice(1).map(Number)
        expect(numbers).toEqual([...numbers].sort((a, b) => a - b))
        // A kill landed inside a batch: the next instance polled the same marker again and got that batch again.
        const before = numbers.filter((m) => m !== lastSeq + 1)
        expect(new Set(before).size).toBeLessThan(before.length)
      } else {
        // Deliveries cut by a kill were made again; each such update still has one effect (checked above).
        expect(redelivered.size).toBeGreaterThan(0)
        for (const seq of redelivered) {
          expect(
            fake.webhookDeliveries.some((d) => d.seq === seq && d.status === 200),
            `update ${seq}`,
          ).toBe(true)
        }
      }
      if (!databaseUrl) await expectSqliteIntact(handle)
    } finally {
      if (server) await stopServer(server, 'SIGKILL')
      await db?.destroy()
      await fake.close()
    }
  },
  300_000,
)
