import fc from 'fast-check'
import type { Update } from 'grammy/types'
import { sql } from 'kysely'
import { afterEach, expect, test } from 'vitest'
import { createApp } from '#src/app.ts'
import { WEBHOOK_PATH } from '#src/bot/webhook.ts'
import type { Db } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { currentConsentText } from '#src/users/consent.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buildDepartment, buildUser } from '../support/factories.ts'
import { buildTicket } from '../support/ticket-factory.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * B3 (TESTING.md): generated odd updates straight into the applier, then more through long polling —
 * unknown kinds and fields, missing fields, wrong types, texts of 4 096+ characters, NUL, RTL overrides,
 * zero-width and lone surrogates, huge ids, group / supergroup / channel chats, edited messages, spoofed
 * senders, odd button data — from registered people (pending, rejected, deactivated, active) and from
 * strangers. Must hold:
 * - none throws, none is recorded as failed;
 * - an update the bot does not serve (not a private message or button press) changes nothing at all;
 * - the business tables change only as odd input may change them: a refusal of consent is recorded
 *   (anonymous), a forged button is journaled as denied — no person, ticket or message appears or
 *   changes (registration cannot finish: the only department is closed; the active person owns no
 *   ticket, and nothing that files one is generated);
 * - afterwards the bot answers a normal update.
 *
 * The generator's seed is printed; ODD_UPDATES_SEED replays a run.
 */

const SEED = Number(process.env.ODD_UPDATES_SEED ?? Date.now() % 1_000_000_000)
/** Updates applied directly, per database: PostgreSQL's round trips make each one dearer. */
const DIRECT = { sqlite: 2000, postgres: 400 } as const
const POLLED = 300
const WEBHOOK = 300

let h: BotHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

interface World {
  chats: number[]
  departmentId: number
  pendingId: number
  ticketIds: number[]
}

/** Registered people in every state, strangers, and ids at Telegram's edges. */
async function buildWorld(db: Db): Promise<World> {
  // The first consent text is published on first use (journaled): before the snapshot, not during it.
  await currentConsentText(db)
  const department = await buildDepartment(db)
  await db.updateTable('departments').set({ active: 0 }).where('id', '=', department.id).execute()
  const pending = await buildUser(db, { status: 'pending', telegramChatId: '9101' })
  await buildUser(db, { status: 'rejected', telegramChatId: '9102' })
  await buildUser(db, { status: 'deactivated', telegramChatId: '9103' })
  await buildUser(db, { status: 'active', telegramChatId: '9104' })
  // Tickets of someone outside the generated chats, in every stage where a button could act on them.
  const owner = await buildUser(db, { telegramChatId: '9199' })
  const ticketIds: number[] = []
  for (const status of ['new', 'in_progress', 'waiting', 'resolved', 'closed'] as const) {
    ticketIds.push((await buildTicket(db, { requesterId: owner.id, status })).id)
  }
  return {
    chats: [9101, 9102, 9103, 9104, 9105, 9106, Number.MAX_SAFE_INTEGER, 1, -100_500],
    departmentId: department.id,
    pendingId: pending.id,
    ticketIds,
  }
}

const oddChars = fc.constantFrom('\u0000', '\u202E', '\u200F', '\u200B', '\uFEFF', '\uD800', '\uDFFF', '🩺', '\n', '\t')
const oddText = fc
  .array(fc.oneof(fc.string({ maxLength: 12, unit: 'binary' }), oddChars), { maxLength: 12 })
  .map((parts) => parts.join(''))
const longText = fc
  .tuple(fc.integer({ min: 4096, max: 5200 }), fc.constantFrom('я', 'a', '\u202E', '\u0000', '🩺'))
  .map(([length, unit]) => unit.repeat(length))
/** Values of the wrong type wherever a field is expected. */
const wrong = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.constant(-1),
)

function generators(world: World) {
  const bigIds = fc.constantFrom(0, -1, 2_147_483_648, Number.MAX_SAFE_INTEGER, 1e20)
  const chatId = fc.oneof(fc.constantFrom(...world.chats), bigIds)
  const text = fc.oneof(
    // Commands and menu texts that lead nowhere a ticket is filed.
    fc.constantFrom(
      '/start',
      '/help',
      '/cancel',
      '/my',
      '/start payload',
      '/unknown',
      'Отмена',
      'Помощь',
      'Пропустить',
    ),
    fc.constantFrom('Иванов Иван Иванович', 'Медсестра', 'Корпус 2, каб. 14', ''),
    oddText,
    longText,
  )
  const ticketId = fc.oneof(fc.constantFrom(...world.ticketIds), bigIds)
  const data = fc.oneof(
    fc.constantFrom(
      callback.consent('yes'),
      callback.consent('no'),
      callback.cancel(),
      callback.departmentPage(0),
      callback.departmentPage(9999),
      callback.departmentPick(world.departmentId),
      callback.registration('ok', world.pendingId),
      callback.registration('no', world.pendingId),
      'r:ok:abc',
      'd:pick:-1',
      `t:take:${'9'.repeat(40)}`,
      '',
      ':',
      'c:maybe',
    ),
    ticketId.map((id) => `t:take:${id}`),
    ticketId.map((id) => `t:confirm:${id}`),
    ticketId.map((id) => `t:reopen:${id}`),
    ticketId.map((id) => `t:reply:${id}`),
    ticketId.map((id) => `t:open:${id}`),
    fc.tuple(ticketId, fc.integer({ min: -1, max: 7 })).map(([id, r]) => `t:rate:${id}:${r}`),
    fc.string({ maxLength: 80, unit: 'binary' }),
    wrong,
  )
  const chat = fc.record(
    {
      id: fc.oneof(chatId, wrong),
      type: fc.oneof(
        fc.constantFrom('private', 'private', 'private', 'group', 'supergroup', 'channel', 'secret'),
        wrong,
      ),
      title: oddText,
      first_name: oddText,
    },
    { requiredKeys: ['id', 'type'] },
  )
  const from = fc.record(
    {
      id: fc.oneof(chatId, wrong),
      is_bot: fc.oneof(fc.constant(false), fc.constant(false), fc.boolean(), wrong),
      first_name: fc.oneof(oddText, wrong),
      language_code: fc.constantFrom('ru', 'en', 'he', 'ar'),
    },
    { requiredKeys: ['id'] },
  )
  const entities = fc.oneof(
    fc.constant([{ type: 'bot_command', offset: 0, length: 6 }]),
    fc.constant([{ type: 'bot_command', offset: 9000, length: -3 }]),
    fc.array(fc.record({ type: fc.oneof(fc.string(), wrong), offset: wrong, length: wrong }), { maxLength: 3 }),
    wrong,
  )
  // Files with odd shapes: no name, no MIME type, sizes past Telegram's 20 MB, ids the server never gave.
  const fileShape = fc.record(
    {
      file_id: fc.oneof(fc.string({ maxLength: 12 }), wrong),
      file_unique_id: fc.string({ maxLength: 12 }),
      file_size: fc.oneof(fc.constantFrom(0, 1, 20 * 1024 * 1024 + 1, Number.MAX_SAFE_INTEGER), wrong),
      file_name: fc.oneof(oddText, wrong),
      mime_type: fc.oneof(fc.constantFrom('image/png', 'application/x-msdownload', ''), wrong),
    },
    { requiredKeys: [] },
  )
  const photoSize = fc.record(
    {
      file_id: fc.oneof(fc.string({ maxLength: 12 }), wrong),
      width: fc.oneof(fc.integer({ min: 0, max: 5000 }), wrong),
      height: fc.oneof(fc.integer({ min: 0, max: 5000 }), wrong),
      file_size: fc.oneof(fc.integer({ min: 0, max: 30_000_000 }), wrong),
    },
    { requiredKeys: [] },
  )
  const message = fc.record(
    {
      message_id: fc.oneof(fc.integer({ min: 1, max: 1000 }), bigIds, wrong),
      date: fc.oneof(fc.integer({ min: 0, max: 2_000_000_000 }), wrong),
      chat,
      from,
      text: fc.oneof(text, wrong),
      caption: oddText,
      entities,
      contact: fc.record(
        {
          phone_number: fc.oneof(fc.constantFrom('+79001234567', '89001234567', '12'), oddText, wrong),
          user_id: fc.oneof(chatId, wrong),
          first_name: oddText,
        },
        { requiredKeys: [] },
      ),
      reply_to_message: fc.record({ message_id: fc.oneof(fc.integer({ min: 1, max: 50 }), wrong), chat }),
      media_group_id: fc.oneof(fc.string({ maxLength: 10 }), wrong),
      photo: fc.oneof(fc.array(fc.oneof(photoSize, wrong), { maxLength: 3 }), wrong),
      document: fc.oneof(fileShape, wrong),
      voice: fc.oneof(fileShape, wrong),
      unknown_field: wrong,
      [`x_${'future'}`]: fc.dictionary(fc.string({ maxLength: 6 }), wrong, { maxKeys: 3 }),
    },
    // A message that is not all there: any field may be missing, even chat and message_id.
    { requiredKeys: [] },
  )
  const callbackQuery = fc.record(
    {
      id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), wrong),
      from,
      message: fc.oneof(
        fc.record({
          message_id: fc.oneof(fc.integer({ min: 1, max: 1000 }), wrong),
          date: fc.constantFrom(0, 1),
          chat,
        }),
        wrong,
      ),
      chat_instance: fc.string({ maxLength: 10 }),
      data,
      game_short_name: fc.string({ maxLength: 10 }),
    },
    { requiredKeys: [] },
  )
  // Well-formed private updates with odd content: they pass the bot's filters and reach its features.
  const person = fc.constantFrom(...world.chats).map((id) => ({
    from: { id, is_bot: false, first_name: 'Имя' },
    chat: { id, type: 'private', first_name: 'Имя' },
  }))
  const plainMessage = fc
    .tuple(person, fc.integer({ min: 1, max: 1000 }), text, entities, fc.option(oddText, { nil: undefined }))
    .map(([p, messageId, t, e, c]) => ({
      message: {
        message_id: messageId,
        date: 1_764_000_000,
        ...p,
        text: t,
        ...(t.startsWith('/')
          ? { entities: [{ type: 'bot_command', offset: 0, length: t.split(' ')[0]?.length }] }
          : {}),
        ...(c !== undefined ? { caption: c, x_entities: e } : {}),
      },
    }))
  const plainContact = fc
    .tuple(person, fc.oneof(chatId, fc.constant(undefined)), fc.constantFrom('+79001234567', '89001234567', '12', ''))
    .map(([p, userId, phone]) => ({
      message: {
        message_id: 7,
        date: 1_764_000_000,
        ...p,
        contact: { phone_number: phone, first_name: 'Имя', ...(userId !== undefined ? { user_id: userId } : {}) },
      },
    }))
  const plainFiles = fc
    .tuple(person, fc.array(photoSize, { maxLength: 3 }), fc.option(fileShape, { nil: undefined }), oddText)
    .map(([p, photo, document, caption]) => ({
      message: {
        message_id: 9,
        date: 1_764_000_000,
        ...p,
        caption,
        ...(photo.length > 0 ? { photo } : {}),
        ...(document ? { document } : {}),
      },
    }))
  const plainPress = fc
    .tuple(
      person,
      fc.string({ minLength: 1, maxLength: 10 }),
      data.filter((d) => typeof d === 'string'),
      fc.constantFrom(0, 1_764_000_000),
    )
    .map(([p, id, d, date]) => ({
      callback_query: {
        id,
        from: p.from,
        message: { message_id: 3, date, chat: p.chat },
        chat_instance: 'ci',
        data: d,
      },
    }))
  return fc.oneof(
    { weight: 6, arbitrary: plainMessage },
    { weight: 1, arbitrary: plainContact },
    { weight: 1, arbitrary: plainFiles },
    { weight: 5, arbitrary: plainPress },
    { weight: 4, arbitrary: fc.record({ message }) },
    { weight: 1, arbitrary: fc.record({ edited_message: message }) },
    { weight: 1, arbitrary: fc.record({ channel_post: message }) },
    { weight: 1, arbitrary: fc.record({ edited_channel_post: message }) },
    { weight: 4, arbitrary: fc.record({ callback_query: callbackQuery }) },
    { weight: 1, arbitrary: fc.record({ message, callback_query: callbackQuery }) },
    {
      weight: 1,
      arbitrary: fc.record({ my_chat_member: fc.record({ chat, from, date: fc.integer(), new_chat_member: wrong }) }),
    },
    { weight: 1, arbitrary: fc.record({ inline_query: fc.record({ id: fc.string(), from, query: oddText }) }) },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), wrong, { maxKeys: 3 }) },
  )
}

/** What the bot serves: a private chat's message or button press (create-bot.ts decides the rest). */
function mayAct(update: Record<string, unknown>): boolean {
  const kind = Object.keys(update).find((k) => k !== 'update_id')
  if (kind !== 'message' && kind !== 'callback_query') return false
  const value = update[kind] as { chat?: { type?: unknown }; message?: { chat?: { type?: unknown } } } | null
  const chat = kind === 'message' ? value?.chat : value?.message?.chat
  return typeof value === 'object' && chat?.type === 'private'
}

interface Snapshot {
  users: unknown[]
  tickets: unknown[]
  ticketMessages: unknown[]
  ticketEvents: unknown[]
  attachments: unknown[]
  consentRecords: Array<{ id: number; status: string; user_id: number | null }>
  audit: Array<{ id: number; result: string; action: string }>
}

async function business(db: Db): Promise<Snapshot> {
  return {
    users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
    tickets: await db.selectFrom('tickets').selectAll().orderBy('id').execute(),
    ticketMessages: await db.selectFrom('ticket_messages').selectAll().orderBy('id').execute(),
    ticketEvents: await db.selectFrom('ticket_events').selectAll().orderBy('id').execute(),
    attachments: await db.selectFrom('attachments').selectAll().orderBy('id').execute(),
    consentRecords: await db.selectFrom('consent_records').select(['id', 'status', 'user_id']).orderBy('id').execute(),
    audit: await db.selectFrom('audit_log').select(['id', 'result', 'action']).orderBy('id').execute(),
  }
}

/** What an update outside the served ones must leave exactly as it was. */
async function botState(db: Db): Promise<string> {
  const tally = (table: 'outbox' | 'consent_records' | 'audit_log') =>
    db
      .selectFrom(table)
      .select([sql<number>`count(*)`.as('n'), sql<number>`max(id)`.as('last')])
      .executeTakeFirst()
  const conversations = await db
    .selectFrom('bot_conversations')
    .select(['chat_id', 'state'])
    .orderBy('chat_id')
    .execute()
  return JSON.stringify([
    await tally('outbox'),
    await tally('consent_records'),
    await tally('audit_log'),
    conversations,
  ])
}

const journaledReads = ['ticket.list', 'ticket.view', 'ticket.file_view', 'user.list', 'user.view']

/** Odd input may record an anonymous refusal of consent and journal denials; nothing else. */
function expectOnlyAllowedChanges(before: Snapshot, after: Snapshot): void {
  expect(after.users).toEqual(before.users)
  expect(after.tickets).toEqual(before.tickets)
  expect(after.ticketMessages).toEqual(before.ticketMessages)
  expect(after.ticketEvents).toEqual(before.ticketEvents)
  expect(after.attachments).toEqual(before.attachments)
  expect(after.consentRecords.slice(0, before.consentRecords.length)).toEqual(before.consentRecords)
  for (const record of after.consentRecords.slice(before.consentRecords.length)) {
    expect(record).toMatchObject({ status: 'refused', user_id: null })
  }
  expect(after.audit.slice(0, before.audit.length)).toEqual(before.audit)
  // Denials, and the journal of what a person looked at (152-ФЗ: reads of personal data are journaled).
  for (const row of after.audit.slice(before.audit.length)) {
    expect(row.result === 'denied' || journaledReads.includes(row.action), `${row.action} ${row.result}`).toBe(true)
  }
}

async function count(db: Db, table: 'outbox'): Promise<number> {
  const row = await db.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirst()
  return Number(row?.n ?? 0)
}

function failures(harness: BotHarness): unknown[] {
  return harness.logs.filter(
    (l) => l.msg === 'bot update failed' || l.msg === 'bot update given up, recorded as failed',
  )
}

const dialects = botDialects.map((dialect) => ({ dialect, runs: DIRECT[dialect] }))

test.each(dialects)(
  `$runs odd updates applied directly ($dialect): no throw, no unintended change (seed ${SEED})`,
  async ({ dialect, runs }) => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const harness = h
    const world = await buildWorld(harness.db)
    const before = await business(harness.db)
    const samples = fc.sample(generators(world), { numRuns: runs, seed: SEED })
    let nextId = 1
    let answered = 0
    for (const sample of samples) {
      const update = { ...(sample as Record<string, unknown>), update_id: nextId++ }
      const quiet = !mayAct(update)
      const state = quiet ? await botState(harness.db) : ''
      const replies = await count(harness.db, 'outbox')
      const outcome = await harness.applier.apply(update as unknown as Update)
      expect(outcome, JSON.stringify(update).slice(0, 300)).toBe('applied')
      if (quiet) expect(await botState(harness.db), JSON.stringify(update).slice(0, 300)).toBe(state)
      if ((await count(harness.db, 'outbox')) > replies) answered++
    }
    expect(failures(harness)).toEqual([])
    const inbox = await harness.db.selectFrom('telegram_inbox').select('kind').execute()
    expect(inbox).toHaveLength(runs)
    expect(inbox.filter((r) => r.kind.startsWith('failed:'))).toEqual([])
    expectOnlyAllowedChanges(before, await business(harness.db))
    // The generator reached the bot's features, not only its filters: many updates were answered. About a
    // quarter are, from seed to seed (seed 312904465 answers 95 of 400); an eighth is far below any seed's share.
    expect(answered).toBeGreaterThan(runs / 8)

    // And it still answers a normal update, through long polling.
    harness.poll()
    const stranger = harness.fake.user(9300)
    stranger.command('/start')
    await harness.settle()
    expect(stranger.lastBotMessage()?.text).toContain('Согласие на обработку персональных данных')
  },
  120_000,
)

test(`${POLLED} odd updates through long polling: the poller never stalls (seed ${SEED})`, async () => {
  h = await botHarness()
  const harness = h
  const world = await buildWorld(harness.db)
  const before = await business(harness.db)
  for (const sample of fc.sample(generators(world), { numRuns: POLLED, seed: SEED + 1 })) {
    // As JSON on the wire: undefined fields vanish, as they would in Telegram's answer.
    harness.fake.rawUpdate(JSON.parse(JSON.stringify(sample)) as Record<string, unknown>)
  }
  const stranger = harness.fake.user(9301)
  stranger.command('/help')
  harness.poll()
  await harness.settle()
  expect(stranger.botMessages()).toHaveLength(1)
  expect(stranger.lastBotMessage()?.text).toContain('Это бот службы технической поддержки')
  expect(failures(harness)).toEqual([])
  const inbox = await harness.db.selectFrom('telegram_inbox').select('kind').execute()
  // Kinds the bot does not ask for (allowed_updates) never reach it; every other one was applied once.
  expect(inbox.length).toBeGreaterThan(POLLED / 2)
  expect(inbox.filter((r) => r.kind.startsWith('failed:'))).toEqual([])
  expectOnlyAllowedChanges(before, await business(harness.db))
})

test(`${WEBHOOK} odd bodies posted to the webhook: 200 or 400, never a 5xx, nothing applied twice (seed ${SEED})`, async () => {
  h = await botHarness()
  const harness = h
  const world = await buildWorld(harness.db)
  const before = await business(harness.db)
  const config = { ...harness.config, telegram: { ...harness.config.telegram, mode: 'webhook' as const } }
  const app = createApp(
    { db: harness.db, config, logger: harness.logger },
    { telegram: { applier: harness.applier, ready: () => true } },
  )
  const updates = fc.sample(generators(world), { numRuns: WEBHOOK, seed: SEED + 2 })
  const bodies = fc.sample(
    fc.oneof(
      // A valid update_id on an odd update, one that is not a number, or no JSON at all.
      fc
        .tuple(fc.constantFrom(...updates), fc.integer({ min: 1, max: 2_000_000_000 }))
        .map(([u, id]) => JSON.stringify({ ...(u as object), update_id: id })),
      fc
        .tuple(fc.constantFrom(...updates), fc.oneof(fc.double(), fc.string(), fc.constant(-1), fc.constant(2 ** 60)))
        .map(([u, id]) => JSON.stringify({ ...(u as object), update_id: id })),
      fc.json(),
      fc.string({ maxLength: 200, unit: 'binary' }),
    ),
    { numRuns: WEBHOOK, seed: SEED + 3 },
  )
  const statuses = new Set<number>()
  const post = async (body: string) => {
    const response = await app.request(WEBHOOK_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': 'test-webhook-secret' },
      body,
    })
    expect([200, 400], body.slice(0, 200)).toContain(response.status)
    statuses.add(response.status)
  }
  for (const body of bodies) {
    await post(body)
    // Telegram delivers again when unsure: the second delivery has no effect.
    const effects = await botState(harness.db)
    await post(body)
    expect(await botState(harness.db), body.slice(0, 200)).toBe(effects)
  }
  expect([...statuses].sort()).toEqual([200, 400])
  expect(failures(harness)).toEqual([])
  expectOnlyAllowedChanges(before, await business(harness.db))
})
