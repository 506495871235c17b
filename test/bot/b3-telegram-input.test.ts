import { once } from 'node:events'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import fc from 'fast-check'
import { afterEach, expect, test } from 'vitest'
import { createApp } from '#src/app.ts'
import { buttons, conversationTexts, newTicketTexts } from '#src/bot/texts.ts'
import { WEBHOOK_PATH } from '#src/bot/webhook.ts'
import type { Db, User } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { limits } from '#src/tickets/rules.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { lastSaid, settledLastSaid, ticketPeople } from '../support/bot-people.ts'
import { buildUser } from '../support/factories.ts'
import type { FakeTelegram } from '../support/fake-telegram.ts'
import { buildTicket } from '../support/ticket-factory.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * B3 (TESTING.md), what test/bot/odd-updates.test.ts (generated odd updates), forged-callbacks.test.ts
 * (hand-picked forged presses), transport.test.ts (replays, the secret) and reliability/bot-kill.test.ts
 * (replays across kill -9) leave open: long texts carried end to end to the fake Telegram's limits;
 * forged presses and ignored chats generated against a world where a press *could* do harm (a person
 * with a waiting message, a dialogue in progress, other people's tickets in every status); the secret
 * generated, and checked to be refused before the body is read; replays after a restart, shuffled.
 * Must hold: no update fails; nothing changes that should not (business tables compared whole); replays
 * have no effect. Generated with fast-check; the seed is in the test names, B3_SEED replays a run.
 */

let h: BotHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

/** Telegram's longest message: what a person can send at most, and what the bot may send. */
const TELEGRAM_MAX = 4096

test('texts of 4 096 characters: what fits is filed, what would not is refused at once, every answer fits Telegram', async () => {
  h = await botHarness()
  const harness = h
  const people = await ticketPeople(
    harness.db,
    { requester: 7401, executors: [5401] },
    { group: 'Сети', category: 'Сеть' },
  )
  const person = harness.fake.user(7401)
  harness.poll()
  const full = (letter: string) => letter.repeat(TELEGRAM_MAX)
  const said = async (text: string) => {
    person.send(text)
    return settledLastSaid(harness, person)
  }

  // A new ticket described in three full messages: the third would make the description longer than a
  // ticket's may be, so it is refused then — not the whole ticket at the urgency press, again and again.
  await said(buttons.newTicket)
  person.press(lastSaid(person).message_id, callback.category(people.categoryId))
  await harness.settle()
  await said(full('а'))
  expect((await said(full('б'))).text).toContain(newTicketTexts.added)
  expect((await said(full('в'))).text).toBe(newTicketTexts.descriptionTooLong(limits.description))
  const urgency = person.botMessages().find((m) => m.text === newTicketTexts.askUrgency)
  person.press(urgency?.message_id ?? 0, callback.urgency('normal'))
  await harness.settle()
  const [ticket] = await harness.db.selectFrom('tickets').select(['id', 'description']).execute()
  expect(ticket?.description).toBe(`${full('а')}\n\n${full('б')}`)
  // Taken, so that the executor is told of each message too.
  const executor = actorFromUser(people.executors[0] as User, 'web')
  await takeTicket(harness.db, executor, { ticketId: ticket?.id ?? 0 })
  await harness.settle()

  // Free messages wait for the choice of a ticket, joined: the one that would not fit is refused.
  await said(full('г'))
  expect((await said(full('д'))).text).toBe(conversationTexts.whichTicket)
  expect((await said(full('е'))).text).toBe(conversationTexts.messageTooLong(limits.body))
  const question = person.botMessages().findLast((m) => m.text === conversationTexts.whichTicket)
  person.press(question?.message_id ?? 0, callback.ticket('file', ticket?.id ?? 0))
  await harness.settle()
  const messages = await harness.db.selectFrom('ticket_messages').select('body').execute()
  expect(messages.map((m) => m.body)).toEqual([`${full('г')}\n${full('д')}`])

  // A resolution of the ticket's longest kind reaches the requester, shortened to fit.
  await changeStatus(harness.db, executor, {
    ticketId: ticket?.id ?? 0,
    status: 'resolved',
    resolution: 'ж'.repeat(limits.resolution),
  })
  await harness.settle()
  expect(lastSaid(person).text).toContain('ж'.repeat(100))

  // Every answer and notice reached its chat: none was refused by Telegram as too long.
  const undelivered = await harness.db
    .selectFrom('outbox')
    .select(['kind', 'status', 'last_error'])
    .where('status', '!=', 'sent')
    .execute()
  expect(undelivered).toEqual([])
  const refused = harness.fake.calls.filter((c) => c.status >= 400 && c.method !== 'answerCallbackQuery')
  expect(refused.map((c) => `${c.method} ${c.status}`)).toEqual([])
  const executorSaw = harness.fake.botMessages(5401).map((m) => [...(m.text ?? '')].length)
  expect(executorSaw.some((length) => length > 3000)).toBe(true)
  for (const length of [...executorSaw, ...person.botMessages().map((m) => [...(m.text ?? '')].length)]) {
    expect(length).toBeLessThanOrEqual(TELEGRAM_MAX)
  }
})

// ---------------------------------------------------------------- generated: forged presses, odd chats

const SEED = Number(process.env.B3_SEED ?? Date.now() % 1_000_000_000)
/** Presses per database: PostgreSQL's round trips make each one dearer. */
const PRESSES = { sqlite: 400, postgres: 120 } as const
const ODD_CHATS = 300

/** The rows a forged press or an ignored update must leave as they were. */
async function business(db: Db): Promise<Record<string, unknown[]>> {
  return {
    users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
    tickets: await db.selectFrom('tickets').selectAll().orderBy('id').execute(),
    ticketMessages: await db.selectFrom('ticket_messages').selectAll().orderBy('id').execute(),
    ticketEvents: await db.selectFrom('ticket_events').selectAll().orderBy('id').execute(),
    attachments: await db.selectFrom('attachments').selectAll().orderBy('id').execute(),
    consentRecords: await db.selectFrom('consent_records').selectAll().orderBy('id').execute(),
  }
}

async function lastAuditId(db: Db): Promise<number> {
  const row = await db.selectFrom('audit_log').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row ? Number(row.id) : 0
}

interface PressWorld {
  requester: User
  executor: User
  ownTicketId: number
  /** Tickets of another requester, one in each status, and one that does not exist. */
  foreign: number[]
  pendingId: number
  otherId: number
  /** Chats of: the requester, the executor, a pending, a deactivated, a rejected person, a stranger. */
  chats: { requester: number; executor: number; others: number[] }
}

async function pressWorld(harness: BotHarness): Promise<PressWorld> {
  const { db } = harness
  const people = await ticketPeople(db, { requester: 7501, executors: [5501] }, { group: 'Сети', category: 'Сеть' })
  const other = await buildUser(db, { telegramChatId: '7502' })
  const foreign: number[] = []
  for (const status of ['new', 'in_progress', 'waiting', 'resolved', 'closed', 'cancelled'] as const) {
    foreign.push((await buildTicket(db, { requesterId: other.id, status, categoryId: people.categoryId })).id)
  }
  foreign.push(999_999)
  const pending = await buildUser(db, { status: 'pending', telegramChatId: '7503' })
  await buildUser(db, { status: 'deactivated', telegramChatId: '7504' })
  await buildUser(db, { status: 'rejected', telegramChatId: '7505' })
  const own = await createTicket(db, actorFromUser(people.requester, 'web'), {
    description: 'Своя заявка',
    categoryId: people.categoryId,
  })
  await harness.deliver()
  return {
    requester: people.requester,
    executor: people.executors[0] as User,
    ownTicketId: own.id,
    foreign,
    pendingId: pending.id,
    otherId: other.id,
    chats: { requester: 7501, executor: 5501, others: [7503, 7504, 7505, 7506] },
  }
}

/** Ways to write one id that the callback parser reads as that id (z.coerce.number). */
const spelled = (id: number) =>
  fc.constantFrom(String(id), `0${id}`, `+${id}`, `${id}.0`, `0x${id.toString(16)}`, `${id}e0`, ` ${id}`)

function pressArbitrary(w: PressWorld) {
  const ticket = fc.constantFrom(...w.foreign).chain(spelled)
  const person = fc.constantFrom(w.pendingId, w.otherId, w.requester.id).chain(spelled)
  const decisions = fc.tuple(fc.constantFrom('ok', 'no'), person).map(([d, id]) => `r:${d}:${id}`)
  const requesterOnly = fc.oneof(
    fc.tuple(fc.constantFrom('confirm', 'reopen', 'file', 'skip'), ticket).map(([a, id]) => `t:${a}:${id}`),
    fc.tuple(ticket, fc.integer({ min: 1, max: 5 })).map(([id, score]) => `t:rate:${id}:${score}`),
  )
  const anyTicket = fc.oneof(
    requesterOnly,
    fc.tuple(fc.constantFrom('take', 'reply', 'open'), ticket).map(([a, id]) => `t:${a}:${id}`),
  )
  // Staff may see and take anyone's ticket: for them only the requester's buttons and decisions are forged.
  const byStaff = fc.record({ chat: fc.constant(w.chats.executor), data: fc.oneof(requesterOnly, decisions) })
  const byOthers = fc.record({
    chat: fc.constantFrom(w.chats.requester, ...w.chats.others),
    data: fc.oneof({ weight: 4, arbitrary: anyTicket }, { weight: 1, arbitrary: decisions }),
  })
  return fc.record({
    press: fc.oneof({ weight: 1, arbitrary: byStaff }, { weight: 3, arbitrary: byOthers }),
    // Under a real message of the chat (a notice about the person's own ticket), or any message id.
    under: fc.oneof(fc.constant('notice' as const), fc.integer({ min: 1, max: 40 })),
    /** Now and then the requester writes a free message first: it waits for the choice of a ticket. */
    writeFirst: fc.boolean(),
  })
}

/** A callback query as Telegram sends it for a press in this chat under this message. */
function pressUpdate(fake: FakeTelegram, updateId: number, chat: number, under: 'notice' | number, data: string) {
  const message = under === 'notice' ? fake.botMessages(chat).at(-1) : undefined
  const from = { id: chat, is_bot: false, first_name: 'Имя' }
  return {
    update_id: updateId,
    callback_query: {
      id: `q${updateId}`,
      from,
      message: message ?? {
        message_id: under === 'notice' ? 1 : under,
        date: 1_764_000_000,
        chat: { id: chat, type: 'private' },
      },
      chat_instance: `ci-${chat}`,
      data,
    },
  }
}

function textUpdate(updateId: number, chat: number, text: string) {
  const from = { id: chat, is_bot: false, first_name: 'Имя' }
  return {
    update_id: updateId,
    message: { message_id: 1000 + updateId, date: 1_764_000_000, chat: { id: chat, type: 'private' }, from, text },
  }
}

test.each(botDialects.map((dialect) => ({ dialect, runs: PRESSES[dialect] })))(
  `$runs forged presses naming other people's tickets and registrations change nothing ($dialect, seed ${SEED})`,
  async ({ dialect, runs }) => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const harness = h
    const w = await pressWorld(harness)
    const before = await business(harness.db)
    const fromAudit = await lastAuditId(harness.db)
    let updateId = 1
    for (const { press, under, writeFirst } of fc.sample(pressArbitrary(w), { numRuns: runs, seed: SEED })) {
      if (writeFirst) {
        const outcome = await harness.applier.apply(textUpdate(updateId++, w.chats.requester, 'Не работает') as never)
        expect(outcome).toBe('applied')
      }
      const update = pressUpdate(harness.fake, updateId++, press.chat, under, press.data)
      expect(await harness.applier.apply(update as never), press.data).toBe('applied')
    }
    expect(harness.logs.filter((l) => l.msg === 'bot update failed')).toEqual([])
    expect(await business(harness.db)).toEqual(before)
    const journaled = await harness.db
      .selectFrom('audit_log')
      .select(['action', 'result'])
      .where('id', '>', fromAudit)
      .execute()
    expect(journaled.filter((r) => r.result !== 'denied')).toEqual([])
    expect(journaled.length).toBeGreaterThan(runs / 10)

    // The requester's own choice still works: the messages waiting for it land on their own ticket.
    await harness.applier.apply(textUpdate(updateId++, w.chats.requester, 'Последнее') as never)
    await harness.applier.apply(
      pressUpdate(harness.fake, updateId++, w.chats.requester, 1, callback.ticket('file', w.ownTicketId)) as never,
    )
    const filed = await harness.db.selectFrom('ticket_messages').select(['ticket_id', 'body']).execute()
    expect(filed).toHaveLength(1)
    expect(filed[0]?.ticket_id).toBe(w.ownTicketId)
    expect(filed[0]?.body).toContain('Последнее')
  },
  120_000,
)

/** The bot's own rows an ignored update must not touch either: replies, dialogues, the journal. */
async function botState(db: Db): Promise<string> {
  const outbox = await db.selectFrom('outbox').select('id').orderBy('id').execute()
  const conversations = await db.selectFrom('bot_conversations').selectAll().orderBy('chat_id').execute()
  return JSON.stringify([outbox, conversations, await lastAuditId(db)])
}

function oddChatArbitrary(requesterChat: number, noticeOfOwn: unknown) {
  const person = { id: requesterChat, is_bot: false, first_name: 'Имя' }
  const from = fc.oneof(
    fc.constant(person),
    fc.constant({ ...person, is_bot: true }),
    fc.constant({ id: 7502, is_bot: false, first_name: 'Другой' }),
    fc.constant(undefined),
  )
  const groupChat = fc.record({
    id: fc.constantFrom(requesterChat, -100_123_456, -42),
    type: fc.constantFrom('group', 'supergroup', 'channel'),
    title: fc.constant('Отделение'),
  })
  const text = fc.oneof(
    fc.constantFrom('Всё ещё не работает', '/start', '/new', buttons.newTicket, '/cancel', 'Отмена'),
    fc.constantFrom('я', '\u202E', '🩺').map((unit) => unit.repeat(4100)),
  )
  const message = (chat: fc.Arbitrary<unknown>) =>
    fc.record(
      {
        message_id: fc.integer({ min: 1, max: 500 }),
        date: fc.constant(1_764_000_000),
        chat,
        from,
        text,
        // A reply to the bot's notice about the person's ticket: in their private chat it would be filed.
        reply_to_message: fc.constant(noticeOfOwn),
        edit_date: fc.constant(1_764_000_100),
      },
      { requiredKeys: ['message_id', 'date', 'chat', 'text'] },
    )
  const privateChat = fc.constant({ id: requesterChat, type: 'private', first_name: 'Имя' })
  // A private chat whose sender is someone else: not a message Telegram sends.
  const spoofed = fc
    .tuple(message(privateChat), fc.constantFrom(7502, 1, 5501))
    .map(([m, id]) => ({ ...m, from: { id, is_bot: false, first_name: 'Чужой' } }))
  return fc.oneof(
    fc.record({ message: message(groupChat) }),
    fc.record({ message: spoofed }),
    fc.record({ edited_message: message(fc.oneof(privateChat, groupChat)) }),
    fc.record({ channel_post: message(groupChat) }),
    fc.record({ edited_channel_post: message(groupChat) }),
  )
}

test(`${ODD_CHATS} group, supergroup, channel, edited and spoofed messages from a person mid-reply change nothing (seed ${SEED})`, async () => {
  h = await botHarness()
  const harness = h
  const w = await pressWorld(harness)
  // The requester pressed «Ответить» under their own ticket's notice: their next private message goes there.
  const notice = harness.fake.botMessages(w.chats.requester).at(-1)
  const reply = pressUpdate(harness.fake, 1, w.chats.requester, 'notice', callback.ticket('reply', w.ownTicketId))
  expect(await harness.applier.apply(reply as never)).toBe('applied')
  const before = await business(harness.db)
  const state = await botState(harness.db)
  let updateId = 2
  for (const sample of fc.sample(oddChatArbitrary(w.chats.requester, notice), { numRuns: ODD_CHATS, seed: SEED + 1 })) {
    const update = { ...(JSON.parse(JSON.stringify(sample)) as object), update_id: updateId++ }
    expect(await harness.applier.apply(update as never)).toBe('applied')
    expect(await botState(harness.db), JSON.stringify(update).slice(0, 200)).toBe(state)
  }
  expect(await business(harness.db)).toEqual(before)
  const inbox = await harness.db.selectFrom('telegram_inbox').select('kind').execute()
  expect(inbox.filter((r) => r.kind.startsWith('failed:'))).toEqual([])

  // Their private message, at last, lands on their ticket: the dialogue was waiting all along.
  await harness.applier.apply(textUpdate(updateId++, w.chats.requester, 'Всё ещё не работает') as never)
  const filed = await harness.db.selectFrom('ticket_messages').select(['ticket_id', 'body']).execute()
  expect(filed).toEqual([{ ticket_id: w.ownTicketId, body: 'Всё ещё не работает' }])
})

// ---------------------------------------------------------------- the webhook's secret, replays

const SECRETS = 200
const WEBHOOK_SECRET = 'test-webhook-secret'

function webhookApp(harness: BotHarness, applier = harness.applier) {
  const config = { ...harness.config, telegram: { ...harness.config.telegram, mode: 'webhook' as const } }
  return createApp({ db: harness.db, config, logger: harness.logger }, { telegram: { applier, ready: () => true } })
}

/** Header values a client could send that are not the secret (after HTTP's own trimming). */
function wrongSecrets() {
  const secret = WEBHOOK_SECRET
  return fc
    .oneof(
      fc.constant(undefined),
      fc.constant(''),
      fc.integer({ min: 1, max: secret.length - 1 }).map((n) => secret.slice(0, n)),
      fc.string({ minLength: 1, maxLength: 3 }).map((more) => secret + more),
      fc.integer({ min: 0, max: secret.length - 1 }).map((i) => `${secret.slice(0, i)}X${secret.slice(i + 1)}`),
      fc.constant(secret.toUpperCase()),
      fc.constant(`${secret}, ${secret}`),
      fc.constant(`"${secret}"`),
      fc.constant(Buffer.from(secret).toString('base64')),
      fc.constant('x'.repeat(8000)),
      fc.string({ maxLength: 64 }),
    )
    .filter((value) => {
      if (value === undefined) return true
      try {
        return new Headers({ probe: value }).get('probe') !== secret
      } catch {
        // Not a value HTTP can carry: no client could send it.
        return false
      }
    })
}

test(`${SECRETS} wrong or missing webhook secrets are refused before anything is read or applied (seed ${SEED})`, async () => {
  h = await botHarness()
  const harness = h
  const app = webhookApp(harness)
  // A real update that would be applied (a stranger's /start: a dialogue and a reply) — with the secret.
  harness.fake.user(8801).command('/start')
  const update = JSON.stringify(harness.fake.pendingUpdates().at(-1))
  const bodies = [update, '{not json', 'x'.repeat(1_000_000), '']
  const samples = fc.sample(fc.tuple(wrongSecrets(), fc.constantFrom(...bodies)), { numRuns: SECRETS, seed: SEED + 2 })
  for (const [secret, body] of samples) {
    const response = await app.request(WEBHOOK_PATH, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(secret !== undefined ? { 'X-Telegram-Bot-Api-Secret-Token': secret } : {}),
      },
      body,
    })
    expect(response.status, String(secret).slice(0, 80)).toBe(401)
  }
  expect(await harness.db.selectFrom('telegram_inbox').selectAll().execute()).toEqual([])
  expect(await botState(harness.db)).toBe(JSON.stringify([[], [], 0]))

  // Over a real socket: the refusal comes while the body is still on its way — it is never read.
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  try {
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: WEBHOOK_PATH,
          headers: {
            'content-type': 'application/json',
            'content-length': '10000',
            'X-Telegram-Bot-Api-Secret-Token': 'wrong',
          },
        },
        (response) => {
          resolve(response.statusCode ?? 0)
          response.resume()
          request.destroy()
        },
      )
      request.on('error', () => undefined)
      request.write(update.slice(0, 100))
      setTimeout(() => reject(new Error('no answer while the body was still coming')), 5000)
    })
    expect(status).toBe(401)
  } finally {
    server.close()
  }

  // The right secret still works: the same update is applied once.
  const right = { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': WEBHOOK_SECRET }
  expect((await app.request(WEBHOOK_PATH, { method: 'POST', headers: right, body: update })).status).toBe(200)
  expect(await harness.db.selectFrom('telegram_inbox').selectAll().execute()).toHaveLength(1)
})

test(`replays after a restart, in any order, through the inbox or the webhook, change nothing (seed ${SEED})`, async () => {
  h = await botHarness()
  const harness = h
  const people = await ticketPeople(
    harness.db,
    { requester: 7601, executors: [5601] },
    { group: 'Сети', category: 'Сеть' },
  )
  const person = harness.fake.user(7601)
  const updates: unknown[] = []
  const step = async (act: () => unknown) => {
    act()
    const update = harness.fake.pendingUpdates().at(-1)
    updates.push(update)
    expect(await harness.applier.apply(structuredClone(update) as never)).toBe('applied')
    await harness.deliver()
  }
  await step(() => person.send(buttons.newTicket))
  await step(() => person.press(lastSaid(person).message_id, callback.category(people.categoryId)))
  await step(() => person.send('Не печатает принтер'))
  await step(() => person.press(lastSaid(person).message_id, callback.urgency('high')))
  const [ticket] = await harness.db.selectFrom('tickets').select('id').execute()
  await step(() => person.send('Ещё: бумага застревает'))
  await step(() => person.press(lastSaid(person).message_id, callback.ticket('file', ticket?.id ?? 0)))
  await step(() => person.command('/my'))
  expect(await harness.db.selectFrom('ticket_messages').select('body').execute()).toHaveLength(1)
  const before = [await business(harness.db), await botState(harness.db)]

  // A restart: a new bot and applier over the same database, with nothing in memory.
  const { applier } = await harness.newBot()
  const [shuffled = []] = fc.sample(fc.shuffledSubarray(updates, { minLength: updates.length }), {
    numRuns: 1,
    seed: SEED + 3,
  })
  for (const update of shuffled) expect(await applier.apply(structuredClone(update) as never)).toBe('replayed')
  const app = webhookApp(harness, applier)
  const headers = { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': WEBHOOK_SECRET }
  for (const update of [...shuffled, ...shuffled]) {
    const response = await app.request(WEBHOOK_PATH, { method: 'POST', headers, body: JSON.stringify(update) })
    expect(response.status).toBe(200)
  }
  await harness.deliver()
  expect([await business(harness.db), await botState(harness.db)]).toEqual(before)
})
