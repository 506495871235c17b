import { afterEach, describe, expect, test } from 'vitest'
import { newTicketTexts, texts } from '#src/bot/texts.ts'
import type { Db } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buttonData, lastSaid as last, sentKeyboard, settledLastSaid } from '../support/bot-people.ts'
import { buildDepartment, buildUser } from '../support/factories.ts'
import type { FakePerson, TgMessage } from '../support/fake-telegram.ts'

/** Journeys of PRODUCT.md §2 against the fake Telegram Bot API server, through long polling and the outbox. */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

async function users(db: Db) {
  return db.selectFrom('users').selectAll().where('role', '=', 'requester').execute()
}

/** Runs /start → consent → phone → name and returns the department picker. */
async function upToDepartments(person: FakePerson, name = 'Иванова Мария Петровна'): Promise<TgMessage> {
  person.command('/start')
  await h.settle()
  const consent = last(person)
  expect(buttonData(consent)).toEqual([callback.consent('yes'), callback.consent('no')])
  person.press(consent.message_id, callback.consent('yes'))
  await h.settle()
  expect(last(person).text).toBe(texts.askPhone)
  person.shareContact({ phone: '89001234567' })
  await h.settle()
  expect(last(person).text).toBe(texts.askName)
  person.send(name)
  await h.settle()
  return last(person)
}

describe('registration through the bot', () => {
  test('a person registers, a curator confirms, the person gets the main menu', async () => {
    h = await botHarness()
    const departments = []
    for (let i = 1; i <= 10; i++)
      departments.push(await buildDepartment(h.db, `Отделение ${String(i).padStart(2, '0')}`))
    const curator = await buildUser(h.db, { role: 'curator', telegramChatId: '5001' })
    h.poll()
    const person = h.fake.user(7001, { username: 'maria' })

    const picker = await upToDepartments(person)
    // 10 departments, 8 a page: the first page, «Далее ›», «Отмена».
    expect(buttonData(picker)).toContain(callback.departmentPage(1))
    expect(buttonData(picker)).toContain(callback.cancel())
    expect(buttonData(picker).filter((d) => d.startsWith('d:pick:'))).toHaveLength(8)
    person.press(picker.message_id, callback.departmentPage(1))
    await h.settle()
    const page2 = h.fake.botMessages(7001).find((m) => m.message_id === picker.message_id)
    expect(page2 && buttonData(page2).filter((d) => d.startsWith('d:pick:'))).toHaveLength(2)
    const chosen = departments[9]
    if (!chosen) throw new Error('no department')
    person.press(picker.message_id, callback.departmentPick(chosen.id))
    await h.settle()
    // The picker is edited: no buttons left to press twice.
    const picked = h.fake.botMessages(7001).find((m) => m.message_id === picker.message_id)
    expect(picked?.reply_markup).toBeUndefined()
    expect(picked?.text).toBe(texts.departmentChosen(chosen.name))
    expect(last(person).text).toBe(texts.askPosition)
    person.send('Медсестра')
    await h.settle()
    expect(last(person).text).toBe(texts.askRoom)
    person.send('Корпус 2, каб. 14')
    await h.settle()
    expect(last(person).text).toBe(texts.registrationSent)

    const [registered] = await users(h.db)
    expect(registered).toMatchObject({
      status: 'pending',
      full_name: 'Иванова Мария Петровна',
      phone: '+79001234567',
      department_id: chosen.id,
      position: 'Медсестра',
      room: 'Корпус 2, каб. 14',
      telegram_chat_id: '7001',
      telegram_username: 'maria',
    })
    if (!registered) throw new Error('not registered')
    const consent = await h.db.selectFrom('consent_records').selectAll().where('user_id', '=', registered.id).execute()
    expect(consent).toHaveLength(1)
    expect(consent[0]).toMatchObject({ user_id: registered.id, status: 'given', channel: 'bot' })
    const evidence = JSON.parse(consent[0]?.evidence ?? '{}') as Record<string, unknown>
    expect(evidence).toEqual({
      update_id: expect.any(Number),
      message_id: expect.any(Number),
      date: expect.any(String),
    })
    expect(await h.db.selectFrom('bot_conversations').selectAll().execute()).toEqual([])

    // The curator's notice, with the two buttons.
    const notice = h.fake.botMessages(5001).at(-1)
    if (!notice) throw new Error('the curator got no notice')
    expect(buttonData(notice)).toEqual([
      callback.registration('ok', registered.id),
      callback.registration('no', registered.id),
    ])
    const curatorChat = h.fake.user(5001)
    const press = curatorChat.press(notice.message_id, callback.registration('ok', registered.id))
    await h.settle()

    expect((await users(h.db))[0]).toMatchObject({ status: 'active', confirmed_by: curator.id })
    expect(h.fake.callbackAnswer(press.callbackQueryId)).toMatchObject({
      text: texts.registrationConfirmedByYou(registered.id),
    })
    const decided = h.fake.botMessages(5001).find((m) => m.message_id === notice.message_id)
    expect(decided?.reply_markup).toBeUndefined()
    expect(decided?.text).toContain(texts.decidedMark(true))
    const told = h.fake.botMessages(7001).slice(-2)
    expect(told[0]?.text).toContain('Ваша регистрация подтверждена')
    expect(told[1]?.text).toBe(texts.mainMenu)
    expect(sentKeyboard(person)).toMatchObject({
      keyboard: [[{ text: 'Новая заявка' }, { text: 'Мои заявки' }], [{ text: 'Помощь' }]],
    })

    const journal = await h.db.selectFrom('audit_log').select(['action', 'actor_id', 'channel', 'subject_id']).execute()
    expect(journal).toEqual(
      expect.arrayContaining([
        { action: 'consent.give', actor_id: null, channel: 'bot', subject_id: registered.id },
        { action: 'user.register', actor_id: null, channel: 'bot', subject_id: registered.id },
        { action: 'user.confirm', actor_id: curator.id, channel: 'bot', subject_id: registered.id },
      ]),
    )
    // Every update is in the inbox once.
    const inbox = await h.db.selectFrom('telegram_inbox').selectAll().execute()
    expect(new Set(inbox.map((r) => Number(r.update_id))).size).toBe(inbox.length)
    expect(inbox.length).toBe(9)
  })

  test('a curator rejects with a reason; the person is told and may /start again', async () => {
    h = await botHarness()
    const department = await buildDepartment(h.db)
    await buildUser(h.db, { role: 'curator', telegramChatId: '5002' })
    h.poll()
    const person = h.fake.user(7002)
    const picker = await upToDepartments(person)
    person.press(picker.message_id, callback.departmentPick(department.id))
    await h.settle()
    person.send('Врач-терапевт')
    await h.settle()
    person.send('Пропустить')
    await h.settle()
    expect(last(person).text).toBe(texts.registrationSent)
    const [registered] = await users(h.db)
    if (!registered) throw new Error('not registered')
    expect(registered.room).toBeNull()

    // A pending person writing anything is told they wait.
    person.send('Здравствуйте, когда подтвердят?')
    await h.settle()
    expect(last(person).text).toBe(texts.awaitingConfirmation)

    const curatorChat = h.fake.user(5002)
    const notice = h.fake.botMessages(5002).at(-1)
    if (!notice) throw new Error('no notice')
    curatorChat.press(notice.message_id, callback.registration('no', registered.id))
    await h.settle()
    expect(last(curatorChat).text).toBe(texts.askRejectionReason)
    curatorChat.send('Не работает в больнице')
    await h.settle()
    expect(last(curatorChat).text).toBe(texts.registrationRejectedByYou(registered.id))
    expect((await users(h.db))[0]).toMatchObject({ status: 'rejected', rejection_reason: 'Не работает в больнице' })
    expect(last(person).text).toContain('Не работает в больнице')

    person.send('А почему?')
    await h.settle()
    expect(last(person).text).toBe(texts.rejected('Не работает в больнице'))
    person.command('/start')
    await h.settle()
    expect(buttonData(last(person))).toEqual([callback.consent('yes'), callback.consent('no')])
  })

  test('a refusal of consent stores nothing but the refusal', async () => {
    h = await botHarness()
    h.poll()
    const person = h.fake.user(7003)
    person.command('/start')
    await h.settle()
    const consent = last(person)
    const press = person.press(consent.message_id, callback.consent('no'))
    await h.settle()

    expect(last(person).text).toBe(texts.consentRefused)
    expect(h.fake.callbackAnswer(press.callbackQueryId)).toBeDefined()
    const edited = h.fake.botMessages(7003).find((m) => m.message_id === consent.message_id)
    expect(edited?.reply_markup).toBeUndefined()
    expect(await h.db.selectFrom('users').selectAll().execute()).toEqual([])
    expect(await h.db.selectFrom('bot_conversations').selectAll().execute()).toEqual([])
    const records = await h.db.selectFrom('consent_records').selectAll().execute()
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ user_id: null, status: 'refused', channel: 'bot' })
    expect(JSON.parse(records[0]?.evidence ?? '{}')).toEqual({
      update_id: press.updateId,
      message_id: consent.message_id,
    })
    // The consent buttons are gone: pressing the old one again changes nothing.
    person.press(consent.message_id, callback.consent('yes'))
    await h.settle()
    expect(await h.db.selectFrom('consent_records').selectAll().execute()).toHaveLength(1)
    expect(await h.db.selectFrom('bot_conversations').selectAll().execute()).toEqual([])
  })

  test('a contact that is not the sender’s own is refused', async () => {
    h = await botHarness()
    h.poll()
    const person = h.fake.user(7004)
    person.command('/start')
    await h.settle()
    person.press(last(person).message_id, callback.consent('yes'))
    await h.settle()
    expect(sentKeyboard(person)).toMatchObject({
      keyboard: [[{ text: 'Поделиться номером', request_contact: true }], [{ text: 'Отмена' }]],
    })
    person.shareContact({ phone: '+79990000000', userId: 424242, firstName: 'Чужой' })
    await h.settle()
    expect(last(person).text).toBe(texts.phoneNotOwn)
    person.send('+79001112233')
    await h.settle()
    expect(last(person).text).toBe(texts.askPhone)
    const state = await h.db.selectFrom('bot_conversations').select('state').executeTakeFirst()
    expect(JSON.parse(state?.state ?? '{}')).toMatchObject({ step: 'phone' })
    expect(JSON.parse(state?.state ?? '{}')).not.toHaveProperty('phone')
    person.shareContact({ phone: '+79001112233' })
    await h.settle()
    expect(last(person).text).toBe(texts.askName)
  })

  test('a restart in the middle of a registration loses nothing', async () => {
    h = await botHarness()
    const department = await buildDepartment(h.db)
    const first = h.poll()
    const person = h.fake.user(7005)
    const picker = await upToDepartments(person)
    await first.stop()

    // A new bot instance (a new process) over the same database.
    await h.newBot()
    h.poll()
    person.press(picker.message_id, callback.departmentPick(department.id))
    await h.settle()
    expect(last(person).text).toBe(texts.askPosition)
    person.send('Старшая медсестра')
    await h.settle()
    person.send('Пропустить')
    await h.settle()
    expect(last(person).text).toBe(texts.registrationSent)
    expect((await users(h.db))[0]).toMatchObject({ status: 'pending', position: 'Старшая медсестра' })
  })

  test('/cancel and «Отмена» clear the dialogue at any step', async () => {
    h = await botHarness()
    await buildDepartment(h.db)
    h.poll()
    const person = h.fake.user(7006)
    const picker = await upToDepartments(person)
    person.press(picker.message_id, callback.cancel())
    await h.settle()
    expect(last(person).text).toBe(texts.registrationCancelled)
    expect(h.fake.botMessages(7006).find((m) => m.message_id === picker.message_id)?.reply_markup).toBeUndefined()
    expect(await h.db.selectFrom('bot_conversations').selectAll().execute()).toEqual([])

    person.command('/start')
    await h.settle()
    person.press(last(person).message_id, callback.consent('yes'))
    await h.settle()
    person.send('Отмена')
    await h.settle()
    expect(last(person).text).toBe(texts.registrationCancelled)
    person.command('/cancel')
    await h.settle()
    expect(last(person).text).toBe(texts.nothingToCancel)
    expect(await users(h.db)).toEqual([])
  })

  test('deactivated and active people get their answers; /help works for everyone', async () => {
    h = await botHarness()
    await buildUser(h.db, { status: 'deactivated', telegramChatId: '7007' })
    await buildUser(h.db, { status: 'active', telegramChatId: '7008' })
    h.poll()
    const off = h.fake.user(7007)
    off.command('/start')
    expect((await settledLastSaid(h, off)).text).toBe(texts.deactivated)
    const active = h.fake.user(7008)
    active.command('/start')
    expect((await settledLastSaid(h, active)).text).toBe(texts.mainMenu)
    active.send('Новая заявка')
    await h.settle()
    // No categories yet: the new-ticket dialogue says so (test/bot/new-ticket.test.ts has the rest).
    expect(last(active).text).toBe(newTicketTexts.noCategories)
    const stranger = h.fake.user(7009)
    stranger.command('/help')
    await h.settle()
    expect(last(stranger).text).toBe(texts.help)
  })
})
