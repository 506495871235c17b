import { Bot } from 'grammy'
import type { Update } from 'grammy/types'
import pino from 'pino'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { enqueueBotMessage } from '#src/notify/outbox.ts'
import { testConfig } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { type FakeTelegram, startFakeTelegram } from '../../test/support/fake-telegram.ts'
import { createUpdateApplier, malformed } from './apply-update.ts'
import { BotContext } from './context.ts'
import { createBot } from './create-bot.ts'

let db: Db
let fake: FakeTelegram
const logger = pino({ level: 'silent' })
const config = testConfig()

beforeAll(async () => {
  db = (await testDatabase()).db
  fake = await startFakeTelegram()
})
afterAll(async () => {
  await fake.close()
})
beforeEach(async () => {
  for (const table of ['telegram_inbox', 'outbox', 'bot_conversations', 'consent_records'] as const) {
    await db.deleteFrom(table).execute()
  }
})

let nextUpdate = 1
function message(text: string, chatId = 555): Update {
  const id = nextUpdate++
  return {
    update_id: id,
    message: {
      message_id: id,
      date: 1_700_000_000,
      chat: { id: chatId, type: 'private', first_name: 'A' },
      from: { id: chatId, is_bot: false, first_name: 'A' },
      text,
      ...(text.startsWith('/') ? { entities: [{ type: 'bot_command', offset: 0, length: text.length }] } : {}),
    },
  }
}

async function testBot(): Promise<Bot<BotContext>> {
  const bot = createBot({ db, config, logger, token: fake.token, apiRoot: fake.apiRoot })
  await bot.init()
  return bot
}

test('an update is applied once: the inbox row and the replies commit together', async () => {
  const applier = createUpdateApplier({ db, bot: await testBot(), config, logger })
  const update = message('/start')
  expect(await applier.apply(update)).toBe('applied')
  expect(await applier.apply(structuredClone(update))).toBe('replayed')
  const inbox = await db.selectFrom('telegram_inbox').selectAll().execute()
  expect(inbox.map((r) => [Number(r.update_id), r.kind])).toEqual([[update.update_id, 'message']])
  const outbox = await db.selectFrom('outbox').selectAll().execute()
  expect(outbox).toHaveLength(1)
  expect(outbox[0]).toMatchObject({ kind: 'bot_message', recipient: '555', status: 'pending' })
})

test('a failing update rolls back everything, is retried, and is given up after three failures', async () => {
  const bot = new Bot<BotContext>(fake.token, { ContextConstructor: BotContext, client: { apiRoot: fake.apiRoot } })
  await bot.init()
  let calls = 0
  bot.use(async (ctx) => {
    calls++
    await enqueueBotMessage(ctx.tx, '555', { text: 'half done' })
    throw new Error('boom')
  })
  let committed = 0
  const applier = createUpdateApplier({ db, bot, config, logger, onCommitted: () => committed++ })
  const update = message('hello')
  await expect(applier.apply(update)).rejects.toThrow()
  await expect(applier.apply(update)).rejects.toThrow()
  expect(await db.selectFrom('telegram_inbox').selectAll().execute()).toEqual([])
  expect(await db.selectFrom('outbox').selectAll().execute()).toEqual([])
  expect(await applier.apply(update)).toBe('gave_up')
  expect(calls).toBe(3)
  const inbox = await db.selectFrom('telegram_inbox').select('kind').execute()
  expect(inbox).toEqual([{ kind: 'failed:message' }])
  expect(await db.selectFrom('outbox').selectAll().execute()).toEqual([])
  // Recorded: a fourth delivery is a replay, with no effect.
  expect(await applier.apply(update)).toBe('replayed')
  expect(calls).toBe(3)
  expect(committed).toBe(0)
})

test('onCommitted runs after an applied update only; the prepare hook runs outside and is skipped on replay', async () => {
  let committed = 0
  const prepared: number[] = []
  const applier = createUpdateApplier({
    db,
    bot: await testBot(),
    config,
    logger,
    onCommitted: () => committed++,
    prepare: async (update) => {
      prepared.push(update.update_id)
      return { files: [] }
    },
  })
  const update = message('/help')
  await applier.apply(update)
  await applier.apply(update)
  expect(committed).toBe(1)
  expect(prepared).toEqual([update.update_id])
})

test('a failing prepare hook counts as a failed try of the update, and its last try is told so', async () => {
  const tries: boolean[] = []
  const applier = createUpdateApplier({
    db,
    bot: await testBot(),
    config,
    logger,
    prepare: async (_update, { lastTry }) => {
      tries.push(lastTry)
      if (!lastTry) throw new Error('download failed')
      return { files: [] }
    },
  })
  const update = message('/help')
  await expect(applier.apply(update)).rejects.toThrow('download failed')
  await expect(applier.apply(update)).rejects.toThrow('download failed')
  expect(await applier.apply(update)).toBe('applied')
  expect(tries).toEqual([false, false, true])
})

test('a registration refused by the domain is a polite answer, and the update still commits', async () => {
  const applier = createUpdateApplier({ db, bot: await testBot(), config, logger })
  // /start then «Согласен» without pressing anything: the flow asks to press the button.
  await applier.apply(message('/start', 556))
  await applier.apply(message('просто текст', 556))
  const texts = (
    await db.selectFrom('outbox').select('payload').where('recipient', '=', '556').orderBy('id').execute()
  ).map((r) => (JSON.parse(r.payload) as { message: { text: string } }).message.text)
  expect(texts).toHaveLength(2)
  expect(texts[1]).toContain('Согласен')
})

test('a person marked blocked who writes again is unmarked: notices resume', async () => {
  const at = new Date().toISOString()
  await db
    .insertInto('users')
    .values({
      role: 'requester',
      status: 'active',
      full_name: 'Тест Тестов',
      telegram_chat_id: '558',
      telegram_blocked_at: at,
      language: 'ru',
      created_at: at,
      updated_at: at,
    })
    .execute()
  const applier = createUpdateApplier({ db, bot: await testBot(), config, logger })
  await applier.apply(message('/help', 558))
  const user = await db
    .selectFrom('users')
    .select('telegram_blocked_at')
    .where('telegram_chat_id', '=', '558')
    .executeTakeFirst()
  expect(user?.telegram_blocked_at).toBeNull()
})

test('updates outside private chats and unknown kinds are recorded without effect', async () => {
  const applier = createUpdateApplier({ db, bot: await testBot(), config, logger })
  const group = message('/start', -100)
  if (group.message) group.message.chat = { id: -100, type: 'group', title: 'Г' }
  const unknown = { update_id: nextUpdate++, something_new: { a: 1 } } as unknown as Update
  const spoofed = message('/start', 557)
  if (spoofed.message) spoofed.message.from = { id: 999, is_bot: false, first_name: 'B' }
  for (const update of [group, unknown, spoofed]) expect(await applier.apply(update)).toBe('applied')
  expect(await db.selectFrom('outbox').selectAll().execute()).toEqual([])
  expect(await db.selectFrom('telegram_inbox').selectAll().execute()).toHaveLength(3)
})

test('an update whose texts are not strings is recorded without effect, and never reaches the handlers', async () => {
  const lines: string[] = []
  const watched = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) })
  const applier = createUpdateApplier({ db, bot: await testBot(), config, logger: watched })
  const numberText = message('Отмена')
  if (numberText.message) Object.assign(numberText.message, { text: 42 })
  const objectCaption = message('x')
  if (objectCaption.message) Object.assign(objectCaption.message, { text: undefined, caption: { a: 1 } })
  const numberData = {
    update_id: nextUpdate++,
    callback_query: {
      id: 'q1',
      chat_instance: 'c',
      from: { id: 555, is_bot: false, first_name: 'A' },
      data: 7,
    },
  } as unknown as Update
  for (const update of [numberText, objectCaption, numberData]) expect(await applier.apply(update)).toBe('applied')
  expect(await db.selectFrom('outbox').selectAll().execute()).toEqual([])
  expect(await db.selectFrom('telegram_inbox').selectAll().execute()).toHaveLength(3)
  const ignored = lines.map((line) => JSON.parse(line)).filter((l) => l.msg === 'malformed bot update ignored')
  expect(ignored.map((l) => l.kind)).toEqual(['message', 'message', 'callback_query'])
  expect(malformed(message('Отмена'))).toBe(false)
  const commandWithoutText = message('/start')
  if (commandWithoutText.message) Object.assign(commandWithoutText.message, { text: undefined })
  expect(malformed(commandWithoutText)).toBe(true)
  // A well-formed one next to them is answered as usual.
  expect(await applier.apply(message('/start'))).toBe('applied')
  expect(await db.selectFrom('outbox').selectAll().execute()).toHaveLength(1)
})
