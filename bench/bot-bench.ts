/**
 * Bot benchmark (issue 3's figures): the real bot against the fake Bot API server on loopback, on a
 * SQLite file with the production settings (or PostgreSQL with DATABASE_URL).
 *
 *  1. Updates applied per second, end to end: 50 people send 2 000 updates (/help, «Мои заявки», a free
 *     message that asks «К какой заявке…»), fetched by long polling, each applied in its own transaction
 *     with its journal rows and replies.
 *  2. How long the worker takes to deliver 500 notices to 50 chats at ≤ 1 message/s per chat and
 *     ≤ 25/s overall (the floor is 19 s: 25 at once, then 25 each second).
 *
 *   npm run bench:bot [-- --people 50 --updates 2000 --notices 500]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Api } from 'grammy'
import { setAuditKey } from '#src/audit/journal.ts'
import { createUpdateApplier } from '#src/bot/apply-update.ts'
import { createBot } from '#src/bot/create-bot.ts'
import { startPolling } from '#src/bot/polling.ts'
import { buttons } from '#src/bot/texts.ts'
import type { Config } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import { transact } from '#src/db/transaction.ts'
import { startWorker } from '#src/jobs/worker.ts'
import { createLogger } from '#src/logger.ts'
import { enqueueBotMessage } from '#src/notify/outbox.ts'
import { createTelegramChannel } from '#src/notify/telegram-channel.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../test/support/factories.ts'
import { startFakeTelegram } from '../test/support/fake-telegram.ts'
import { buildTicket } from '../test/support/ticket-factory.ts'

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '50' },
    updates: { type: 'string', default: '2000' },
    notices: { type: 'string', default: '500' },
  },
})
const people = Number(values.people)
const updates = Number(values.updates)
const notices = Number(values.notices)

const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-bot-bench-'))
const fake = await startFakeTelegram()
const config: Config = Object.freeze({
  dataDir,
  database: process.env.DATABASE_URL
    ? { kind: 'postgres', url: process.env.DATABASE_URL }
    : { kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') },
  host: '127.0.0.1',
  port: 0,
  baseUrl: 'http://127.0.0.1',
  tzDisplay: 'Europe/Moscow',
  logLevel: 'silent',
  telegram: {
    enabled: true,
    token: fake.token,
    mode: 'polling',
    webhookSecret: 'bench-webhook-secret',
    apiRoot: fake.apiRoot,
    proxy: undefined,
  },
  auditKey: 'bench-audit-key-0123456789abcdef0123456789abcdef',
  secretKey: 'bench-secret-key-0123456789abcdef0123456789abcdef',
  workerEnabled: true,
} satisfies Config)
setAuditKey(config.auditKey)
const logger = createLogger('silent')
const db = openDatabase(config.database)
await migrateToLatest(db)

try {
  // A hospital in miniature: one group with an executor, one category, people with two open tickets each.
  const executor = await buildUser(db, { role: 'executor', telegramChatId: '900000' })
  const group = await buildGroup(db, 'Бенчмарк', [executor.id])
  const category = await buildCategory(db, { name: 'Оборудование', defaultGroupId: group.id })
  const department = await buildDepartment(db, 'Приёмное отделение')
  const chats: number[] = []
  for (let i = 0; i < people; i++) {
    const chatId = 700_000 + i
    const person = await buildUser(db, { telegramChatId: String(chatId), departmentId: department.id })
    for (let k = 0; k < 2; k++) await buildTicket(db, { requesterId: person.id, categoryId: category.id })
    chats.push(chatId)
  }

  // 1. Updates per second.
  const bot = createBot({ db, config, logger, token: fake.token, apiRoot: fake.apiRoot })
  await bot.init()
  const applier = createUpdateApplier({ db, bot, config, logger })
  const kinds = ['/help', buttons.myTickets, 'Принтер снова не печатает']
  for (let n = 0; n < updates; n++) {
    const chat = chats[n % chats.length] ?? 0
    fake.user(chat).send(kinds[Math.floor(n / chats.length) % kinds.length] ?? '/help')
  }
  const started = performance.now()
  const poller = startPolling({ db, bot, logger, holder: 'bench', applier, pollTimeoutSeconds: 1 })
  await fake.waitForConfirmed(600_000)
  const applySeconds = (performance.now() - started) / 1000
  await poller.stop()
  const replies = Number(
    (
      await db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )
  await db.deleteFrom('outbox').execute()

  // 2. The outbox: notices to chats, delivered by the real worker at Telegram's limits.
  await transact(db, async (tx) => {
    for (let n = 0; n < notices; n++) {
      const chat = chats[n % chats.length] ?? 0
      await enqueueBotMessage(tx, String(chat), { text: `Уведомление ${n + 1}` }, { userId: null })
    }
  })
  const channel = createTelegramChannel({ db, config, logger, api: new Api(fake.token, { apiRoot: fake.apiRoot }) })
  const drainStarted = performance.now()
  const worker = startWorker({ db, config, logger, channels: [channel], schedules: [], pollIntervalMs: 50 })
  for (;;) {
    const left = await db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '!=', 'sent')
      .executeTakeFirstOrThrow()
    if (Number(left.n) === 0) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const drainSeconds = (performance.now() - drainStarted) / 1000
  await worker.stop()

  const engine = config.database.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'
  process.stdout.write(
    `\n${engine}, fake Bot API on loopback\n\n| measure | value |\n|---|---|\n` +
      `| updates applied by long polling | ${updates} in ${applySeconds.toFixed(2)} s = ${Math.round(updates / applySeconds)}/s (${replies} replies queued) |\n` +
      `| ${notices} notices to ${chats.length} chats delivered | ${drainSeconds.toFixed(1)} s (floor: ${Math.ceil(notices / 25) - 1} s at 25/s, ${Math.ceil(notices / chats.length) - 1} s at 1/s per chat) |\n`,
  )
} finally {
  await db.destroy()
  await fake.close()
  rmSync(dataDir, { recursive: true, force: true })
}
