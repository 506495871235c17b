import { describe, expect, test } from 'vitest'
import type { User } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import {
  chatColumns,
  chatIdOf,
  chatKeyOf,
  chatOfUser,
  messengerOf,
  noticeChatOf,
  reachableChats,
  unboundColumns,
} from './chat-key.ts'

/** The chat key of issue 15: one string for a Telegram chat or a MAX dialog, and where a notice goes. */

type Reach = Pick<User, 'telegram_chat_id' | 'telegram_blocked_at' | 'max_user_id' | 'max_blocked_at' | 'messenger'>

const BLOCKED_AT = '2026-12-01T10:00:00.000Z'
const nobody: Reach = {
  telegram_chat_id: null,
  telegram_blocked_at: null,
  max_user_id: null,
  max_blocked_at: null,
  messenger: null,
}
const both = (messenger: Reach['messenger']): Reach => ({
  ...nobody,
  telegram_chat_id: '5001',
  max_user_id: '7000123',
  messenger,
})

describe('chat keys', () => {
  test('a Telegram chat is its id as before; a MAX dialog is the MAX user id with the prefix', () => {
    expect(chatKeyOf('telegram', 5001)).toBe('5001')
    expect(chatKeyOf('telegram', '-100200')).toBe('-100200')
    expect(chatKeyOf('max', 7000123)).toBe('max:7000123')
    expect(chatKeyOf('max', '7000123')).toBe('max:7000123')
  })

  test('messengerOf and chatIdOf read a key back', () => {
    for (const [messenger, id] of [
      ['telegram', '5001'],
      ['telegram', '-100200'],
      ['max', '7000123'],
    ] as const) {
      const key = chatKeyOf(messenger, id)
      expect(messengerOf(key)).toBe(messenger)
      expect(chatIdOf(key)).toBe(id)
    }
    // Only the exact prefix is MAX's.
    expect(messengerOf('MAX:1')).toBe('telegram')
    expect(messengerOf('max1')).toBe('telegram')
  })

  test('chatOfUser: the bound chat of a messenger, blocked or not; null when unbound', () => {
    const person = { telegram_chat_id: '5001', max_user_id: null }
    expect(chatOfUser(person, 'telegram')).toBe('5001')
    expect(chatOfUser(person, 'max')).toBeNull()
    expect(chatOfUser({ telegram_chat_id: null, max_user_id: '42' }, 'max')).toBe('max:42')
  })
})

describe('where a notice goes (noticeChatOf)', () => {
  test('nobody bound, or every chat blocked: nowhere', () => {
    expect(noticeChatOf(nobody)).toBeUndefined()
    expect(reachableChats(nobody)).toEqual({})
    const blocked: Reach = { ...both('max'), telegram_blocked_at: BLOCKED_AT, max_blocked_at: BLOCKED_AT }
    expect(noticeChatOf(blocked)).toBeUndefined()
    expect(noticeChatOf(blocked, 'max')).toBeUndefined()
    expect(noticeChatOf(blocked, 'telegram')).toBeUndefined()
  })

  test('last used: the messenger the person wrote from last', () => {
    expect(noticeChatOf(both('max'))).toBe('max:7000123')
    expect(noticeChatOf(both('telegram'))).toBe('5001')
    expect(noticeChatOf(both('max'), 'last_used')).toBe('max:7000123')
  })

  test('last used unknown: Telegram first, as before MAX; MAX when it is the only one', () => {
    expect(noticeChatOf(both(null))).toBe('5001')
    expect(noticeChatOf({ ...nobody, max_user_id: '9' })).toBe('max:9')
  })

  test('the hospital’s preference wins where the person is reachable there', () => {
    expect(noticeChatOf(both('telegram'), 'max')).toBe('max:7000123')
    expect(noticeChatOf(both('max'), 'telegram')).toBe('5001')
  })

  test('a preferred messenger the person is not reachable in falls back to last used, then to any', () => {
    const onlyTelegram: Reach = { ...nobody, telegram_chat_id: '5001', messenger: 'telegram' }
    expect(noticeChatOf(onlyTelegram, 'max')).toBe('5001')
    const maxBlocked: Reach = { ...both('max'), max_blocked_at: BLOCKED_AT }
    expect(noticeChatOf(maxBlocked, 'max')).toBe('5001')
    expect(noticeChatOf(maxBlocked)).toBe('5001')
    const telegramBlocked: Reach = { ...both('telegram'), telegram_blocked_at: BLOCKED_AT }
    expect(noticeChatOf(telegramBlocked, 'telegram')).toBe('max:7000123')
    expect(noticeChatOf(telegramBlocked)).toBe('max:7000123')
  })
})

describe('binding a person to a chat (chatColumns, unboundColumns)', () => {
  test('the fields for each messenger: the id, the block cleared, the messenger as last used', () => {
    expect(chatColumns('max:7000123')).toEqual({ max_user_id: '7000123', max_blocked_at: null, messenger: 'max' })
    expect(chatColumns('5001', 'ivanova')).toEqual({
      telegram_chat_id: '5001',
      telegram_username: 'ivanova',
      telegram_blocked_at: null,
      messenger: 'telegram',
    })
    expect(chatColumns('5001')).toMatchObject({ telegram_username: null })
  })

  test('written to a users row, they bind the person in MAX beside Telegram and clear a block there', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db, { telegramChatId: '5001' })
    await db
      .updateTable('users')
      .set({ max_user_id: '7000123', max_blocked_at: BLOCKED_AT, messenger: 'telegram' })
      .where('id', '=', user.id)
      .execute()
    await db.updateTable('users').set(chatColumns('max:7000123')).where('id', '=', user.id).execute()
    const bound = await db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(bound).toMatchObject({
      telegram_chat_id: '5001',
      max_user_id: '7000123',
      max_blocked_at: null,
      messenger: 'max',
    })
    expect(noticeChatOf(bound)).toBe('max:7000123')

    await db.updateTable('users').set(unboundColumns('max')).where('id', '=', user.id).execute()
    const unbound = await db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(unbound).toMatchObject({ telegram_chat_id: '5001', max_user_id: null, max_blocked_at: null })
    // The last-used messenger is gone: the notice goes where the person still is.
    expect(noticeChatOf(unbound)).toBe('5001')
  })
})
