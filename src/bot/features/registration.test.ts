import { afterEach, expect, test } from 'vitest'
import { callback } from '#src/notify/callback-data.ts'
import { type BotHarness, botHarness } from '../../../test/support/bot-harness.ts'
import { lastSaid as last } from '../../../test/support/bot-people.ts'
import { buildDepartment, buildUser } from '../../../test/support/factories.ts'
import { texts } from '../texts.ts'

/**
 * The registration journey on both databases (the journeys in test/bot run on SQLite only): savepoints
 * of the use cases inside the update's transaction, a refused use case that leaves it usable.
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

test('register, be refused a forged confirmation, be confirmed by a curator', async () => {
  h = await botHarness()
  const department = await buildDepartment(h.db)
  const curator = await buildUser(h.db, { role: 'curator', telegramChatId: '6001' })
  const requester = await buildUser(h.db, { role: 'requester', telegramChatId: '6002' })
  h.poll()
  const person = h.fake.user(6100)
  person.command('/start')
  await h.settle()
  person.press(last(person).message_id, callback.consent('yes'))
  await h.settle()
  person.shareContact({ phone: '+7 (900) 111-22-33' })
  await h.settle()
  person.send('Петров Пётр')
  await h.settle()
  person.press(last(person).message_id, callback.departmentPick(department.id))
  await h.settle()
  person.send('Лаборант')
  await h.settle()
  person.send('Пропустить')
  await h.settle()
  expect(last(person).text).toBe(texts.registrationSent)
  const registered = await h.db
    .selectFrom('users')
    .selectAll()
    .where('telegram_chat_id', '=', '6100')
    .executeTakeFirst()
  expect(registered).toMatchObject({ status: 'pending', phone: '+79001112233', room: null })
  if (!registered) throw new Error('not registered')

  // A requester forges the curator's button: refused, journaled, nothing else changes.
  const forged = h.fake.user(6002).press(1, callback.registration('ok', registered.id))
  await h.settle()
  expect(h.fake.callbackAnswer(forged.callbackQueryId)).toMatchObject({ text: texts.notAllowed })
  const denied = await h.db
    .selectFrom('audit_log')
    .select(['actor_id', 'result'])
    .where('action', '=', 'user.confirm')
    .execute()
  expect(denied).toEqual([{ actor_id: requester.id, result: 'denied' }])

  const notice = h.fake.botMessages(6001).at(-1)
  if (!notice) throw new Error('no notice to the curator')
  h.fake.user(6001).press(notice.message_id, callback.registration('ok', registered.id))
  await h.settle()
  const confirmed = await h.db.selectFrom('users').selectAll().where('id', '=', registered.id).executeTakeFirst()
  expect(confirmed).toMatchObject({ status: 'active', confirmed_by: curator.id })
  expect(last(person).text).toBe(texts.mainMenu)
  const consent = await h.db.selectFrom('consent_records').selectAll().where('user_id', '=', registered.id).execute()
  expect(consent).toMatchObject([{ user_id: registered.id, status: 'given' }])
})
