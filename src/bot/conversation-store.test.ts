import { beforeAll, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { setClock } from '#src/db/time.ts'
import { testDatabase } from '../../test/support/database.ts'
import {
  CONVERSATION_TTL_MS,
  clearConversation,
  deleteExpiredConversations,
  loadConversation,
  saveConversation,
} from './conversation-store.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

test('a state is saved, read back, replaced and cleared', async () => {
  expect(await loadConversation(db, '1')).toBeUndefined()
  await saveConversation(db, '1', { flow: 'registration', step: 'consent', consentTextId: 1 })
  expect(await loadConversation(db, '1')).toEqual({ flow: 'registration', step: 'consent', consentTextId: 1 })
  await saveConversation(db, '1', { flow: 'reject_reason', userId: 5, noticeMessageId: 9 })
  expect(await loadConversation(db, '1')).toEqual({ flow: 'reject_reason', userId: 5, noticeMessageId: 9 })
  await clearConversation(db, '1')
  expect(await loadConversation(db, '1')).toBeUndefined()
})

test('a state expires 24 hours after its last step, and is then deleted', async () => {
  const start = Date.parse('2026-11-26T08:00:00.000Z')
  let t = start
  const restore = setClock(() => new Date(t))
  try {
    await saveConversation(db, '2', { flow: 'registration', step: 'name', consentTextId: 1, phone: '+79000000000' })
    t = start + CONVERSATION_TTL_MS - 1000
    expect(await loadConversation(db, '2')).toMatchObject({ step: 'name' })
    // Each step starts the 24 hours again.
    await saveConversation(db, '2', { flow: 'registration', step: 'department', consentTextId: 1 })
    t += CONVERSATION_TTL_MS - 1000
    expect(await loadConversation(db, '2')).toMatchObject({ step: 'department' })
    t += 2000
    expect(await loadConversation(db, '2')).toBeUndefined()
    expect(await db.selectFrom('bot_conversations').selectAll().where('chat_id', '=', '2').execute()).toEqual([])

    await saveConversation(db, '3', { flow: 'registration', step: 'phone', consentTextId: 1 })
    t += CONVERSATION_TTL_MS + 1
    expect(await deleteExpiredConversations(db)).toBe(1)
  } finally {
    restore()
  }
})

test('an unreadable state is treated as absent and deleted', async () => {
  const at = new Date().toISOString()
  const future = new Date(Date.now() + 60_000).toISOString()
  await db
    .insertInto('bot_conversations')
    .values([
      { chat_id: '4', state: '{not json', expires_at: future, updated_at: at },
      { chat_id: '5', state: JSON.stringify({ flow: 'unknown_flow' }), expires_at: future, updated_at: at },
      {
        chat_id: '6',
        state: JSON.stringify({ flow: 'registration', step: 'nowhere', consentTextId: 1 }),
        expires_at: future,
        updated_at: at,
      },
    ])
    .execute()
  for (const chat of ['4', '5', '6']) expect(await loadConversation(db, chat)).toBeUndefined()
  expect(
    await db.selectFrom('bot_conversations').selectAll().where('chat_id', 'in', ['4', '5', '6']).execute(),
  ).toEqual([])
})

test('saving refuses a state that does not match its flow', async () => {
  await expect(
    saveConversation(db, '7', { flow: 'registration', step: 'consent', consentTextId: -1 }),
  ).rejects.toThrow()
})
