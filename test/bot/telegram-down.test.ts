import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterEach, expect, test } from 'vitest'
import { loadConfig } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { setClock } from '#src/db/time.ts'
import { type Running, serve } from '#src/main.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import type { Actor } from '#src/users/actor.ts'
import { apiUser } from '../support/api.ts'
import { buildActor, buildCategory, buildGroup, buildUser } from '../support/factories.ts'
import { type FakeTelegram, startFakeTelegram } from '../support/fake-telegram.ts'

/**
 * F4 as a journey (TESTING.md): `helpdesk serve` with the bot, and Telegram away for a while — first
 * refusing connections, then holding a request, then answering 500s, then asking to wait (429 with
 * `retry_after`). "Nothing lost" means: notices keep being produced while Telegram is away (tickets are
 * filed through the use cases), the web and the API answer meanwhile, and once Telegram is back every
 * notice reaches its chat exactly once and a person's message sent during the outage is answered once.
 * "No request before `retry_after`" is checked on the fake's recorded arrival times (an ordering, not a
 * speed). The worker's backoff (15 s, 30 s, …) is skipped by moving the application clock forward.
 */

let fake: FakeTelegram | undefined
let running: Running | undefined
let restoreClock: (() => void) | undefined
const folders: string[] = []
afterEach(async () => {
  restoreClock?.()
  restoreClock = undefined
  await running?.stop()
  running = undefined
  await fake?.close()
  fake = undefined
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Every notice has left the outbox (sent, or failed for good). */
async function drained(db: Db): Promise<true | undefined> {
  const waiting = await db.selectFrom('outbox').select('id').where('status', 'in', ['pending', 'sending']).execute()
  return waiting.length === 0 ? true : undefined
}

/** The bot's messages in a chat that are about ticket N («Заявка № N · …»). */
function aboutTicket(tg: FakeTelegram, chat: string, ticketId: number): number {
  const number = new RegExp(`№ ${ticketId}(?!\\d)`)
  return tg.botMessages(chat).filter((m) => number.test(m.text ?? '')).length
}

test('Telegram down for a while: notices wait and arrive exactly once, the web answers, retry_after is honoured', async () => {
  const tg = await startFakeTelegram()
  fake = tg
  const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-tg-down-'))
  folders.push(dataDir)
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    TELEGRAM_BOT_TOKEN: tg.token,
    TELEGRAM_API_ROOT: tg.apiRoot,
  })
  // The application clock: real time plus an offset the test moves forward to skip retry backoffs.
  let offsetMs = 0
  restoreClock = setClock(() => new Date(Date.now() + offsetMs))
  const app = await serve(config, pino({ level: 'silent' }), { handleSignals: false })
  running = app
  const db = app.db

  const executors = [await buildUser(db, { role: 'executor', telegramChatId: '9601' })]
  executors.push(await buildUser(db, { role: 'executor', telegramChatId: '9602' }))
  const group = await buildGroup(
    db,
    undefined,
    executors.map((e) => e.id),
  )
  const category = await buildCategory(db, { defaultGroupId: group.id })
  const requesters: Actor[] = []
  for (const chat of ['9611', '9612', '9613']) {
    requesters.push((await buildActor(db, { telegramChatId: chat }, 'web')).actor)
  }
  const admin = await apiUser(db, { role: 'admin', telegramChatId: null })
  const file = (n: number) =>
    createTicket(db, requesters[n % requesters.length] as Actor, {
      description: `Не печатает принтер, попытка ${n}`,
      categoryId: category.id,
    })

  // Telegram is there: a notice goes out as usual.
  await tg.waitFor(() => tg.callsOf('getMe').some((c) => c.status === 200), 15_000)
  const first = await file(0)
  await eventually(() => drained(db), 'the first notices')
  expect(aboutTicket(tg, '9611', first.id)).toBe(1)

  // Telegram goes away. Tickets are still filed, and their notices queued.
  await tg.down('refused')
  const person = tg.user(9620)
  person.command('/help')
  const during = []
  for (let n = 1; n <= 6; n++) during.push(await file(n))
  // The worker tries, fails, and schedules a retry: nothing is lost or given up.
  await eventually(async () => {
    const tried = await db
      .selectFrom('outbox')
      .select('id')
      .where('attempts', '>', 0)
      .where('status', '=', 'pending')
      .execute()
    return tried.length > 0 ? true : undefined
  }, 'a failed attempt while Telegram is away')
  expect(await db.selectFrom('outbox').select('id').where('status', '=', 'failed').execute()).toEqual([])

  // The web and the API answer meanwhile (a hang here would end in the timeout, not in a pass).
  const health = await fetch(`${app.url}/healthz`, { signal: AbortSignal.timeout(10_000) })
  expect(health.status).toBe(200)
  const list = await fetch(`${app.url}/api/v1/tickets?per_page=50`, {
    headers: admin.headers,
    signal: AbortSignal.timeout(10_000),
  })
  expect(list.status).toBe(200)
  const listed = JSON.stringify(await list.json())
  for (const ticket of during) expect(listed).toContain(`"id":${ticket.id}`)

  // Back, but unsteady: one request held for a while, then a burst of 500s.
  tg.failNext('sendMessage', { hangMs: 1500 })
  tg.failNext('sendMessage', { status: 500 }, 3)
  await tg.up()
  await tg.waitFor(() => tg.calls.some((c) => c.fault?.startsWith('hang') && c.method === 'sendMessage'), 15_000)
  // While a send hangs, the web still answers.
  expect((await fetch(`${app.url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status).toBe(200)
  // Retries are scheduled 15 s, 30 s, … ahead: a minute of the application's time passes every 50 ms.
  await eventually(() => {
    offsetMs += 60_000
    return drained(db)
  }, 'the outbox to drain after the outage')

  // Every notice arrived exactly once; the person's message from the outage was answered once.
  const rows = await db.selectFrom('outbox').selectAll().where('kind', '!=', 'bot_message').execute()
  expect(rows.length).toBe((1 + during.length) * (1 + executors.length))
  expect(rows.filter((r) => r.status !== 'sent')).toEqual([])
  for (const row of rows) {
    expect(aboutTicket(tg, row.recipient, row.ticket_id ?? 0), `${row.kind} to ${row.recipient}`).toBe(1)
  }
  await tg.waitForBotMessages(9620, 1, 45_000)
  expect(person.botMessages()).toHaveLength(1)
  const faults = tg.callsOf('sendMessage').filter((c) => c.fault !== undefined)
  expect(faults.map((c) => c.fault)).toEqual(['hang 1500 ms', 'status 500', 'status 500', 'status 500'])

  // Telegram asks to wait: no message goes out before retry_after has passed. Two notices to one chat
  // (a category without a group tells only the requester), so the sends are one after the other.
  const quiet = await buildCategory(db)
  tg.failNext('sendMessage', { status: 429, retryAfter: 2 })
  const later = []
  for (let n = 7; n <= 8; n++) {
    later.push(
      await createTicket(db, requesters[1] as Actor, { description: `Сканер, попытка ${n}`, categoryId: quiet.id }),
    )
  }
  await eventually(() => drained(db), 'the notices after the 429')
  const calls = tg.callsOf('sendMessage')
  const limited = calls.find((c) => c.status === 429)
  const answeredAt = limited?.answeredAt ?? Number.POSITIVE_INFINITY
  const afterward = calls.filter((c) => c.monotonicAt > answeredAt)
  expect(afterward.map((c) => c.status)).toEqual([200, 200])
  for (const call of afterward) expect(call.monotonicAt - answeredAt).toBeGreaterThanOrEqual(2000)
  for (const ticket of later) expect(aboutTicket(tg, '9612', ticket.id)).toBe(1)
}, 120_000)
