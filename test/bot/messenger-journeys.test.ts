import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { afterEach, describe, expect, test } from 'vitest'
import { storedFilePath } from '#src/attachments/file-store.ts'
import { buttons, conversationTexts, newTicketTexts, texts } from '#src/bot/texts.ts'
import type { Db, Messenger, User } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { setSetting } from '#src/settings/settings.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { actorFromUser, systemActor } from '#src/users/actor.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../support/factories.ts'
import { type MessengerDriver, messengerDriver, type SeenMessage } from '../support/messenger-people.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * The same journeys in Telegram and in MAX (issue 15): what the person sees in their messenger and what the
 * database holds, through each messenger's fake server, inbox, conversation mapping and outbox channel.
 */

const drivers: MessengerDriver[] = []
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close()
})

async function driverFor(name: Messenger, db: Db): Promise<MessengerDriver> {
  const driver = await messengerDriver(name, { db })
  drivers.push(driver)
  return driver
}

/** An active person of this messenger (no chat of the other one), consented as registration leaves them. */
async function personIn(m: MessengerDriver, id: number, fullName: string, role: User['role'] = 'requester') {
  const user = await buildUser(m.db, { role, fullName, telegramChatId: null, consent: true })
  await m.bind(user.id, id)
  return { user, person: m.person(id) }
}

function dataOf(message: SeenMessage): string[] {
  return message.buttons.flatMap((b) => (b.data !== undefined ? [b.data] : []))
}

async function ticketRow(db: Db, id: number) {
  return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

/** A photo's bytes that no other photo of the run has. */
function photoBytes(tag: string): Buffer {
  const bytes = Buffer.alloc(20_000, 0x20)
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(bytes, 0)
  Buffer.from(` ${tag} `).copy(bytes, 4)
  bytes[bytes.length - 2] = 0xff
  bytes[bytes.length - 1] = 0xd9
  return bytes
}

const messengers: readonly Messenger[] = ['telegram', 'max']
const cases = botDialects.flatMap((dialect) => messengers.map((messenger) => ({ dialect, messenger })))

describe.each(cases)('$messenger on $dialect', ({ dialect, messenger }) => {
  const chatColumn = messenger === 'max' ? 'max_user_id' : 'telegram_chat_id'
  const otherColumn = messenger === 'max' ? 'telegram_chat_id' : 'max_user_id'

  test('registration: consent → own phone (a foreign one refused) → name → department → position → room → confirmed', async () => {
    const m = await driverFor(messenger, await databaseFor(dialect))
    const department = await buildDepartment(m.db, 'Хирургическое отделение')
    await buildCategory(m.db, { name: 'Оргтехника' })
    const { user: curator, person: curatorChat } = await personIn(m, 5001, 'Куратор Ольга', 'curator')
    m.poll()
    const person = m.person(7001, { firstName: 'Мария' })

    person.start()
    await m.settle()
    const consent = person.last()
    expect(dataOf(consent)).toEqual([callback.consent('yes'), callback.consent('no')])
    person.press(consent.ref, callback.consent('yes'))
    await m.settle()
    expect(person.lastText()).toBe(texts.askPhone)
    expect(person.menu()).toEqual([buttons.sharePhone, buttons.cancel])

    person.shareContact('+79990000000', { own: false })
    await m.settle()
    expect(person.lastText()).toBe(texts.phoneNotOwn)
    person.shareContact('89001234567')
    await m.settle()
    expect(person.lastText()).toBe(texts.askName)
    person.send('Иванова Мария Петровна')
    await m.settle()
    expect(dataOf(person.last())).toContain(callback.departmentPick(department.id))
    person.press(person.last().ref, callback.departmentPick(department.id))
    await m.settle()
    expect(person.lastText()).toBe(texts.askPosition)
    person.send('Медсестра')
    await m.settle()
    expect(person.lastText()).toBe(texts.askRoom)
    person.send('Корпус 2, каб. 14')
    await m.settle()
    expect(person.lastText()).toBe(texts.registrationSent)

    const registered = await m.db
      .selectFrom('users')
      .selectAll()
      .where('role', '=', 'requester')
      .executeTakeFirstOrThrow()
    expect(registered).toMatchObject({
      status: 'pending',
      full_name: 'Иванова Мария Петровна',
      phone: '+79001234567',
      department_id: department.id,
      position: 'Медсестра',
      room: 'Корпус 2, каб. 14',
      [chatColumn]: '7001',
      [otherColumn]: null,
      messenger,
    })

    // The curator is told in their messenger and confirms with the button.
    const notice = curatorChat.find('Иванова Мария Петровна')
    expect(dataOf(notice)).toEqual([
      callback.registration('ok', registered.id),
      callback.registration('no', registered.id),
    ])
    const press = curatorChat.press(notice.ref, callback.registration('ok', registered.id))
    await m.settle()
    expect(press.answer()).toBe(texts.registrationConfirmedByYou(registered.id))
    expect(await m.db.selectFrom('users').selectAll().where('id', '=', registered.id).executeTakeFirst()).toMatchObject(
      { status: 'active', confirmed_by: curator.id },
    )
    const told = person.messages().slice(-2)
    expect(told[0]?.text).toContain('Ваша регистрация подтверждена')
    expect(told[1]?.text).toBe(texts.mainMenu)
    expect(person.menu()).toEqual([buttons.newTicket, buttons.myTickets, buttons.help])
    person.pressButton(buttons.newTicket)
    await m.settle()
    expect(person.lastText()).toBe(newTicketTexts.askCategory)
    // Each update is in its messenger's inbox, and none in the other's.
    const inboxes = {
      telegram: (await m.db.selectFrom('telegram_inbox').select('kind').execute()).length,
      max: (await m.db.selectFrom('max_inbox').select('kind').execute()).length,
    }
    expect(inboxes[messenger]).toBe(10)
    expect(inboxes[messenger === 'max' ? 'telegram' : 'max']).toBe(0)
  })

  test('a new ticket with a photo: the ticket, its source and the photo’s bytes', async () => {
    const m = await driverFor(messenger, await databaseFor(dialect))
    const category = await buildCategory(m.db, { name: 'Оргтехника', defaultPriority: 'low' })
    const { user, person } = await personIn(m, 7101, 'Иванова Мария')
    m.poll()

    // The main menu's «Новая заявка» (a reply keyboard's button in Telegram, a message button in MAX) sends its text.
    person.send(buttons.newTicket)
    await m.settle()
    expect(person.lastText()).toBe(newTicketTexts.askCategory)
    expect(dataOf(person.last())).toContain(callback.category(category.id))
    person.press(person.last().ref, callback.category(category.id))
    await m.settle()
    expect(person.lastText()).toBe(newTicketTexts.askDescription)

    const photo = photoBytes(`${messenger}-${dialect}`)
    person.sendPhoto({ caption: 'Монитор мигает', content: photo })
    await m.settle()
    const question = person.last()
    expect(question.text).toBe(newTicketTexts.askUrgency)
    person.press(question.ref, callback.urgency('high'))
    await m.settle()

    const tickets = await m.db.selectFrom('tickets').selectAll().execute()
    expect(tickets).toHaveLength(1)
    const ticket = tickets[0]
    if (!ticket) throw new Error('no ticket')
    expect(ticket).toMatchObject({
      description: 'Монитор мигает',
      category_id: category.id,
      priority: 'high',
      requester_id: user.id,
      source: messenger,
    })
    const files = await m.db.selectFrom('attachments').selectAll().where('ticket_id', '=', ticket.id).execute()
    expect(files).toHaveLength(1)
    const stored = await readFile(storedFilePath(m.config.dataDir, files[0]?.sha256 ?? ''))
    expect(stored.equals(photo)).toBe(true)
    expect(files[0]?.sha256).toBe(createHash('sha256').update(photo).digest('hex'))
    expect(person.find('✅ Заявка создана.').text).toBe(newTicketTexts.created(`Заявка № ${ticket.id} · Новая`, 1))
    expect(await m.db.selectFrom('bot_conversations').selectAll().execute()).toEqual([])
  })

  test('IT replies on the web → the notice in the messenger → a reply to it lands on the ticket → resolved → confirmed → rated', async () => {
    const m = await driverFor(messenger, await databaseFor(dialect))
    const { user: requester, person } = await personIn(m, 7201, 'Иванова Мария')
    // The executor works on the web only: everything the bot says here is said to the requester.
    const executor = await buildUser(m.db, { role: 'executor', fullName: 'Петров Пётр', telegramChatId: null })
    const group = await buildGroup(m.db, 'Сети', [executor.id])
    const category = await buildCategory(m.db, { name: 'Сеть', defaultGroupId: group.id })
    m.poll()
    const filed = await createTicket(m.db, actorFromUser(requester, 'web'), {
      description: 'Нет сети в кабинете 214',
      categoryId: category.id,
    })
    const n = filed.id
    // A second open ticket, written on after the first: a message that is not a reply would be asked about.
    const other = (
      await createTicket(m.db, actorFromUser(requester, 'web'), {
        description: 'Не звонит телефон',
        categoryId: category.id,
      })
    ).id
    const staff = actorFromUser(executor, 'web')
    await takeTicket(m.db, staff, { ticketId: n })
    await takeTicket(m.db, staff, { ticketId: other })
    await addMessage(m.db, staff, { ticketId: n, body: 'Горит ли лампочка на розетке?', internal: false })
    await addMessage(m.db, staff, { ticketId: other, body: 'Какой номер у телефона?', internal: false })
    await m.settle()

    const question = person.find(`Заявка № ${n}`, 'Горит ли лампочка на розетке?')
    expect(question.text).toContain('Сообщение от Петров Пётр')
    expect(dataOf(question)).toEqual([callback.ticket('reply', n)])
    const outbox = await m.db.selectFrom('outbox').select(['channel', 'recipient']).where('ticket_id', '=', n).execute()
    expect(new Set(outbox.map((r) => `${r.channel} ${r.recipient}`))).toEqual(
      new Set([`${messenger} ${m.chatKey(7201)}`]),
    )

    person.send('Не горит', { replyTo: question.ref })
    await m.settle()
    const onOther = await m.db.selectFrom('ticket_messages').select('body').where('ticket_id', '=', other).execute()
    expect(onOther.map((r) => r.body)).toEqual(['Какой номер у телефона?'])
    const messages = await m.db
      .selectFrom('ticket_messages')
      .select(['body', 'author_id', 'kind', 'source'])
      .where('ticket_id', '=', n)
      .orderBy('id')
      .execute()
    // The message keeps the messenger it was written in, as the ticket does.
    const messageSource = messenger
    expect(messages.at(-1)).toEqual({
      body: 'Не горит',
      author_id: requester.id,
      kind: 'external',
      source: messageSource,
    })
    expect(person.lastText()).toBe(`Заявка № ${n} · В работе\n${conversationTexts.messageFiled(0)}`)

    await changeStatus(m.db, staff, { ticketId: n, status: 'resolved', resolution: 'Заменён патч-корд' })
    await m.settle()
    const resolved = person.last()
    expect(resolved.text).toBe(
      `Заявка № ${n} · Решена\n✅ Работы по заявке завершены.\nРезультат: Заменён патч-корд\nПодтвердите, пожалуйста, что проблема решена.`,
    )
    expect(resolved.buttons.map((b) => b.text)).toEqual(['Подтверждаю', 'Не решено'])
    expect(dataOf(resolved)).toEqual([callback.ticket('confirm', n), callback.ticket('reopen', n)])

    const confirm = person.press(resolved.ref, callback.ticket('confirm', n))
    await m.settle()
    expect(confirm.answer()).toBe(conversationTexts.confirmedAnswer)
    expect(await ticketRow(m.db, n)).toMatchObject({ status: 'closed' })
    const confirmed = person.messages().find((msg) => msg.ref === resolved.ref)
    expect(confirmed?.text.split('\n')[0]).toBe(`Заявка № ${n} · Закрыта`)
    expect(confirmed?.buttons).toEqual([])
    const rating = person.find('Оцените, пожалуйста')
    expect(dataOf(rating)).toEqual([1, 2, 3, 4, 5].map((s) => callback.rate(n, s)))

    person.press(rating.ref, callback.rate(n, 5))
    await m.settle()
    expect(await ticketRow(m.db, n)).toMatchObject({ rating: 5 })
    expect(person.messages().find((msg) => msg.ref === rating.ref)?.text).toBe(
      `Заявка № ${n} · Закрыта\n${conversationTexts.rated(5)}\n${conversationTexts.askRatingComment}`,
    )
    person.send('Быстро и вежливо, спасибо')
    await m.settle()
    expect(await ticketRow(m.db, n)).toMatchObject({ rating: 5, rating_comment: 'Быстро и вежливо, спасибо' })
    expect(person.lastText()).toBe(`Заявка № ${n} · Закрыта\n${conversationTexts.ratingCommentSaved}`)
    expect(await m.db.selectFrom('bot_conversations').selectAll().execute()).toEqual([])
  })

  test('«Ответить» under a question, then «Не решено»: each next message lands on the ticket', async () => {
    const m = await driverFor(messenger, await databaseFor(dialect))
    const { user: requester, person } = await personIn(m, 7301, 'Иванова Мария')
    const executor = await buildUser(m.db, { role: 'executor', fullName: 'Петров Пётр', telegramChatId: null })
    const category = await buildCategory(m.db, { name: 'МИС' })
    m.poll()
    const n = (
      await createTicket(m.db, actorFromUser(requester, 'web'), {
        description: 'Не открывается МИС',
        categoryId: category.id,
      })
    ).id
    // A second open ticket: a message after «Ответить» / «Не решено» must not be asked about.
    await createTicket(m.db, actorFromUser(requester, 'web'), {
      description: 'Не звонит телефон',
      categoryId: category.id,
    })
    const staff = actorFromUser(executor, 'web')
    await takeTicket(m.db, staff, { ticketId: n })
    await addMessage(m.db, staff, { ticketId: n, body: 'Какая ошибка на экране?', internal: false })
    await changeStatus(m.db, staff, { ticketId: n, status: 'waiting' })
    await m.settle()
    const lastBody = async () =>
      (
        await m.db
          .selectFrom('ticket_messages')
          .select(['body', 'author_id'])
          .where('ticket_id', '=', n)
          .orderBy('id', 'desc')
          .executeTakeFirstOrThrow()
      ).body

    const question = person.find('Какая ошибка на экране?')
    expect(question.buttons).toEqual([{ text: 'Ответить', data: callback.ticket('reply', n) }])
    person.pressButton('Ответить')
    await m.settle()
    expect(person.lastText()).toBe(`Заявка № ${n} · Ожидает ответа\n${conversationTexts.writeReply}`)
    person.send('Ошибка 500')
    await m.settle()
    expect(await lastBody()).toBe('Ошибка 500')
    expect((await ticketRow(m.db, n)).status).toBe('in_progress')

    await changeStatus(m.db, staff, { ticketId: n, status: 'resolved', resolution: 'Перезапущен сервер' })
    await m.settle()
    const resolved = person.last()
    person.pressButton('Не решено')
    await m.settle()
    expect(await ticketRow(m.db, n)).toMatchObject({ status: 'in_progress', resolved_at: null })
    const reopened = person.messages().find((msg) => msg.ref === resolved.ref)
    expect(reopened?.text).toContain(conversationTexts.reopenedMark)
    expect(reopened?.buttons).toEqual([])
    expect(person.lastText()).toBe(`Заявка № ${n} · В работе\n${conversationTexts.askWhatIsWrong}`)
    person.send('Всё так же ошибка 500')
    await m.settle()
    expect(await lastBody()).toBe('Всё так же ошибка 500')
  })
})

describe.each(botDialects)('Telegram and MAX over one database (%s)', (dialect) => {
  /** The chats the notices of this ticket were queued for. */
  async function noticeChats(db: Db, ticketId: number): Promise<string[]> {
    const rows = await db
      .selectFrom('outbox')
      .select('recipient')
      .where('ticket_id', '=', ticketId)
      .where('kind', '=', 'ticket_created')
      .execute()
    return rows.map((r) => r.recipient)
  }

  test('each person is told where they wrote from; one in both, where they wrote last or where the hospital prefers', async () => {
    const tg = await driverFor('telegram', await databaseFor(dialect))
    const max = await driverFor('max', tg.db)
    const db = tg.db
    const category = await buildCategory(db, { name: 'Сеть' })
    const settle = async () => {
      await tg.settle()
      await max.settle()
    }
    tg.poll()
    max.poll()
    const { user: inTelegram, person: telegramPerson } = await personIn(tg, 7301, 'Иванова Мария')
    const { user: inMax, person: maxPerson } = await personIn(max, 9301, 'Сидорова Анна')
    const both = await buildUser(db, { fullName: 'Петрова Елена', telegramChatId: '7302' })
    await max.bind(both.id, 9302)
    const bothInTelegram = tg.person(7302)
    const bothInMax = max.person(9302)
    const file = async (user: User, description: string) => {
      const ticket = await createTicket(db, actorFromUser(user, 'web'), { description, categoryId: category.id })
      await settle()
      return ticket.id
    }

    const a = await file(inTelegram, 'Не печатает принтер')
    const b = await file(inMax, 'Не открывается МИС')
    expect(await noticeChats(db, a)).toEqual([tg.chatKey(7301)])
    expect(await noticeChats(db, b)).toEqual([max.chatKey(9301)])
    expect(telegramPerson.lastText()).toContain(`Заявка № ${a} · Новая`)
    expect(maxPerson.lastText()).toContain(`Заявка № ${b} · Новая`)

    // Linked to both: the one they wrote from last.
    bothInMax.send(buttons.help)
    await settle()
    expect(await db.selectFrom('users').select('messenger').where('id', '=', both.id).executeTakeFirst()).toEqual({
      messenger: 'max',
    })
    const c1 = await file(both, 'Сломалась мышь')
    expect(await noticeChats(db, c1)).toEqual([max.chatKey(9302)])
    expect(bothInMax.lastText()).toContain(`Заявка № ${c1} · Новая`)

    bothInTelegram.send(buttons.help)
    await settle()
    const c2 = await file(both, 'Сломалась клавиатура')
    expect(await noticeChats(db, c2)).toEqual([tg.chatKey(7302)])
    expect(bothInTelegram.lastText()).toContain(`Заявка № ${c2} · Новая`)
    expect(bothInMax.messages().some((msg) => msg.text.includes(`Заявка № ${c2}`))).toBe(false)

    // The hospital prefers MAX: there, though they wrote from Telegram last.
    await setSetting(db, systemActor(), 'messenger.preferred', 'max')
    const c3 = await file(both, 'Не работает сканер')
    expect(await noticeChats(db, c3)).toEqual([max.chatKey(9302)])
    expect(bothInMax.lastText()).toContain(`Заявка № ${c3} · Новая`)
    expect(bothInTelegram.messages().some((msg) => msg.text.includes(`Заявка № ${c3}`))).toBe(false)
    // …and a person in one messenger only is still told there.
    const a2 = await file(inTelegram, 'Не печатает принтер снова')
    expect(await noticeChats(db, a2)).toEqual([tg.chatKey(7301)])
    expect(telegramPerson.lastText()).toContain(`Заявка № ${a2} · Новая`)
  })
})
