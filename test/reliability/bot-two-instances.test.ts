import type { ChildProcess } from 'node:child_process'
import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { freshEnv, withFileDatabase } from '../cli/helpers.ts'
import { startFakeTelegram } from '../support/fake-telegram.ts'
import { startServer, stopServer, waitReady } from '../support/server-process.ts'

/**
 * F5 (TESTING.md): two `helpdesk serve` processes over one database, both with the bot token, in polling
 * mode. "Exactly one polls" means: one holder of the `telegram-poller` lease; Telegram never sees two
 * getUpdates at once (it would end the older one with 409 Conflict, which the fake records); every update
 * is applied once and every reply reaches its chat once, though both workers run.
 */
const PEOPLE = 10
const MESSAGES = 4

test('two instances polling: exactly one polls, every update is applied and answered once', async () => {
  const env = await freshEnv()
  const other = await freshEnv()
  const fake = await startFakeTelegram()
  // The first one migrates the database; the second starts once it is up, as a rolling start would.
  const first = startServer(env, { telegram: fake })
  let second: ChildProcess | undefined
  try {
    await waitReady(`http://127.0.0.1:${env.port}`)
    second = startServer(env, { port: other.port, telegram: fake })
    await waitReady(`http://127.0.0.1:${other.port}`)
    await fake.waitFor(() => fake.callsOf('getUpdates').length > 0, 20_000)

    const people = Array.from({ length: PEOPLE }, (_, n) => fake.user(7501 + n))
    for (let i = 0; i < MESSAGES; i++) for (const person of people) person.command('/help')
    await fake.waitForConfirmed(60_000)
    for (const person of people) await fake.waitForBotMessages(person.chatId, MESSAGES, 60_000)
    // A moment for a wrongly delivered duplicate to show up.
    await new Promise((r) => setTimeout(r, 1500))

    expect(fake.callsOf('getUpdates').filter((c) => c.status === 409)).toEqual([])
    for (const person of people) expect(person.botMessages(), `chat ${person.chatId}`).toHaveLength(MESSAGES)
    await withFileDatabase(env, async (db) => {
      const leases = await db.selectFrom('leases').selectAll().where('name', '=', 'telegram-poller').execute()
      expect(leases).toHaveLength(1)
      expect(await db.selectFrom('telegram_inbox').select('update_id').execute()).toHaveLength(PEOPLE * MESSAGES)
      const replies = await db
        .selectFrom('outbox')
        .select(['recipient', sql<number>`count(*)`.as('n')])
        .groupBy('recipient')
        .execute()
      expect(replies.map((r) => Number(r.n))).toEqual(Array(PEOPLE).fill(MESSAGES))
    })
  } finally {
    await stopServer(first)
    if (second) await stopServer(second)
    await fake.close()
  }
}, 180_000)
