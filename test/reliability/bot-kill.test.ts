import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { consentPrompt } from '#src/bot/texts.ts'
import { callback } from '#src/notify/callback-data.ts'
import { currentConsentText } from '#src/users/consent.ts'
import { type CliEnv, databaseFile, freshEnv, withFileDatabase } from '../cli/helpers.ts'
import { startFakeTelegram } from '../support/fake-telegram.ts'
import { expectSqliteIntact, expireLeases, waitUntil, withServerFile } from '../support/reliability.ts'
import { seededRandom, startServer, stopServer, waitReady } from '../support/server-process.ts'

/**
 * F2 (TESTING.md): `kill -9` of the server while the bot applies a polled batch. "Every update has exactly
 * one effect" means: each update_id has one inbox row (none recorded as failed); each refusal of consent
 * (a button press) left exactly one consent record naming that update as its evidence; and every chat got
 * exactly the replies (outbox rows) its updates call for — no fewer (a lost update) and no more (an
 * update applied twice). Its conversation state ends where its last update left it.
 *
 * 20 people each send 5 × («/start» → the consent text and its buttons; «Не согласен» → a refusal
 * record, the consent message edited, «you can come back» sent): 200 updates, all queued before the
 * server starts, applied in batches of up to 100. The server is killed `KILLS` times when the inbox has
 * reached a random count, i.e. in the middle of a batch (a transaction may be open), and started again;
 * the new instance gets the unconfirmed batch again from Telegram and the inbox drops what was applied.
 *
 * The worker is off: what leaves the outbox is F3's concern; here the outbox rows are the replies.
 */
const KILLS = Number(process.env.RELIABILITY_BOT_KILLS ?? 5)
const PEOPLE = 20
const ROUNDS = 5

const { seed, random } = seededRandom()

/** Inbox rows so far, read from the server's database file while it runs (WAL: readers never block it). */
function inboxCounter(env: CliEnv): { count: () => number; close: () => void } {
  let db: Database.Database | undefined
  const count = () => {
    if (!db) {
      if (!existsSync(databaseFile(env))) return 0
      db = new Database(databaseFile(env), { readonly: true, fileMustExist: true })
      db.pragma('busy_timeout = 5000')
    }
    try {
      return (db.prepare('select count(*) as n from telegram_inbox').get() as { n: number }).n
    } catch {
      // Not migrated yet.
      return 0
    }
  }
  return { count, close: () => db?.close() }
}

/**
 * The killed instance held the poller lease for a minute (its TTL); the next one would wait that out.
 * The test lets it expire at once instead — what a minute of waiting would do.
 */
function expirePollerLease(env: CliEnv): void {
  withServerFile(env, (db) => expireLeases(db, ['telegram-poller']))
}

/** Checked often, so that a kill lands soon after its target, inside the batch. */
const waitFor = (condition: () => boolean, what: string) => waitUntil(condition, what, { intervalMs: 20 })

test(`kill -9 while the bot applies a polled batch: every update has exactly one effect (${KILLS} kills, seed ${seed})`, async () => {
  const env = await freshEnv()
  const base = `http://127.0.0.1:${env.port}`
  const fake = await startFakeTelegram()
  try {
    const updateIds: number[] = []
    const presses = new Map<number, number>()
    for (let round = 0; round < ROUNDS; round++) {
      for (let n = 0; n < PEOPLE; n++) {
        const person = fake.user(7001 + n)
        updateIds.push(person.command('/start').updateId)
        const press = person.press(1, callback.consent('no'))
        updateIds.push(press.updateId)
        presses.set(press.updateId, person.id)
      }
    }
    const total = updateIds.length
    const counter = inboxCounter(env)
    const inbox = counter.count

    const startBotServer = () => startServer(env, { worker: 'off', telegram: fake })
    let server = startBotServer()
    const killedAt: number[] = []
    for (let kill = 0; kill < KILLS; kill++) {
      // A target inside this kill's share of the batch, so that the kills spread over the whole run.
      const share = total / KILLS
      const target = Math.floor(kill * share + 1 + random() * (share - 2))
      await waitFor(() => inbox() >= target, `inbox row ${target}`)
      await stopServer(server, 'SIGKILL')
      killedAt.push(inbox())
      expirePollerLease(env)
      server = startBotServer()
    }
    await waitReady(base)
    await waitFor(() => inbox() >= total, 'every update applied')
    await stopServer(server)
    counter.close()
    process.stdout.write(
      `F2: ${total} updates, killed at inbox counts ${killedAt.join(', ')}; getUpdates calls ${fake.callsOf('getUpdates').length}\n`,
    )
    expect(killedAt.some((n) => n > 0 && n < total)).toBe(true)

    await withFileDatabase(env, async (db) => {
      const rows = await db.selectFrom('telegram_inbox').select(['update_id', 'kind']).execute()
      expect(rows.map((r) => Number(r.update_id)).sort((a, b) => a - b)).toEqual(updateIds)
      expect(rows.filter((r) => r.kind.startsWith('failed:'))).toEqual([])

      // One refusal record per press, naming that press; none twice, none from another update.
      const records = await db.selectFrom('consent_records').select(['evidence', 'status', 'user_id']).execute()
      const evidenced = records.map((r) => Number((JSON.parse(r.evidence ?? '{}') as { update_id: number }).update_id))
      expect(evidenced.sort((a, b) => a - b)).toEqual([...presses.keys()])
      expect(records.every((r) => r.status === 'refused' && r.user_id === null)).toBe(true)

      // Every chat got exactly the replies of its 10 updates: the consent prompt for each /start; the
      // edited consent message and the refusal notice for each press.
      const prompt = consentPrompt((await currentConsentText(db)).text).length
      const perChat = await db
        .selectFrom('outbox')
        .select(['recipient', sql<number>`count(*)`.as('n')])
        .groupBy('recipient')
        .execute()
      expect(perChat).toHaveLength(PEOPLE)
      for (const row of perChat) expect(Number(row.n), `replies to chat ${row.recipient}`).toBe(ROUNDS * (prompt + 2))

      // Each last update was a refusal, which ends the dialogue.
      expect(await db.selectFrom('bot_conversations').selectAll().execute()).toEqual([])
      expect(await db.selectFrom('users').select('id').execute()).toEqual([])
      await expectSqliteIntact(db)
    })
  } finally {
    await fake.close()
  }
}, 300_000)
