import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { type CliEnv, freshEnv, withFileDatabase } from '../cli/helpers.ts'
import { type FakeTelegram, startFakeTelegram } from '../support/fake-telegram.ts'

/**
 * F5 (TESTING.md): two `helpdesk serve` processes over one database, both with the bot token, in polling
 * mode. "Exactly one polls" means: one holder of the `telegram-poller` lease; Telegram never sees two
 * getUpdates at once (it would end the older one with 409 Conflict, which the fake records); every update
 * is applied once and every reply reaches its chat once, though both workers run.
 */
const PEOPLE = 10
const MESSAGES = 4
const root = path.resolve(import.meta.dirname, '../..')

function startServer(env: CliEnv, port: number, fake: FakeTelegram): ChildProcess {
  return spawn(process.execPath, [path.join(root, 'bin/helpdesk.js'), 'serve'], {
    env: {
      PATH: process.env.PATH,
      DATA_DIR: env.dataDir,
      PORT: String(port),
      LOG_LEVEL: 'silent',
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
    },
    stdio: 'ignore',
  })
}

async function waitReady(base: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the server did not come up')
}

async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null) return
  server.kill('SIGTERM')
  await new Promise((r) => server.once('exit', r))
}

test('two instances polling: exactly one polls, every update is applied and answered once', async () => {
  const env = await freshEnv()
  const other = await freshEnv()
  const fake = await startFakeTelegram()
  // The first one migrates the database; the second starts once it is up, as a rolling start would.
  const first = startServer(env, env.port, fake)
  let second: ChildProcess | undefined
  try {
    await waitReady(`http://127.0.0.1:${env.port}`)
    second = startServer(env, other.port, fake)
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
    await stop(first)
    if (second) await stop(second)
    await fake.close()
  }
}, 180_000)
