import pino from 'pino'
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { Db, OutboxRow, User } from '#src/db/schema.ts'
import { nowDate } from '#src/db/time.ts'
import type { NoticeChannel } from '#src/notify/channel.ts'
import { chatKeyOf } from '#src/notify/chat-key.ts'
import { createSendPacing, type DrainOptions, drainOutbox } from '#src/notify/deliver.ts'
import { type BotMessage, enqueueBotMessage, notifyUsers } from '#src/notify/outbox.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildGroup, buildUser } from '../../test/support/factories.ts'
import { type FakeMax, startFakeMax } from '../../test/support/fake-max.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { MAX_TEXT_LIMIT, MaxApi, MaxApiError } from './max-api.ts'
import { createMaxChannel, MAX_SENDS_PER_SECOND, newMessage, toMaxSendResult } from './max-channel.ts'
import { midOfNumber } from './max-conversation.ts'
import type { MaxButton, MaxMessage } from './max-types.ts'

/**
 * The MAX channel of the outbox (issue 15) end to end: outbox rows, the real MAX client and the fake MAX server
 * on loopback. One database per file; each test a fresh fake server and an empty outbox.
 */
const BASE_URL = 'https://helpdesk.example.org'
let db: Db
let fake: FakeMax
let api: MaxApi
let channel: NoticeChannel

beforeAll(async () => {
  db = (await testDatabase()).db
})
beforeEach(async () => {
  await db.deleteFrom('telegram_messages').execute()
  await db.deleteFrom('outbox').execute()
  fake = await startFakeMax()
  api = new MaxApi({ token: fake.token, apiRoot: fake.apiRoot, timeoutMs: 5000 })
  channel = createMaxChannel({ db, config: { baseUrl: BASE_URL }, logger: pino({ level: 'silent' }), api })
})
afterEach(async () => {
  await fake.close()
})

const fast: DrainOptions = { perChatIntervalMs: 0, globalPerSecond: 1000 }

let nextMaxId = 8_200_000

/** A person reachable in MAX only (their MAX user id), as registration through MAX leaves them. */
async function maxPerson(overrides: Parameters<typeof buildUser>[1] = {}): Promise<User> {
  const user = await buildUser(db, { telegramChatId: null, ...overrides })
  return db
    .updateTable('users')
    .set({ max_user_id: String(++nextMaxId), messenger: 'max' })
    .where('id', '=', user.id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

function maxIdOf(user: User): number {
  return Number(user.max_user_id)
}

async function say(user: User, message: BotMessage, ticketId?: number): Promise<void> {
  await db
    .transaction()
    .execute((tx) => enqueueBotMessage(tx, chatKeyOf('max', user.max_user_id ?? ''), message, { ticketId }))
}

async function rows(): Promise<OutboxRow[]> {
  return db.selectFrom('outbox').selectAll().orderBy('id').execute()
}

/** The number the channel recorded for the last sent row (outbox.telegram_message_id). */
async function lastNumber(): Promise<number> {
  const last = (await rows()).at(-1)
  if (last?.telegram_message_id === null || last?.telegram_message_id === undefined) throw new Error('not sent')
  return last.telegram_message_id
}

function keyboardOf(message: MaxMessage | undefined): MaxButton[][] | undefined {
  const keyboard = message?.body.attachments?.find((a) => a.type === 'inline_keyboard')
  return keyboard?.type === 'inline_keyboard' ? keyboard.payload.buttons : undefined
}

describe('newMessage: a BotMessage as MAX’s NewMessageBody', () => {
  test('inline buttons: callback buttons with the same data, link buttons; empty rows left out', () => {
    const body = newMessage({
      text: 'Заявка № 7 · Новая',
      buttons: [
        [
          { text: 'Взять в работу', callbackData: 't:take:7' },
          { text: 'Открыть', url: `${BASE_URL}/tickets/7` },
        ],
        [{ text: 'Ни то, ни другое' }],
      ],
    })
    expect(body).toEqual({
      text: 'Заявка № 7 · Новая',
      attachments: [
        {
          type: 'inline_keyboard',
          payload: {
            buttons: [
              [
                { type: 'callback', text: 'Взять в работу', payload: 't:take:7' },
                { type: 'link', text: 'Открыть', url: `${BASE_URL}/tickets/7` },
              ],
            ],
          },
        },
      ],
    })
  })

  test('a reply keyboard becomes message buttons, «Поделиться номером» a request_contact button', () => {
    const body = newMessage({
      text: 'Меню',
      keyboard: {
        rows: [
          [{ text: 'Новая заявка' }, { text: 'Мои заявки' }],
          [{ text: 'Поделиться номером', requestContact: true }],
        ],
      },
    })
    expect(body.attachments).toEqual([
      {
        type: 'inline_keyboard',
        payload: {
          buttons: [
            [
              { type: 'message', text: 'Новая заявка' },
              { type: 'message', text: 'Мои заявки' },
            ],
            [{ type: 'request_contact', text: 'Поделиться номером' }],
          ],
        },
      },
    ])
  })

  test('no buttons, «remove», or buttons that are all empty: no attachments at all', () => {
    expect(newMessage({ text: 'Готово' })).toEqual({ text: 'Готово' })
    expect(newMessage({ text: 'Готово', keyboard: 'remove' })).toEqual({ text: 'Готово' })
    expect(newMessage({ text: 'Готово', buttons: [[{ text: 'пусто' }], []] })).toEqual({ text: 'Готово' })
    // Inline buttons win over a keyboard given with them.
    const both = newMessage({
      text: 'x',
      buttons: [[{ text: 'Да', callbackData: 'c:yes' }]],
      keyboard: { rows: [[{ text: 'Меню' }]] },
    })
    expect(both.attachments).toEqual([
      { type: 'inline_keyboard', payload: { buttons: [[{ type: 'callback', text: 'Да', payload: 'c:yes' }]] } },
    ])
  })

  test('a text past MAX’s 4 000 characters is clipped to it (counted in characters, not UTF-16 units)', () => {
    const long = 'ё'.repeat(3990) + '😀'.repeat(20)
    const text = newMessage({ text: long }).text ?? ''
    expect([...text]).toHaveLength(MAX_TEXT_LIMIT)
    expect(text.endsWith('…')).toBe(true)
    const exact = 'я'.repeat(MAX_TEXT_LIMIT)
    expect(newMessage({ text: exact }).text).toBe(exact)
  })
})

describe('toMaxSendResult', () => {
  const error = (status: number, code: string, retryAfter?: number) =>
    new MaxApiError('POST /messages', status, code, 'Текст заявки Ивановой', retryAfter)

  test('429: wait as MAX asks, else a second', () => {
    expect(toMaxSendResult(error(429, 'too.many.requests', 7))).toEqual({
      ok: false,
      retryAfterMs: 7000,
      error: '429 too.many.requests',
    })
    expect(toMaxSendResult(error(429, 'too.many.requests'))).toMatchObject({ retryAfterMs: 1000 })
    expect(toMaxSendResult(error(429, 'too.many.requests', 0))).toMatchObject({ retryAfterMs: 1000 })
  })

  test('a person who stopped the bot, or a dialog gone: permanent', () => {
    expect(toMaxSendResult(error(403, 'chat.denied'))).toEqual({ ok: false, permanent: true, error: '403 chat.denied' })
    expect(toMaxSendResult(error(403, 'access.denied'))).toMatchObject({ permanent: true })
    expect(toMaxSendResult(error(404, 'chat.not.found'))).toMatchObject({ permanent: true })
  })

  test('anything else is a plain failure, retried by the outbox; never the text MAX quoted', () => {
    for (const e of [error(400, 'proto.payload'), error(500, 'internal.error'), error(0, 'timeout')]) {
      const result = toMaxSendResult(e)
      expect(result).toEqual({ ok: false, error: `${e.status} ${e.code}` })
      expect(JSON.stringify(result)).not.toContain('Ивановой')
    }
    expect(toMaxSendResult(new TypeError('Иванова'))).toEqual({ ok: false, error: 'error: TypeError' })
    expect(toMaxSendResult('strange')).toEqual({ ok: false, error: 'error' })
  })
})

describe('MAX channel: sending', () => {
  test('the channel is named max and paced under MAX’s 30 requests a second', () => {
    expect(channel.name).toBe('max')
    expect(channel.limits).toEqual({ globalPerSecond: MAX_SENDS_PER_SECOND, perChatIntervalMs: 200 })
    expect(MAX_SENDS_PER_SECOND).toBeLessThan(30)
  })

  test('a bot message reaches the person’s dialog, without link previews; its mid gets a number of ours', async () => {
    const person = await maxPerson()
    await say(person, { text: 'Здравствуйте!', buttons: [[{ text: 'Да', callbackData: 'c:yes' }]] })
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ sent: 1, failed: 0, retried: 0 })
    const [sent] = fake.botMessages(maxIdOf(person))
    expect(sent?.body.text).toBe('Здравствуйте!')
    expect(keyboardOf(sent)).toEqual([[{ type: 'callback', text: 'Да', payload: 'c:yes' }]])
    const [call] = fake.callsOf('POST /messages')
    expect(call?.query).toEqual({ user_id: String(maxIdOf(person)), disable_link_preview: 'true' })
    expect(await midOfNumber(db, await lastNumber())).toBe(sent?.body.mid)
    expect((await rows())[0]).toMatchObject({ status: 'sent', channel: 'max', recipient: `max:${person.max_user_id}` })
  })

  test('a notice to someone reachable in MAX is rendered and remembered for replies, as in Telegram', async () => {
    const executor = await maxPerson({ role: 'executor' })
    const group = await buildGroup(db, undefined, [executor.id])
    const category = await buildCategory(db, { defaultGroupId: group.id })
    const requester = await buildUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.id, categoryId: category.id, title: 'Нет сети' })
    await db
      .transaction()
      .execute((tx) => notifyUsers(tx, [executor.id], { kind: 'ticket_new_for_group', ticketId: ticket.id }))
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ sent: 1 })
    const message = fake.botMessages(maxIdOf(executor)).at(-1)
    expect(message?.body.text?.split('\n')[0]).toBe(`Заявка № ${ticket.id} · Новая`)
    expect(keyboardOf(message)).toEqual([
      [
        { type: 'callback', text: 'Взять в работу', payload: `t:take:${ticket.id}` },
        { type: 'link', text: 'Открыть', url: `${BASE_URL}/tickets/${ticket.id}` },
      ],
    ])
    const remembered = await db.selectFrom('telegram_messages').selectAll().execute()
    expect(remembered).toMatchObject([
      { chat_id: `max:${executor.max_user_id}`, ticket_id: ticket.id, message_id: await lastNumber() },
    ])

    // Taken: the offer is withdrawn from the message already in the chat (refresh_buttons, an edit).
    await db
      .updateTable('tickets')
      .set({ status: 'in_progress', assignee_id: executor.id })
      .where('id', '=', ticket.id)
      .execute()
    await db
      .transaction()
      .execute((tx) =>
        notifyUsers(tx, [], { kind: 'ticket_taken', ticketId: ticket.id, data: { assigneeId: executor.id } }),
      )
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ sent: 1, failed: 0 })
    const [edit] = fake.callsOf('PUT /messages')
    expect(edit?.query).toEqual({ message_id: message?.body.mid })
    expect(fake.botMessages(maxIdOf(executor))).toHaveLength(1)
    expect(keyboardOf(fake.botMessages(maxIdOf(executor))[0])).toEqual([
      [{ type: 'link', text: 'Открыть', url: `${BASE_URL}/tickets/${ticket.id}` }],
    ])
    // The text stays as it was: only the keyboard was replaced.
    expect(fake.botMessages(maxIdOf(executor))[0]?.body.text).toBe(message?.body.text)
  })

  test('a reply names the message it answers by its mid', async () => {
    const person = await maxPerson()
    await say(person, { text: 'Первое' })
    await drainOutbox(db, [channel], fast)
    const first = await lastNumber()
    await say(person, { text: 'Ответ на первое', replyToMessageId: first })
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ sent: 1 })
    const [, reply] = fake.botMessages(maxIdOf(person))
    expect(reply?.link).toMatchObject({ type: 'reply', message: { mid: await midOfNumber(db, first) } })
  })

  test('a row for a chat that is not MAX’s fails at once', async () => {
    await db.transaction().execute((tx) => enqueueBotMessage(tx, '5001', { text: 'x' }))
    await db.updateTable('outbox').set({ channel: 'max' }).execute()
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ failed: 1 })
    expect((await rows())[0]?.last_error).toBe('not a MAX chat')
    expect(fake.callsOf('POST /messages')).toEqual([])
  })
})

describe('MAX channel: edits', () => {
  test('an edit puts the new text and keyboard on the same message; none given removes the keyboard', async () => {
    const person = await maxPerson()
    await say(person, { text: 'Оцените работу', buttons: [[{ text: '5', callbackData: 'r:5' }]] })
    await drainOutbox(db, [channel], fast)
    const number = await lastNumber()
    await say(person, { text: 'Спасибо за оценку', editMessageId: number })
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ sent: 1 })
    const messages = fake.botMessages(maxIdOf(person))
    expect(messages).toHaveLength(1)
    expect(messages[0]?.body.text).toBe('Спасибо за оценку')
    expect(keyboardOf(messages[0])).toBeUndefined()
    expect(fake.callsOf('PUT /messages')[0]?.body).toEqual({ text: 'Спасибо за оценку', attachments: [] })
    expect(await lastNumber()).toBe(number)
  })

  test('an edit of a message MAX no longer has, or of a number we never gave, becomes a new message', async () => {
    const person = await maxPerson()
    await say(person, { text: 'Старое' })
    await drainOutbox(db, [channel], fast)
    const number = await lastNumber()
    const mid = fake.botMessages(maxIdOf(person))[0]?.body.mid ?? ''
    await api.deleteMessage(mid)

    await say(person, { text: 'Новое', editMessageId: number })
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ sent: 1, failed: 0 })
    expect(fake.callsOf('PUT /messages').map((c) => c.status)).toEqual([404])
    expect(fake.botMessages(maxIdOf(person)).map((m) => m.body.text)).toEqual(['Новое'])
    expect(await lastNumber()).not.toBe(number)

    await say(person, { text: 'Ещё новое', editMessageId: 987_654_321 })
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ sent: 1 })
    expect(fake.callsOf('PUT /messages')).toHaveLength(1)
    expect(fake.botMessages(maxIdOf(person)).map((m) => m.body.text)).toEqual(['Новое', 'Ещё новое'])
  })

  test('an edit MAX refuses (403, not the person’s stop: a message it will not edit) becomes a new message', async () => {
    const person = await maxPerson()
    await say(person, { text: 'Старое' })
    await drainOutbox(db, [channel], fast)
    const number = await lastNumber()
    fake.inject('PUT /messages', { status: 403, code: 'access.denied' })
    await say(person, { text: 'Новое', editMessageId: number })
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ sent: 1, failed: 0 })
    expect(fake.botMessages(maxIdOf(person)).map((m) => m.body.text)).toEqual(['Старое', 'Новое'])
    // Refusing an edit is not the person stopping the bot: notices still reach them in MAX.
    const user = await db.selectFrom('users').select('max_blocked_at').where('id', '=', person.id).executeTakeFirst()
    expect(user?.max_blocked_at).toBeNull()
  })

  test('an edit MAX fails for a while is retried, not turned into a second message', async () => {
    const person = await maxPerson()
    await say(person, { text: 'Старое' })
    await drainOutbox(db, [channel], fast)
    const number = await lastNumber()
    fake.inject('PUT /messages', { status: 502 })
    await say(person, { text: 'Новое', editMessageId: number })
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ sent: 0, retried: 1 })
    expect(fake.callsOf('POST /messages')).toHaveLength(1)
    expect((await rows()).at(-1)).toMatchObject({ status: 'pending', last_error: '502 internal.error' })
  })
})

describe('MAX channel: MAX’s refusals', () => {
  test('429: the row waits as long as MAX asks, and the attempt does not count', async () => {
    const person = await maxPerson()
    await say(person, { text: 'Раз' })
    await say(person, { text: 'Два' })
    fake.inject('POST /messages', { status: 429, retryAfter: 5 })
    const pacing = createSendPacing()
    const before = nowDate().getTime()
    const result = await drainOutbox(db, [channel], { ...fast, pacing })
    expect(result).toMatchObject({ sent: 0, retried: 1, failed: 0 })
    const [first, second] = await rows()
    expect(first).toMatchObject({ status: 'pending', attempts: 0, last_error: '429 too.many.requests' })
    expect(Date.parse(first?.next_attempt_at ?? '')).toBeGreaterThanOrEqual(before + 5000)
    // Nothing else goes to MAX before then.
    expect(Date.parse(second?.next_attempt_at ?? '')).toBeGreaterThanOrEqual(before + 5000)
    expect(fake.callsOf('POST /messages')).toHaveLength(1)
  })

  test('403 (the person stopped the bot): the notice fails at once and the person is marked blocked in MAX', async () => {
    const person = await maxPerson()
    const bystander = await maxPerson()
    fake.user(maxIdOf(person)).stop()
    await say(person, { text: 'Раз' })
    await say(person, { text: 'Два' })
    await say(bystander, { text: 'Вам' })
    const result = await drainOutbox(db, [channel], { ...fast, perRecipientPerCall: 1 })
    expect(result).toMatchObject({ sent: 1, failed: 1 })
    const [first, second, third] = await rows()
    expect(first).toMatchObject({ status: 'failed', last_error: '403 chat.denied' })
    expect(second).toMatchObject({ status: 'failed', last_error: 'recipient unreachable' })
    expect(third).toMatchObject({ status: 'sent' })
    const blocked = await db
      .selectFrom('users')
      .select(['id', 'max_blocked_at', 'telegram_blocked_at'])
      .where('id', 'in', [person.id, bystander.id])
      .orderBy('id')
      .execute()
    expect(blocked[0]?.max_blocked_at).not.toBeNull()
    expect(blocked[0]?.telegram_blocked_at).toBeNull()
    expect(blocked[1]?.max_blocked_at).toBeNull()
    // No notice is queued for them in MAX any more.
    expect(await db.transaction().execute((tx) => notifyUsers(tx, [person.id], { kind: 'totp_reset' }))).toBe(0)
  })

  test('5xx and a network failure are retried later; nothing is marked', async () => {
    const person = await maxPerson()
    await say(person, { text: 'Раз' })
    fake.inject('POST /messages', { status: 503 })
    expect(await drainOutbox(db, [channel], fast)).toMatchObject({ retried: 1, failed: 0 })
    expect((await rows())[0]).toMatchObject({ status: 'pending', attempts: 1, last_error: '503 internal.error' })

    const unreachable = createMaxChannel({
      db,
      config: { baseUrl: BASE_URL },
      logger: pino({ level: 'silent' }),
      api: new MaxApi({ token: fake.token, apiRoot: 'http://127.0.0.1:9', timeoutMs: 2000 }),
    })
    await db.updateTable('outbox').set({ next_attempt_at: nowDate().toISOString() }).execute()
    expect(await drainOutbox(db, [unreachable], fast)).toMatchObject({ retried: 1, failed: 0 })
    expect((await rows())[0]).toMatchObject({ status: 'pending', last_error: '0 network' })
    const user = await db.selectFrom('users').select('max_blocked_at').where('id', '=', person.id).executeTakeFirst()
    expect(user?.max_blocked_at).toBeNull()
  })
})
