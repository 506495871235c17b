import { randomBytes } from 'node:crypto'
import type { Update } from 'grammy/types'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { type FakeMax, type MaxSentUpdate, startFakeMax } from '../../test/support/fake-max.ts'
import { MaxApi } from './max-api.ts'
import { maxConversation, maxMalformed, maxUpdateKey, messageNumberOf, midOfNumber } from './max-conversation.ts'
import type { MaxMessage, MaxMessageCreatedUpdate, MaxUpdate } from './max-types.ts'

/**
 * The edge between MAX's updates and the conversation model the dialogues read (issue 15). The updates are the
 * fake MAX server's own (test/support/fake-max.ts, built from the published schema), taken from its queue; the
 * message numbers and the block live in a real database.
 */
let db: Db
let fake: FakeMax
let api: MaxApi

beforeAll(async () => {
  db = (await testDatabase()).db
  fake = await startFakeMax()
  api = new MaxApi({ token: fake.token, apiRoot: fake.apiRoot, timeoutMs: 5000 })
})
afterAll(async () => {
  await fake.close()
})

let nextUserId = 8_100_000
const newUserId = () => ++nextUserId

/** The update the fake queued for this action of a person. */
function updateOf(sent: MaxSentUpdate): MaxUpdate {
  const queued = fake.pendingUpdates().find((u) => u.seq === sent.seq)
  if (!queued) throw new Error(`update ${sent.seq} not queued`)
  return queued.update
}

function messageUpdate(sent: MaxSentUpdate): MaxMessageCreatedUpdate {
  const update = updateOf(sent)
  if (update.update_type !== 'message_created') throw new Error(`not a message: ${update.update_type}`)
  return update
}

function conversation(update: MaxUpdate): Promise<Update | undefined> {
  return db.transaction().execute((tx) => maxConversation(tx, update))
}

function numberOf(mid: string): Promise<number> {
  return db.transaction().execute((tx) => messageNumberOf(tx, mid))
}

/** A message of the bot in the person's dialog (what a reply quotes, what a press carries). */
function botMessage(userId: number, text = 'Сообщение бота'): Promise<MaxMessage> {
  return api.sendMessage({ userId }, { text })
}

describe('maxUpdateKey', () => {
  test('messages by their mid, presses by the callback id, the rest by type, chat, person and time', async () => {
    const person = fake.user(newUserId())
    const sent = person.send('Принтер не печатает')
    expect(maxUpdateKey(updateOf(sent))).toBe(`message_created:${sent.mid}`)
    const edited = { ...messageUpdate(sent), update_type: 'message_edited' } as unknown as MaxUpdate
    expect(maxUpdateKey(edited)).toBe(`message_edited:${sent.mid}`)

    const own = await botMessage(person.userId)
    const press = person.press(own.body.mid, 't:take:1')
    expect(maxUpdateKey(updateOf(press))).toBe(`callback:${press.callbackId}`)

    const start = updateOf(person.start('link_abc'))
    expect(start.update_type).toBe('bot_started')
    expect(maxUpdateKey(start)).toBe(`bot_started:${person.chatId}:${person.userId}:${start.timestamp}`)
    const stop = updateOf(person.stop())
    expect(maxUpdateKey(stop)).toBe(`bot_stopped:${person.chatId}:${person.userId}:${stop.timestamp}`)
  })

  test('the same update always gets the same key: a replay finds its row', () => {
    const person = fake.user(newUserId())
    const update = updateOf(person.send('Раз'))
    expect(maxUpdateKey(structuredClone(update))).toBe(maxUpdateKey(update))
    const other = updateOf(person.send('Раз'))
    expect(maxUpdateKey(other)).not.toBe(maxUpdateKey(update))
  })

  test('odd updates are keyed by a hash of their content; a key never exceeds the column’s bound', () => {
    const odd = { update_type: 'message_created', timestamp: 1, message: { body: { mid: 42 } } } as unknown as MaxUpdate
    const key = maxUpdateKey(odd)
    expect(key).toMatch(/^odd:[0-9a-f]{40}$/)
    expect(maxUpdateKey(structuredClone(odd))).toBe(key)
    expect(maxUpdateKey({ ...odd, timestamp: 2 } as MaxUpdate)).not.toBe(key)
    expect(maxUpdateKey({} as MaxUpdate)).toMatch(/^odd:/)
    expect(maxUpdateKey({ update_type: 'message_callback', callback: {} } as unknown as MaxUpdate)).toMatch(/^odd:/)

    const person = fake.user(newUserId())
    const update = messageUpdate(person.send('Длинный mid'))
    const forged = structuredClone(update)
    forged.message.body.mid = 'm'.repeat(100_000)
    const long = maxUpdateKey(forged)
    expect(long).toMatch(/^long:[0-9a-f]{64}$/)
    const another = structuredClone(forged)
    another.message.body.mid = `${'m'.repeat(99_999)}n`
    expect(maxUpdateKey(another)).not.toBe(long)
  })
})

describe('maxMalformed', () => {
  test('what the fake sends, in every served type, is well formed', async () => {
    const person = fake.user(newUserId())
    const own = await botMessage(person.userId)
    const updates = [
      person.start('link_1'),
      person.send('Текст'),
      person.sendPhoto({ caption: 'Фото' }),
      person.sendFile({ fileName: 'акт.pdf' }),
      person.shareContact({ phone: '+7 900 111-22-33' }),
      person.press(own.body.mid, 'x'),
      person.stop(),
    ].map(updateOf)
    for (const update of updates) expect(maxMalformed(update), update.update_type).toBe(false)
  })

  test('a served type with the wrong fields is malformed; types the bot does not serve are not checked', () => {
    const person = fake.user(newUserId())
    const message = messageUpdate(person.send('Текст'))
    const broken = (change: (u: Record<string, unknown>) => void): MaxUpdate => {
      const copy = structuredClone(message) as unknown as Record<string, unknown>
      change(copy)
      return copy as unknown as MaxUpdate
    }
    expect(maxMalformed({} as MaxUpdate)).toBe(true)
    expect(maxMalformed({ update_type: 7 } as unknown as MaxUpdate)).toBe(true)
    expect(maxMalformed(broken((u) => ((u.message as MaxMessage).body.mid = '')))).toBe(true)
    expect(maxMalformed(broken((u) => ((u.message as { body: unknown }).body = { mid: 5 })))).toBe(true)
    expect(maxMalformed(broken((u) => ((u.message as { sender: unknown }).sender = { user_id: -1 })))).toBe(true)
    expect(maxMalformed(broken((u) => ((u.message as { sender: unknown }).sender = { user_id: 2 ** 60 })))).toBe(true)
    expect(maxMalformed(broken((u) => delete u.timestamp))).toBe(true)
    expect(maxMalformed(broken((u) => ((u.message as { body: unknown }).body = { mid: 'm', text: 5 })))).toBe(true)
    expect(maxMalformed({ update_type: 'message_callback', timestamp: 1, callback: {} } as unknown as MaxUpdate)).toBe(
      true,
    )
    expect(maxMalformed({ update_type: 'bot_started', timestamp: 1, chat_id: 1 } as unknown as MaxUpdate)).toBe(true)
    expect(
      maxMalformed({ update_type: 'bot_stopped', timestamp: 1, chat_id: 1, user: {} } as unknown as MaxUpdate),
    ).toBe(true)
    // Not served: recorded and ignored, whatever they carry.
    expect(maxMalformed({ update_type: 'message_edited' } as unknown as MaxUpdate)).toBe(false)
    expect(maxMalformed({ update_type: 'chat_title_changed', junk: true } as unknown as MaxUpdate)).toBe(false)
  })
})

describe('message numbers (max_messages)', () => {
  test('a mid gets a number on first sight and keeps it; numbers map back to their mid', async () => {
    const first = await numberOf('mid.test-number-a')
    expect(await numberOf('mid.test-number-a')).toBe(first)
    const second = await numberOf('mid.test-number-b')
    expect(second).not.toBe(first)
    expect(Number.isSafeInteger(first) && first > 0).toBe(true)
    expect(await midOfNumber(db, first)).toBe('mid.test-number-a')
    expect(await midOfNumber(db, second)).toBe('mid.test-number-b')
    expect(await midOfNumber(db, 987_654_321)).toBeUndefined()
  })

  test('a number taken in a transaction that rolls back is not kept', async () => {
    const rolledBack = db.transaction().execute(async (tx) => {
      await messageNumberOf(tx, 'mid.test-rolled-back')
      throw new Error('the update failed')
    })
    await expect(rolledBack).rejects.toThrow('the update failed')
    const row = await db.selectFrom('max_messages').select('id').where('mid', '=', 'mid.test-rolled-back').execute()
    expect(row).toEqual([])
  })
})

describe('maxConversation: messages', () => {
  test('a text: the person’s dialog as a private chat, their name, the text and the message’s number', async () => {
    const person = fake.user(newUserId(), { firstName: 'Мария', lastName: 'Иванова', username: 'maria' })
    const update = messageUpdate(person.send('Не печатает принтер'))
    const mapped = await conversation(update)
    const message = mapped?.message
    expect(message).toMatchObject({
      message_id: await numberOf(update.message.body.mid),
      date: Math.floor(update.message.timestamp / 1000),
      chat: { id: person.userId, type: 'private', first_name: 'Мария' },
      from: { id: person.userId, is_bot: false, first_name: 'Мария', last_name: 'Иванова', username: 'maria' },
      text: 'Не печатает принтер',
    })
    expect(message?.entities).toBeUndefined()
    expect(message?.caption).toBeUndefined()
    expect(message?.reply_to_message).toBeUndefined()
    expect(mapped?.callback_query).toBeUndefined()
    // Each update a new id: the model's ids are the dialogues' business, not the inbox's.
    const again = await conversation(messageUpdate(person.send('Ещё')))
    expect(again?.update_id).not.toBe(mapped?.update_id)
  })

  test('a command gets its bot_command entity, as Telegram gives it', async () => {
    const person = fake.user(newUserId())
    const mapped = await conversation(updateOf(person.command('/new_ticket принтер')))
    expect(mapped?.message).toMatchObject({
      text: '/new_ticket принтер',
      entities: [{ type: 'bot_command', offset: 0, length: '/new_ticket'.length }],
    })
    const plain = await conversation(updateOf(person.send('a /start in the middle')))
    expect(plain?.message?.entities).toBeUndefined()
  })

  test('files: the text is the caption and the message carries a document the preparer stands for', async () => {
    const person = fake.user(newUserId())
    const photo = messageUpdate(person.sendPhoto({ caption: 'Вот ошибка' }))
    const mapped = await conversation(photo)
    expect(mapped?.message).toMatchObject({
      caption: 'Вот ошибка',
      document: { file_id: `max:${photo.message.body.mid}` },
    })
    expect(mapped?.message?.text).toBeUndefined()

    const file = await conversation(updateOf(person.sendFile({ fileName: 'акт.pdf' })))
    expect(file?.message?.document).toBeDefined()
    expect(file?.message?.caption).toBeUndefined()
    expect(file?.message?.text).toBeUndefined()
  })

  test('a shared contact: the phone from the vCard and the account it belongs to', async () => {
    const person = fake.user(newUserId())
    const own = await conversation(updateOf(person.shareContact({ phone: '+7 (900) 123-45-67' })))
    expect(own?.message?.contact).toEqual({ phone_number: '79001234567', first_name: '', user_id: person.userId })
    expect(own?.message?.text).toBeUndefined()

    // Someone else's card: the dialogues see whose it is, and refuse it as they refuse it in Telegram.
    const other = fake.user(newUserId())
    const spoofed = await conversation(updateOf(person.shareContact({ phone: '+79005550000', userId: other.userId })))
    expect(spoofed?.message?.contact).toMatchObject({ phone_number: '79005550000', user_id: other.userId })
    expect(spoofed?.message?.contact?.user_id).not.toBe(person.userId)
  })

  test('a reply names the number of the message it answers', async () => {
    const person = fake.user(newUserId())
    const notice = await botMessage(person.userId, 'Заявка № 5 · В работе')
    const mapped = await conversation(updateOf(person.send('Спасибо', { replyTo: notice.body.mid })))
    expect(mapped?.message?.reply_to_message).toMatchObject({
      message_id: await numberOf(notice.body.mid),
      chat: { id: person.userId },
    })
    expect(mapped?.message?.text).toBe('Спасибо')
  })

  test('group chats, channels and bots are not the dialogues’ business', async () => {
    const person = fake.user(newUserId())
    const update = messageUpdate(person.send('В общем чате'))
    const inChat = structuredClone(update)
    inChat.message.recipient.chat_type = 'chat'
    expect(await conversation(inChat)).toBeUndefined()
    const inChannel = structuredClone(update)
    inChannel.message.recipient.chat_type = 'channel'
    expect(await conversation(inChannel)).toBeUndefined()
    const fromBot = structuredClone(update)
    if (fromBot.message.sender) fromBot.message.sender.is_bot = true
    expect(await conversation(fromBot)).toBeUndefined()
    const anonymous = structuredClone(update)
    anonymous.message.sender = null
    expect(await conversation(anonymous)).toBeUndefined()
    expect(await conversation({ ...update, update_type: 'message_edited' } as unknown as MaxUpdate)).toBeUndefined()
    // The untouched one is.
    expect((await conversation(update))?.message?.text).toBe('В общем чате')
  })
})

describe('maxConversation: presses, starts and stops', () => {
  test('a press: the callback data, and the pressed message by its number and date', async () => {
    const person = fake.user(newUserId(), { firstName: 'Пётр' })
    const notice = await botMessage(person.userId, 'Новая заявка')
    const press = person.press(notice.body.mid, 't:take:17')
    const mapped = await conversation(updateOf(press))
    expect(mapped?.message).toBeUndefined()
    expect(mapped?.callback_query).toMatchObject({
      id: press.callbackId,
      from: { id: person.userId, first_name: 'Пётр', is_bot: false },
      data: 't:take:17',
      message: {
        message_id: await numberOf(notice.body.mid),
        date: Math.floor(notice.timestamp / 1000),
        chat: { id: person.userId, type: 'private' },
      },
    })
  })

  test('a press under a deleted message: Telegram’s inaccessible message (date 0), numbered apart', async () => {
    const person = fake.user(newUserId())
    const notice = await botMessage(person.userId)
    await api.deleteMessage(notice.body.mid)
    const press = person.press(notice.body.mid, 't:take:18')
    const update = updateOf(press)
    expect(update.update_type === 'message_callback' && update.message).toBeNull()
    const mapped = await conversation(update)
    const pressed = mapped?.callback_query?.message
    expect(pressed).toMatchObject({ date: 0, chat: { id: person.userId } })
    // A number of its own (the dialogues keep it as evidence, where 0 is refused), never the deleted message's.
    expect(pressed?.message_id).toBeGreaterThan(0)
    expect(pressed?.message_id).not.toBe(await numberOf(notice.body.mid))
    expect((await conversation(structuredClone(update)))?.callback_query?.message?.message_id).toBe(pressed?.message_id)
    const another = updateOf(person.press(notice.body.mid, 't:take:18'))
    expect((await conversation(another))?.callback_query?.message?.message_id).not.toBe(pressed?.message_id)
    expect(mapped?.callback_query?.data).toBe('t:take:18')
  })

  test('ids of kilobytes are forged: malformed, never numbered; ids up to 512 characters are numbered', async () => {
    const person = fake.user(newUserId())
    const notice = await botMessage(person.userId)
    const message = messageUpdate(person.send('Подделка', { replyTo: notice.body.mid }))
    const press = updateOf(person.press(notice.body.mid, 'x'))
    if (press.update_type !== 'message_callback') throw new Error('a press expected')
    // Random characters: PostgreSQL cannot compress them under its index row limit.
    const huge = randomBytes(8000).toString('hex')
    const forgedMid = structuredClone(message)
    forgedMid.message.body.mid = huge
    const forgedReply = structuredClone(message)
    if (forgedReply.message.link) forgedReply.message.link.message.mid = huge
    const forgedCallback = structuredClone(press)
    forgedCallback.callback.callback_id = huge
    forgedCallback.message = null
    for (const forged of [forgedMid, forgedReply, forgedCallback]) expect(maxMalformed(forged)).toBe(true)

    const longest = structuredClone(message)
    longest.message.body.mid = `ё${randomBytes(300).toString('base64')}`.slice(0, 512)
    expect(maxMalformed(longest)).toBe(false)
    expect((await conversation(longest))?.message?.message_id).toBe(await numberOf(longest.message.body.mid))
    const deletedPress = structuredClone(press)
    deletedPress.callback.callback_id = randomBytes(256).toString('hex')
    deletedPress.message = null
    expect(maxMalformed(deletedPress)).toBe(false)
    expect((await conversation(deletedPress))?.callback_query?.message?.message_id).toBeGreaterThan(0)
  })

  test('a press without data is an empty string; a press in a group chat or by a bot is ignored', async () => {
    const person = fake.user(newUserId())
    const notice = await botMessage(person.userId)
    const update = updateOf(person.press(notice.body.mid, 'x'))
    if (update.update_type !== 'message_callback' || !update.message) throw new Error('a press expected')
    const noData = structuredClone(update)
    delete noData.callback.payload
    expect((await conversation(noData))?.callback_query?.data).toBe('')
    const inChat = structuredClone(update)
    if (inChat.message) inChat.message.recipient.chat_type = 'chat'
    expect(await conversation(inChat)).toBeUndefined()
    const byBot = structuredClone(update)
    byBot.callback.user.is_bot = true
    expect(await conversation(byBot)).toBeUndefined()
  })

  test('bot_started is the command /start with the deep link’s payload', async () => {
    const person = fake.user(newUserId(), { firstName: 'Анна' })
    const start = updateOf(person.start('link_ab12'))
    const mapped = await conversation(start)
    expect(mapped?.message).toMatchObject({
      text: '/start link_ab12',
      entities: [{ type: 'bot_command', offset: 0, length: 6 }],
      chat: { id: person.userId, type: 'private', first_name: 'Анна' },
      from: { id: person.userId, first_name: 'Анна' },
      date: Math.floor(start.timestamp / 1000),
    })
    // The same start (a replay) is the same message; a start without a payload is a bare /start.
    const replay = await conversation(structuredClone(start))
    expect(replay?.message?.message_id).toBe(mapped?.message?.message_id)
    const bare = await conversation(updateOf(person.start()))
    expect(bare?.message?.text).toBe('/start')
    const blank = await conversation({ ...start, payload: '   ' } as MaxUpdate)
    expect(blank?.message?.text).toBe('/start')
  })

  test('bot_stopped and dialog_removed mark the person blocked in MAX (once), and nobody else', async () => {
    const person = fake.user(newUserId())
    const other = fake.user(newUserId())
    const user = await buildUser(db, { telegramChatId: null })
    const bystander = await buildUser(db, { telegramChatId: null })
    await db
      .updateTable('users')
      .set({ max_user_id: String(person.userId) })
      .where('id', '=', user.id)
      .execute()
    await db
      .updateTable('users')
      .set({ max_user_id: String(other.userId) })
      .where('id', '=', bystander.id)
      .execute()
    const blockedAt = async (id: number) =>
      (await db.selectFrom('users').select('max_blocked_at').where('id', '=', id).executeTakeFirstOrThrow())
        .max_blocked_at

    const stop = updateOf(person.stop())
    expect(await conversation(stop)).toBeUndefined()
    const first = await blockedAt(user.id)
    expect(first).not.toBeNull()
    expect(await blockedAt(bystander.id)).toBeNull()

    // Already blocked: the first time stays.
    await db
      .updateTable('users')
      .set({ max_blocked_at: '2026-01-01T00:00:00.000Z' })
      .where('id', '=', user.id)
      .execute()
    expect(await conversation({ ...stop, update_type: 'dialog_removed' } as MaxUpdate)).toBeUndefined()
    expect(await blockedAt(user.id)).toBe('2026-01-01T00:00:00.000Z')

    const removed = { ...updateOf(other.stop()), update_type: 'dialog_removed' } as MaxUpdate
    expect(await conversation(removed)).toBeUndefined()
    expect(await blockedAt(bystander.id)).not.toBeNull()
  })
})
