import { afterEach, describe, expect, test } from 'vitest'
import { buttons, conversationTexts } from '#src/bot/texts.ts'
import type { Db, Ticket, TicketMessage } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { mergeTicket } from '#src/tickets/merge-ticket.ts'
import { unmergeTicket } from '#src/tickets/unmerge-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { lastSaid as last, ticketPeople } from '../support/bot-people.ts'
import type { TgMessage } from '../support/fake-telegram.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * A merge seen from the bot (issue 13): a nurse files the same problem twice, an executor marks the second as a
 * duplicate of the first on the web; the nurse is told in Telegram which number the answer will come by, and
 * whatever she answers to the duplicate — a reply to the notice, to the old confirmation, or after «Ответить» —
 * lands on the ticket that stays. Undone, the duplicate takes its replies again.
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

const REQUESTER_CHAT = 7301
const EXECUTOR_CHAT = 5301

async function messagesOf(db: Db, ticketId: number): Promise<TicketMessage[]> {
  return db.selectFrom('ticket_messages').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute()
}

async function ticketRow(db: Db, id: number): Promise<Ticket> {
  return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

describe.each(botDialects)('a merge seen from the bot (%s)', (dialect) => {
  test('told the surviving number; replies to the duplicate land on it; undone, they land on the duplicate again', async () => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const people = await ticketPeople(
      h.db,
      { requester: REQUESTER_CHAT, executors: [EXECUTOR_CHAT] },
      { group: 'Оргтехника', category: 'Принтеры' },
    )
    const [executor] = people.executors
    if (!executor) throw new Error('no executor')
    h.poll()
    const person = h.fake.user(REQUESTER_CHAT)

    // 1. The same problem twice, through the bot's «Новая заявка».
    const fileInBot = async (description: string): Promise<{ ticket: Ticket; accepted: TgMessage }> => {
      person.send(buttons.newTicket)
      await h.settle()
      person.press(last(person).message_id, callback.category(people.categoryId))
      await h.settle()
      person.send(description)
      await h.settle()
      person.press(last(person).message_id, callback.urgency('normal'))
      await h.settle()
      const ticket = await h.db
        .selectFrom('tickets')
        .selectAll()
        .where('description', '=', description)
        .executeTakeFirstOrThrow()
      const accepted = person.botMessages().find((m) => m.text?.startsWith(`Заявка № ${ticket.id} · Новая`))
      if (!accepted) throw new Error(`no confirmation of ticket ${ticket.id}`)
      return { ticket, accepted }
    }
    const { ticket: first } = await fileInBot('Не печатает принтер в ординаторской')
    const { ticket: second, accepted: secondAccepted } = await fileInBot('Принтер так и не печатает')
    expect(second.source).toBe('telegram')

    // 2. The executor marks the second as a duplicate of the first (on the web).
    await mergeTicket(h.db, actorFromUser(executor, 'web'), { ticketId: second.id, intoId: first.id })
    await h.settle()
    const notice = last(person)
    expect(notice.text).toBe(
      [
        `Заявка № ${second.id} · Закрыта`,
        `Ваша заявка № ${second.id} объединена с заявкой № ${first.id}, ответ придёт по ней.`,
        `Ответы на это сообщение тоже попадут в заявку № ${first.id}.`,
      ].join('\n'),
    )
    expect(await ticketRow(h.db, second.id)).toMatchObject({ status: 'closed', merged_into_id: first.id })

    // 3. A Telegram reply to the notice lands on the first ticket, and the bot says so under its number.
    person.replyTo(notice.message_id, 'Картридж меняли на прошлой неделе')
    await h.settle()
    expect(last(person).text).toBe(`Заявка № ${first.id} · Новая\n${conversationTexts.messageFiled(0)}`)
    expect((await messagesOf(h.db, first.id)).map((m) => m.body)).toEqual(['Картридж меняли на прошлой неделе'])
    expect(await messagesOf(h.db, second.id)).toEqual([])

    // 4. So does a reply to the old «принята» message of the duplicate.
    person.replyTo(secondAccepted.message_id, 'Кабинет 214')
    await h.settle()
    expect((await messagesOf(h.db, first.id)).map((m) => m.body)).toEqual([
      'Картридж меняли на прошлой неделе',
      'Кабинет 214',
    ])

    // 5. «Ответить» on the duplicate (a button of an old notice) asks for the answer under the first ticket.
    const press = person.press(notice.message_id, callback.ticket('reply', second.id))
    await h.settle()
    expect(h.fake.callbackAnswer(press.callbackQueryId)).toBeDefined()
    expect(last(person).text).toBe(`Заявка № ${first.id} · Новая\n${conversationTexts.writeReply}`)
    person.send('Спасибо')
    await h.settle()
    expect((await messagesOf(h.db, first.id)).map((m) => m.body).at(-1)).toBe('Спасибо')
    expect(await messagesOf(h.db, second.id)).toEqual([])

    // 6. Undone: the nurse is told, and the duplicate takes its own replies again.
    await unmergeTicket(h.db, actorFromUser(executor, 'web'), { ticketId: second.id })
    await h.settle()
    expect(last(person).text).toBe(
      `Заявка № ${second.id} · Новая\nОбъединение с заявкой № ${first.id} отменено: заявка № ${second.id} снова рассматривается отдельно.`,
    )
    person.replyTo(secondAccepted.message_id, 'Теперь отдельно')
    await h.settle()
    expect((await messagesOf(h.db, second.id)).map((m) => m.body)).toEqual(['Теперь отдельно'])
    const said: TgMessage = last(person)
    expect(said.text?.split('\n')[0]).toBe(`Заявка № ${second.id} · Новая`)
  }, 60_000)
})
