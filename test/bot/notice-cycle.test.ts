import { afterEach, describe, expect, test } from 'vitest'
import { conversationTexts } from '#src/bot/texts.ts'
import type { Db, Ticket, User } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buttonData, lastSaid as last, ticketPeople, buttonUrls as urls } from '../support/bot-people.ts'
import type { FakePerson, TgMessage } from '../support/fake-telegram.ts'
import { botDialects, type Dialect, databaseFor } from './dialects.ts'

/**
 * The whole notice cycle of PRODUCT.md §4 / issue 3 item 4, against the fake Telegram server: filed →
 * «Взять в работу» → taken (by whom) → waiting with a question → the requester's reply → resolved with
 * the result → «Подтверждаю» → closed → a rating → its comment. The database and what each person sees
 * are checked at every step.
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

const REQUESTER_CHAT = 7201
const EXECUTOR_CHAT = 5201
const COLLEAGUE_CHAT = 5202

interface World {
  requester: User
  executor: User
  colleague: User
  person: FakePerson
  executorChat: FakePerson
  colleagueChat: FakePerson
  categoryId: number
}

async function world(dialect: Dialect): Promise<World> {
  h = await botHarness({ db: await databaseFor(dialect) })
  const people = await ticketPeople(
    h.db,
    { requester: REQUESTER_CHAT, executors: [EXECUTOR_CHAT, COLLEAGUE_CHAT] },
    { group: 'Сети', category: 'Сеть' },
  )
  const [executor, colleague] = people.executors as [User, User]
  h.poll()
  return {
    requester: people.requester,
    executor,
    colleague,
    person: h.fake.user(REQUESTER_CHAT),
    executorChat: h.fake.user(EXECUTOR_CHAT),
    colleagueChat: h.fake.user(COLLEAGUE_CHAT),
    categoryId: people.categoryId,
  }
}

/** A ticket the requester filed (in the bot unless said otherwise), its notices delivered. */
async function filed(w: World, description: string, channel: 'bot' | 'web' = 'bot'): Promise<Ticket> {
  const ticket = await createTicket(h.db, actorFromUser(w.requester, channel), {
    description,
    categoryId: w.categoryId,
  })
  await h.settle()
  return ticket
}

/** The executor takes the ticket from its notice, then resolves it on the web; the requester is told. */
async function takenAndResolved(w: World, ticketId: number, resolution: string): Promise<void> {
  w.executorChat.press(last(w.executorChat).message_id, callback.ticket('take', ticketId))
  await h.settle()
  await changeStatus(h.db, actorFromUser(w.executor, 'web'), { ticketId, status: 'resolved', resolution })
  await h.settle()
}

function current(person: FakePerson, messageId: number): TgMessage {
  const message = person.botMessages().find((m) => m.message_id === messageId)
  if (!message) throw new Error(`no message ${messageId}`)
  return message
}

async function ticketRow(db: Db, id: number): Promise<Ticket> {
  return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

describe.each(botDialects)('the notice cycle in Telegram (%s)', (dialect) => {
  test('filed → taken from the notice → waiting → answered → resolved → confirmed → rated with a comment', async () => {
    const w = await world(dialect)

    // 1. Filed (on the web here: the bot's own dialogue, new-ticket.ts, confirms with a message of its own).
    const n = (await filed(w, 'Нет сети в кабинете 214\nКомпьютер пишет «нет подключения».', 'web')).id
    expect(last(w.person).text).toBe(
      `Заявка № ${n} · Новая\n✅ Ваша заявка принята.\n«Нет сети в кабинете 214»\nМы сообщим, когда её возьмут в работу. Чтобы дополнить заявку, ответьте на это сообщение.`,
    )
    const notice = last(w.executorChat)
    expect(notice.text?.split('\n').slice(0, 3)).toEqual([
      `Заявка № ${n} · Новая`,
      'Новая заявка в Вашей группе.',
      '«Нет сети в кабинете 214»',
    ])
    expect(buttonData(notice)).toEqual([callback.ticket('take', n)])
    expect(urls(notice)).toEqual([`${h.config.baseUrl}/tickets/${n}`])
    const colleagueNotice = last(w.colleagueChat)
    expect(buttonData(colleagueNotice)).toEqual([callback.ticket('take', n)])

    // 2. The executor takes it from the notice.
    const take = w.executorChat.press(notice.message_id, callback.ticket('take', n))
    await h.settle()
    expect(await ticketRow(h.db, n)).toMatchObject({ status: 'in_progress', assignee_id: w.executor.id })
    expect(h.fake.callbackAnswer(take.callbackQueryId)).toMatchObject({ text: conversationTexts.takenAnswer(n) })
    const taken = current(w.executorChat, notice.message_id)
    expect(taken.text?.split('\n')[0]).toBe(`Заявка № ${n} · В работе`)
    expect(taken.text).toContain(conversationTexts.takenByYou)
    expect(buttonData(taken)).toEqual([])
    expect(urls(taken)).toEqual([`${h.config.baseUrl}/tickets/${n}`])
    // 3. The requester is told who took it.
    expect(last(w.person).text).toBe(`Заявка № ${n} · В работе\nЗаявку взял в работу: Петров Пётр.`)

    // 4. The executor asks a question and waits for the answer (from the web).
    const executor = actorFromUser(w.executor, 'web')
    await addMessage(h.db, executor, { ticketId: n, body: 'Горит ли лампочка на сетевой розетке?', internal: false })
    await changeStatus(h.db, executor, { ticketId: n, status: 'waiting' })
    await h.settle()
    const question = w.person.botMessages().find((m) => m.text?.includes('Горит ли лампочка'))
    if (!question) throw new Error('the question did not reach the requester')
    expect(question.text).toBe(
      // Rendered when it leaves: the status is the one at that moment.
      `Заявка № ${n} · Ожидает ответа\nСообщение от Петров Пётр:\nГорит ли лампочка на сетевой розетке?\nЧтобы ответить, нажмите «Ответить» или ответьте на это сообщение.`,
    )
    expect(buttonData(question)).toEqual([callback.ticket('reply', n)])
    expect(last(w.person).text).toBe(
      `Заявка № ${n} · Ожидает ответа\n⏳ Исполнитель ждёт Вашего ответа.\nНажмите «Ответить» или ответьте на это сообщение.`,
    )
    const sent = await h.db
      .selectFrom('ticket_messages')
      .select('delivery_status')
      .where('ticket_id', '=', n)
      .executeTakeFirstOrThrow()
    expect(sent.delivery_status).toBe('sent')

    // 5. The requester answers by a Telegram reply: the ticket is back in work, the executor is told.
    w.person.replyTo(question.message_id, 'Не горит')
    await h.settle()
    expect((await ticketRow(h.db, n)).status).toBe('in_progress')
    expect(last(w.person).text).toBe(`Заявка № ${n} · В работе\n${conversationTexts.messageFiled(0)}`)
    expect(last(w.executorChat).text).toBe(`Заявка № ${n} · В работе\nСообщение от заявителя Иванова Мария:\nНе горит`)

    // 6. Resolved with the result: «Подтверждаю» / «Не решено».
    await changeStatus(h.db, executor, { ticketId: n, status: 'resolved', resolution: 'Заменён патч-корд' })
    await h.settle()
    const resolved = last(w.person)
    expect(resolved.text).toBe(
      `Заявка № ${n} · Решена\n✅ Работы по заявке завершены.\nРезультат: Заменён патч-корд\nПодтвердите, пожалуйста, что проблема решена.`,
    )
    expect(buttonData(resolved)).toEqual([callback.ticket('confirm', n), callback.ticket('reopen', n)])

    // 7. Confirmed: closed, the buttons gone, a rating asked for.
    const confirm = w.person.press(resolved.message_id, callback.ticket('confirm', n))
    await h.settle()
    const closed = await ticketRow(h.db, n)
    expect(closed.status).toBe('closed')
    expect(closed.closed_at).not.toBeNull()
    expect(h.fake.callbackAnswer(confirm.callbackQueryId)).toMatchObject({ text: conversationTexts.confirmedAnswer })
    const confirmed = current(w.person, resolved.message_id)
    expect(confirmed.text?.split('\n')[0]).toBe(`Заявка № ${n} · Закрыта`)
    expect(confirmed.text).toContain(conversationTexts.confirmedMark)
    expect(buttonData(confirmed)).toEqual([])
    const rating = w.person.botMessages().find((m) => m.text?.includes('Оцените, пожалуйста'))
    if (!rating) throw new Error('no rating request')
    expect(rating.text?.split('\n')[0]).toBe(`Заявка № ${n} · Закрыта`)
    expect(buttonData(rating)).toEqual([1, 2, 3, 4, 5].map((s) => callback.rate(n, s)))

    // 8. Rated 5: the rating message offers an optional comment.
    w.person.press(rating.message_id, callback.rate(n, 5))
    await h.settle()
    expect(await ticketRow(h.db, n)).toMatchObject({ rating: 5, rating_comment: null })
    const rated = current(w.person, rating.message_id)
    expect(rated.text).toBe(
      `Заявка № ${n} · Закрыта\n${conversationTexts.rated(5)}\n${conversationTexts.askRatingComment}`,
    )
    expect(buttonData(rated)).toEqual([callback.ticket('skip', n)])

    // 9. The comment (one too long may be written again).
    w.person.send('о'.repeat(1001))
    await h.settle()
    expect(last(w.person).text).toBe('Поле «Комментарий к оценке» длиннее 1000 символов')
    expect(await ticketRow(h.db, n)).toMatchObject({ rating: 5, rating_comment: null })
    w.person.send('Быстро и вежливо, спасибо')
    await h.settle()
    expect(await ticketRow(h.db, n)).toMatchObject({ rating: 5, rating_comment: 'Быстро и вежливо, спасибо' })
    expect(last(w.person).text).toBe(`Заявка № ${n} · Закрыта\n${conversationTexts.ratingCommentSaved}`)
    expect(buttonData(current(w.person, rating.message_id))).toEqual([])
    expect(await h.db.selectFrom('bot_conversations').selectAll().execute()).toEqual([])

    // The timeline and the journal tell the same story, with the bot as the channel of the presses.
    const events = await h.db
      .selectFrom('ticket_events')
      .select(['kind', 'actor_id', 'to_value'])
      .where('ticket_id', '=', n)
      .orderBy('id')
      .execute()
    expect(events.map((e) => (e.kind === 'message' ? 'message' : `${e.kind}:${e.to_value ?? ''}`))).toEqual([
      'created:new',
      `taken:${w.executor.id}`,
      'status_changed:in_progress',
      'message',
      'status_changed:waiting',
      'message',
      'status_changed:in_progress',
      'status_changed:resolved',
      'status_changed:closed',
      'rated:5',
      'rating_commented:5',
    ])
    const journal = await h.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id', 'channel'])
      .where('object_id', '=', String(n))
      .where('action', 'in', ['ticket.take', 'ticket.close', 'ticket.rate'])
      .orderBy('id')
      .execute()
    expect(journal).toEqual([
      { action: 'ticket.take', actor_id: w.executor.id, channel: 'bot' },
      { action: 'ticket.close', actor_id: w.requester.id, channel: 'bot' },
      { action: 'ticket.rate', actor_id: w.requester.id, channel: 'bot' },
      { action: 'ticket.rate', actor_id: w.requester.id, channel: 'bot' },
    ])
  })

  test('the colleague’s notice loses «Взять в работу» when pressed after the ticket was taken', async () => {
    const w = await world(dialect)
    const ticket = await filed(w, 'Не работает Wi-Fi')
    const first = last(w.executorChat)
    const second = last(w.colleagueChat)
    w.executorChat.press(first.message_id, callback.ticket('take', ticket.id))
    await h.settle()
    const late = w.colleagueChat.press(second.message_id, callback.ticket('take', ticket.id))
    await h.settle()
    expect(await ticketRow(h.db, ticket.id)).toMatchObject({ assignee_id: w.executor.id })
    expect(h.fake.callbackAnswer(late.callbackQueryId)).toMatchObject({
      text: 'Заявку уже взял другой исполнитель',
      show_alert: true,
    })
    const edited = current(w.colleagueChat, second.message_id)
    expect(edited.text?.split('\n')[0]).toBe(`Заявка № ${ticket.id} · В работе`)
    expect(edited.text).toContain('Заявку уже взял другой исполнитель')
    expect(buttonData(edited)).toEqual([])
  })

  test('the other members’ «Новая заявка» notices lose «Взять в работу» once it is taken, from the bot or the web', async () => {
    const w = await world(dialect)
    const fromBot = await filed(w, 'Не работает Wi-Fi в ординаторской')
    const mine = last(w.executorChat)
    const colleagues = last(w.colleagueChat)
    expect(buttonData(colleagues)).toEqual([callback.ticket('take', fromBot.id)])
    w.executorChat.press(mine.message_id, callback.ticket('take', fromBot.id))
    await h.settle()
    const withdrawn = current(w.colleagueChat, colleagues.message_id)
    expect(buttonData(withdrawn)).toEqual([])
    // Only the buttons change: the notice still says what it said, with its link to the ticket.
    expect(withdrawn.text).toBe(colleagues.text)
    expect(urls(withdrawn)).toEqual(urls(colleagues))

    const fromWeb = await filed(w, 'Нет сети в кабинете 5', 'web')
    const offered = last(w.executorChat)
    expect(buttonData(offered)).toEqual([callback.ticket('take', fromWeb.id)])
    await takeTicket(h.db, actorFromUser(w.colleague, 'web'), { ticketId: fromWeb.id })
    await h.settle()
    expect(buttonData(current(w.executorChat, offered.message_id))).toEqual([])
    expect(buttonData(current(w.colleagueChat, last(w.colleagueChat).message_id))).not.toContain(
      callback.ticket('take', fromWeb.id),
    )
  })

  test('«Не решено» brings the ticket back into work and the next message says what is wrong', async () => {
    const w = await world(dialect)
    const ticket = await filed(w, 'Не печатает')
    await takenAndResolved(w, ticket.id, 'Перезапущена служба печати')
    const resolved = last(w.person)
    w.person.press(resolved.message_id, callback.ticket('reopen', ticket.id))
    await h.settle()
    expect(await ticketRow(h.db, ticket.id)).toMatchObject({ status: 'in_progress', resolved_at: null })
    const reopened = current(w.person, resolved.message_id)
    expect(reopened.text?.split('\n')[0]).toBe(`Заявка № ${ticket.id} · В работе`)
    expect(reopened.text).toContain(conversationTexts.reopenedMark)
    expect(buttonData(reopened)).toEqual([])
    expect(last(w.person).text).toBe(`Заявка № ${ticket.id} · В работе\n${conversationTexts.askWhatIsWrong}`)
    expect(last(w.executorChat).text).toContain('Заявка возобновлена')

    w.person.send('Всё так же не печатает')
    await h.settle()
    const message = await h.db
      .selectFrom('ticket_messages')
      .select(['body', 'author_id'])
      .where('ticket_id', '=', ticket.id)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    expect(message).toEqual({ body: 'Всё так же не печатает', author_id: w.requester.id })
  })

  test('«Без комментария» keeps the rating and ends the question', async () => {
    const w = await world(dialect)
    const ticket = await filed(w, 'Мышь')
    await takenAndResolved(w, ticket.id, 'Заменена')
    w.person.press(last(w.person).message_id, callback.ticket('confirm', ticket.id))
    await h.settle()
    const rating = w.person.botMessages().find((m) => m.text?.includes('Оцените, пожалуйста'))
    if (!rating) throw new Error('no rating request')
    w.person.press(rating.message_id, callback.rate(ticket.id, 4))
    await h.settle()
    const skip = w.person.press(rating.message_id, callback.ticket('skip', ticket.id))
    await h.settle()
    expect(h.fake.callbackAnswer(skip.callbackQueryId)).toMatchObject({ text: conversationTexts.ratingCommentSkipped })
    expect(current(w.person, rating.message_id).text).toBe(
      `Заявка № ${ticket.id} · Закрыта\n${conversationTexts.rated(4)}`,
    )
    expect(await h.db.selectFrom('bot_conversations').selectAll().execute()).toEqual([])
    // The next message is not a comment: it is routed like any other (no open ticket → offer a new one).
    w.person.send('Спасибо!')
    await h.settle()
    expect(await ticketRow(h.db, ticket.id)).toMatchObject({ rating: 4, rating_comment: null })
    expect(last(w.person).text).toBe(conversationTexts.noOpenTickets)
  })
})
