import fc from 'fast-check'
import type { Update } from 'grammy/types'
import { expect, test } from 'vitest'
import { callback } from '#src/notify/callback-data.ts'
import { botHarness } from '../support/bot-harness.ts'
import { buildDepartment, buildUser } from '../support/factories.ts'

/**
 * Odd updates straight into the applier: unknown fields, missing fields, wrong types, long texts,
 * group and channel chats, spoofed senders. None may throw; none outside a private chat may change
 * anything; nobody gets registered by accident.
 */

const chatIds = [9101, 9102, 9103, -100500]
const texts = fc.oneof(
  fc.constantFrom('/start', '/cancel', '/help', '/new', 'Отмена', 'Пропустить', 'Помощь', 'Иванов Иван', ''),
  fc.string({ maxLength: 50 }),
  fc.string({ minLength: 4096, maxLength: 5000 }),
)
const data = fc.oneof(
  fc.constantFrom(
    callback.consent('yes'),
    callback.consent('no'),
    callback.departmentPage(1),
    callback.departmentPick(1),
    callback.registration('ok', 1),
    callback.registration('no', 2),
    callback.cancel(),
    't:take:1',
  ),
  fc.string({ maxLength: 70 }),
)
const chat = fc.record({
  id: fc.constantFrom(...chatIds),
  type: fc.constantFrom('private', 'private', 'group', 'supergroup', 'channel'),
})
const odd = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.string(), fc.object())

const message = fc.record(
  {
    message_id: fc.oneof(fc.integer({ min: 1, max: 1000 }), odd),
    date: fc.integer({ min: 0, max: 2_000_000_000 }),
    chat,
    from: fc.record({ id: fc.constantFrom(...chatIds, 42), is_bot: fc.boolean(), first_name: fc.string() }),
    text: fc.oneof(texts, odd),
    contact: fc.record({
      phone_number: fc.oneof(fc.string(), odd),
      user_id: fc.oneof(fc.constantFrom(...chatIds), odd),
    }),
    entities: fc.constant([{ type: 'bot_command', offset: 0, length: 6 }]),
    unknown_field: odd,
  },
  { requiredKeys: [] },
)
const update = fc.oneof(
  fc.record({ message }),
  fc.record({ edited_message: message }),
  fc.record({ channel_post: message }),
  fc.record({
    callback_query: fc.record(
      {
        id: fc.string({ minLength: 1 }),
        from: fc.record({ id: fc.constantFrom(...chatIds), is_bot: fc.constant(false), first_name: fc.string() }),
        message: fc.record({ message_id: fc.integer({ min: 1, max: 1000 }), date: fc.integer({ min: 0 }), chat }),
        data: fc.oneof(data, odd),
        chat_instance: fc.string(),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), odd, { maxKeys: 3 }),
)

test('300 odd updates: no throw, nothing changed outside private chats, nobody registered', async () => {
  const h = await botHarness()
  try {
    await buildDepartment(h.db)
    await buildUser(h.db, { role: 'curator', telegramChatId: '9103' })
    let nextId = 1
    const samples = fc.sample(update, { numRuns: 300, seed: 20261126 })
    for (const sample of samples) {
      const u = { ...(sample as Record<string, unknown>), update_id: nextId++ } as unknown as Update
      const before = await h.db.selectFrom('outbox').select('id').execute()
      const outcome = await h.applier.apply(u)
      expect(outcome).toBe('applied')
      const privateChat = ['message', 'callback_query'].some((key) => {
        const value = (
          u as unknown as Record<string, { chat?: { type?: unknown }; message?: { chat?: { type?: unknown } } }>
        )[key]
        return (value?.chat ?? value?.message?.chat)?.type === 'private'
      })
      if (!privateChat) expect(await h.db.selectFrom('outbox').select('id').execute()).toEqual(before)
    }
    const inbox = await h.db.selectFrom('telegram_inbox').select('kind').execute()
    expect(inbox).toHaveLength(300)
    expect(inbox.filter((r) => r.kind.startsWith('failed:'))).toEqual([])
    expect(await h.db.selectFrom('users').select('id').where('role', '=', 'requester').execute()).toEqual([])
  } finally {
    await h.close()
  }
})
