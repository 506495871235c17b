import { afterEach, describe, expect, test } from 'vitest'
import { conversationTexts } from '#src/bot/texts.ts'
import type { Db, Ticket, User } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { setSetting } from '#src/settings/settings.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buttonData, lastSaid as last, sentKeyboard, ticketPeople } from '../support/bot-people.ts'
import { buildUser } from '../support/factories.ts'
import type { FakePerson, TgMessage } from '../support/fake-telegram.ts'
import { botDialects, type Dialect, databaseFor } from './dialects.ts'

/**
 * The two-way conversation of PRODUCT.md §4 against the fake Telegram server: where a requester's
 * messages land (a reply, «Ответить», a free message), their files, and «Мои заявки».
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

const REQUESTER_CHAT = 7101
const EXECUTOR_CHAT = 5101

interface World {
  requester: User
  executor: User
  person: FakePerson
  categoryId: number
}

async function world(dialect: Dialect): Promise<World> {
  h = await botHarness({ db: await databaseFor(dialect) })
  const { requester, executors, categoryId } = await ticketPeople(
    h.db,
    { requester: REQUESTER_CHAT, executors: [EXECUTOR_CHAT] },
    { group: 'Оргтехника', category: 'Принтеры' },
  )
  h.poll()
  return { requester, executor: executors[0] as User, person: h.fake.user(REQUESTER_CHAT), categoryId }
}

/** A ticket filed by the requester and taken by the executor, as the web would do it. */
async function takenTicket(w: World, description: string): Promise<Ticket> {
  const ticket = await createTicket(h.db, actorFromUser(w.requester, 'web'), { description, categoryId: w.categoryId })
  return takeTicket(h.db, actorFromUser(w.executor, 'web'), { ticketId: ticket.id })
}

async function staffWrites(w: World, ticketId: number, body: string): Promise<void> {
  await addMessage(h.db, actorFromUser(w.executor, 'web'), { ticketId, body, internal: false })
}

/** The bot's message in the chat whose text contains every fragment (the newest such). */
function botMessage(person: FakePerson, ...fragments: string[]): TgMessage {
  const found = person
    .botMessages()
    .filter((m) => fragments.every((f) => m.text?.includes(f)))
    .at(-1)
  if (!found) throw new Error(`no bot message with ${fragments.join(' / ')}`)
  return found
}

async function externalMessages(db: Db, ticketId: number) {
  return db
    .selectFrom('ticket_messages')
    .select(['id', 'body', 'author_id', 'kind', 'source'])
    .where('ticket_id', '=', ticketId)
    .orderBy('id')
    .execute()
}

async function attachmentsOf(db: Db, messageId: number) {
  return db.selectFrom('attachments').selectAll().where('message_id', '=', messageId).execute()
}

async function conversationRow(db: Db) {
  return db.selectFrom('bot_conversations').selectAll().where('chat_id', '=', String(REQUESTER_CHAT)).execute()
}

describe.each(botDialects)('where a requester’s message lands (%s)', (dialect) => {
  test('with two open tickets: a reply, «Ответить», and a free message each land where the person meant', async () => {
    const w = await world(dialect)
    const first = await takenTicket(w, 'Не печатает принтер в ординаторской')
    const second = await takenTicket(w, 'Не открывается МИС')
    await staffWrites(w, first.id, 'Какая модель принтера?')
    await staffWrites(w, second.id, 'Перезагрузите, пожалуйста, компьютер.')
    await h.settle()

    // A Telegram reply to the notice of the first ticket lands on the first.
    const firstNotice = botMessage(w.person, `Заявка № ${first.id}`, 'Какая модель принтера?')
    expect(buttonData(firstNotice)).toEqual([callback.ticket('reply', first.id)])
    w.person.replyTo(firstNotice.message_id, 'HP LaserJet 1020')
    await h.settle()
    expect((await externalMessages(h.db, first.id)).at(-1)).toMatchObject({
      body: 'HP LaserJet 1020',
      author_id: w.requester.id,
      kind: 'external',
      source: 'telegram',
    })
    expect(last(w.person).text).toBe(`Заявка № ${first.id} · В работе\n${conversationTexts.messageFiled(0)}`)
    // The executor is told, with the text.
    expect(h.fake.botMessages(EXECUTOR_CHAT).at(-1)?.text).toContain('HP LaserJet 1020')

    // «Ответить» under the second ticket's notice: the next message lands on the second.
    const secondNotice = botMessage(w.person, `Заявка № ${second.id}`, 'Перезагрузите')
    w.person.press(secondNotice.message_id, callback.ticket('reply', second.id))
    await h.settle()
    expect(last(w.person).text).toBe(`Заявка № ${second.id} · В работе\n${conversationTexts.writeReply}`)
    w.person.send('Перезагрузил, не помогло')
    await h.settle()
    expect((await externalMessages(h.db, second.id)).at(-1)).toMatchObject({
      body: 'Перезагрузил, не помогло',
      author_id: w.requester.id,
    })
    expect(await conversationRow(h.db)).toEqual([])

    // A free message: never a guess — the bot asks, keeping the message until the person picks.
    const before = (await externalMessages(h.db, first.id)).length + (await externalMessages(h.db, second.id)).length
    w.person.send('И ещё: сканер тоже не работает')
    await h.settle()
    const question = last(w.person)
    expect(question.text).toBe(conversationTexts.whichTicket)
    expect(buttonData(question)).toEqual([
      callback.ticket('file', second.id),
      callback.ticket('file', first.id),
      callback.cancel(),
    ])
    expect((await externalMessages(h.db, first.id)).length + (await externalMessages(h.db, second.id)).length).toBe(
      before,
    )
    const press = w.person.press(question.message_id, callback.ticket('file', first.id))
    await h.settle()
    expect((await externalMessages(h.db, first.id)).at(-1)).toMatchObject({
      body: 'И ещё: сканер тоже не работает',
      author_id: w.requester.id,
    })
    expect(h.fake.callbackAnswer(press.callbackQueryId)).toMatchObject({ text: conversationTexts.filedOn(first.id) })
    const answered = w.person.botMessages().find((m) => m.message_id === question.message_id)
    // The question became the acknowledgement, with the ticket's number and status.
    expect(answered?.text).toBe(`Заявка № ${first.id} · В работе\n${conversationTexts.messageFiled(0)}`)
    expect(answered?.reply_markup).toBeUndefined()
    expect(await conversationRow(h.db)).toEqual([])

    // The old question's button, pressed again, files nothing a second time.
    const count = (await externalMessages(h.db, first.id)).length
    w.person.press(question.message_id, callback.ticket('file', first.id))
    await h.settle()
    expect(await externalMessages(h.db, first.id)).toHaveLength(count)

    // A reply to the bot's own acknowledgement lands on that ticket too (every message about N counts).
    const ack = botMessage(w.person, `Заявка № ${second.id}`, conversationTexts.messageFiled(0))
    w.person.replyTo(ack.message_id, 'Теперь заработало')
    await h.settle()
    expect((await externalMessages(h.db, second.id)).at(-1)?.body).toBe('Теперь заработало')
  })

  test('with no open ticket a free message is not filed anywhere: the person is offered a new ticket', async () => {
    const w = await world(dialect)
    w.person.send('Здравствуйте, у меня не работает телефон')
    await h.settle()
    expect(last(w.person).text).toBe(conversationTexts.noOpenTickets)
    expect(sentKeyboard(w.person)).toMatchObject({
      keyboard: [[{ text: 'Новая заявка' }, { text: 'Мои заявки' }], [{ text: 'Помощь' }]],
    })
    expect(await h.db.selectFrom('ticket_messages').selectAll().execute()).toEqual([])
    expect(await h.db.selectFrom('tickets').selectAll().execute()).toEqual([])
    expect(await conversationRow(h.db)).toEqual([])
  })

  test('a photo sent as a reply becomes an attachment of the message; an album becomes one message', async () => {
    const w = await world(dialect)
    const ticket = await takenTicket(w, 'Ошибка при печати')
    await staffWrites(w, ticket.id, 'Пришлите, пожалуйста, фото ошибки.')
    await h.settle()
    const notice = botMessage(w.person, `Заявка № ${ticket.id}`, 'фото ошибки')

    w.person.sendPhoto({ replyTo: notice.message_id, caption: 'Вот ошибка', size: 120_000 })
    await h.settle()
    const withPhoto = (await externalMessages(h.db, ticket.id)).at(-1)
    expect(withPhoto).toMatchObject({ body: 'Вот ошибка', author_id: w.requester.id })
    if (!withPhoto) throw new Error('no message')
    const files = await attachmentsOf(h.db, withPhoto.id)
    expect(files).toHaveLength(1)
    expect(files[0]).toMatchObject({ ticket_id: ticket.id, uploader_id: w.requester.id, size: 120_000 })
    expect(last(w.person).text).toContain(conversationTexts.messageFiled(1))

    const messagesBefore = (await externalMessages(h.db, ticket.id)).length
    w.person.sendAlbum(3, { replyTo: notice.message_id, caption: 'Ещё три снимка' })
    await h.settle()
    const after = await externalMessages(h.db, ticket.id)
    expect(after).toHaveLength(messagesBefore + 1)
    const album = after.at(-1)
    if (!album) throw new Error('no album message')
    expect(album.body).toBe('Ещё три снимка')
    expect(await attachmentsOf(h.db, album.id)).toHaveLength(3)
    // One acknowledgement for the album, not three.
    expect(w.person.botMessages().filter((m) => m.text?.includes(conversationTexts.messageFiled(1)))).toHaveLength(2)
  })

  test('a free album with an open ticket is asked about once and filed whole on the chosen ticket', async () => {
    const w = await world(dialect)
    const ticket = await takenTicket(w, 'Не работает сканер')
    await h.settle()
    w.person.sendAlbum(2, { caption: 'Фото сканера' })
    await h.settle()
    const questions = w.person.botMessages().filter((m) => m.text === conversationTexts.whichTicket)
    expect(questions).toHaveLength(1)
    const question = questions[0]
    if (!question) throw new Error('no question')
    expect(buttonData(question)).toEqual([callback.ticket('file', ticket.id), callback.cancel()])
    w.person.press(question.message_id, callback.ticket('file', ticket.id))
    await h.settle()
    const [filed] = await externalMessages(h.db, ticket.id)
    expect(filed).toMatchObject({ body: 'Фото сканера', author_id: w.requester.id })
    if (!filed) throw new Error('not filed')
    expect(await attachmentsOf(h.db, filed.id)).toHaveLength(2)
  })

  test('the requester’s answer brings a waiting ticket back into work', async () => {
    const w = await world(dialect)
    const ticket = await takenTicket(w, 'Нет сети в кабинете 12')
    await changeStatus(h.db, actorFromUser(w.executor, 'web'), { ticketId: ticket.id, status: 'waiting' })
    await h.settle()
    const waiting = botMessage(w.person, `Заявка № ${ticket.id} · Ожидает ответа`, 'ждёт Вашего ответа')
    expect(buttonData(waiting)).toEqual([callback.ticket('reply', ticket.id)])
    w.person.replyTo(waiting.message_id, 'Кабель на месте, лампочка не горит')
    await h.settle()
    const row = await h.db.selectFrom('tickets').select('status').where('id', '=', ticket.id).executeTakeFirstOrThrow()
    expect(row.status).toBe('in_progress')
    expect(last(w.person).text?.startsWith(`Заявка № ${ticket.id} · В работе`)).toBe(true)
    const events = await h.db
      .selectFrom('ticket_events')
      .select(['kind', 'from_value', 'to_value'])
      .where('ticket_id', '=', ticket.id)
      .where('kind', '=', 'status_changed')
      .orderBy('id')
      .execute()
    expect(events.at(-1)).toEqual({ kind: 'status_changed', from_value: 'waiting', to_value: 'in_progress' })
  })

  test('a reply to a closed ticket is refused politely and files nothing', async () => {
    const w = await world(dialect)
    const ticket = await takenTicket(w, 'Замена картриджа')
    await staffWrites(w, ticket.id, 'Картридж заменён.')
    await changeStatus(h.db, actorFromUser(w.executor, 'web'), {
      ticketId: ticket.id,
      status: 'resolved',
      resolution: 'Заменён картридж',
    })
    await changeStatus(h.db, actorFromUser(w.requester, 'web'), { ticketId: ticket.id, status: 'closed' })
    await h.settle()
    const notice = botMessage(w.person, `Заявка № ${ticket.id}`, 'Картридж заменён.')
    const before = await externalMessages(h.db, ticket.id)
    w.person.replyTo(notice.message_id, 'Спасибо!')
    await h.settle()
    expect(await externalMessages(h.db, ticket.id)).toEqual(before)
    expect(last(w.person).text).toContain('создайте новую заявку')
  })
})

describe.each(botDialects)('«Мои заявки» (%s)', (dialect) => {
  test('open tickets first, then recently finished; one opens with its last external messages, never notes', async () => {
    const w = await world(dialect)
    const closed = await takenTicket(w, 'Старая проблема с мышью')
    await changeStatus(h.db, actorFromUser(w.executor, 'web'), {
      ticketId: closed.id,
      status: 'resolved',
      resolution: 'Заменена мышь',
    })
    await changeStatus(h.db, actorFromUser(w.requester, 'web'), { ticketId: closed.id, status: 'closed' })
    const open = await takenTicket(w, 'Не печатает принтер')
    await staffWrites(w, open.id, 'Выезжаю через час.')
    await addMessage(h.db, actorFromUser(w.executor, 'web'), {
      ticketId: open.id,
      body: 'СЕКРЕТНАЯ внутренняя заметка',
      internal: true,
    })
    const someoneElse = await buildUser(h.db)
    const foreign = await createTicket(h.db, actorFromUser(someoneElse, 'web'), {
      description: 'Чужая заявка',
      categoryId: w.categoryId,
    })
    await h.settle()

    w.person.send('Мои заявки')
    await h.settle()
    const list = last(w.person)
    const text = list.text ?? ''
    expect(text.indexOf(`№ ${open.id} · В работе — «Не печатает принтер»`)).toBeGreaterThan(-1)
    expect(text.indexOf(`№ ${closed.id} · Закрыта`)).toBeGreaterThan(text.indexOf(`№ ${open.id}`))
    expect(text).not.toContain('Чужая заявка')
    expect(buttonData(list)).toEqual([callback.ticket('open', open.id), callback.ticket('open', closed.id)])
    expect(buttonData(list)).not.toContain(callback.ticket('open', foreign.id))

    w.person.press(list.message_id, callback.ticket('open', open.id))
    await h.settle()
    const shown = last(w.person)
    expect(shown.text?.startsWith(`Заявка № ${open.id} · В работе\n«Не печатает принтер»`)).toBe(true)
    expect(shown.text).toContain('Исполнитель: Петров Пётр')
    expect(shown.text).toContain('Петров Пётр: Выезжаю через час.')
    expect(shown.text).not.toContain('СЕКРЕТНАЯ')
    expect(buttonData(shown)).toEqual([callback.ticket('reply', open.id)])

    // /my is the same list; the view read was journaled.
    w.person.command('/my')
    await h.settle()
    expect(last(w.person).text).toBe(text)
    const journal = await h.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id'])
      .where('action', 'in', ['ticket.list', 'ticket.view'])
      .execute()
    expect(journal.filter((r) => r.action === 'ticket.list' && r.actor_id === w.requester.id)).toHaveLength(2)
    expect(journal.filter((r) => r.action === 'ticket.view' && r.actor_id === w.requester.id)).toHaveLength(1)
  })

  test('under «ПДн не передаются в Telegram» only numbers and statuses are shown', async () => {
    const w = await world(dialect)
    const admin = await buildUser(h.db, { role: 'admin' })
    await setSetting(h.db, actorFromUser(admin, 'web'), 'privacy.no_pdn_in_telegram', true)
    const ticket = await takenTicket(w, 'Не печатает принтер')
    await staffWrites(w, ticket.id, 'Выезжаю.')
    await h.settle()
    w.person.command('/my')
    await h.settle()
    const list = last(w.person)
    expect(list.text).toContain(`№ ${ticket.id} · В работе`)
    expect(list.text).not.toContain('принтер')
    w.person.press(list.message_id, callback.ticket('open', ticket.id))
    await h.settle()
    const shown = last(w.person).text ?? ''
    expect(shown.startsWith(`Заявка № ${ticket.id} · В работе`)).toBe(true)
    expect(shown).not.toContain('принтер')
    expect(shown).not.toContain('Выезжаю')
    expect(shown).not.toContain('Петров')
  })

  test('a person without tickets is told how to file one', async () => {
    const w = await world(dialect)
    w.person.command('/my')
    await h.settle()
    // The answer itself carries the main menu, so the person can file one at once.
    expect(
      w.person
        .transcript()
        .filter((e) => e.from === 'bot')
        .at(-1),
    ).toMatchObject({
      text: conversationTexts.noTickets,
      keyboard: { keyboard: [[{ text: 'Новая заявка' }, { text: 'Мои заявки' }], [{ text: 'Помощь' }]] },
    })
  })
})
