import { afterEach, expect, test } from 'vitest'
import { buttons, conversationTexts, newTicketTexts } from '#src/bot/texts.ts'
import type { User } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { limits } from '#src/tickets/rules.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { lastSaid, settledLastSaid, ticketPeople } from '../support/bot-people.ts'

/**
 * B3 (TESTING.md), what test/bot/odd-updates.test.ts (generated odd updates), forged-callbacks.test.ts
 * (hand-picked forged presses), transport.test.ts (replays, the secret) and reliability/bot-kill.test.ts
 * (replays across kill -9) leave open.
 */

let h: BotHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

/** Telegram's longest message: what a person can send at most, and what the bot may send. */
const TELEGRAM_MAX = 4096

test('texts of 4 096 characters: what fits is filed, what would not is refused at once, every answer fits Telegram', async () => {
  h = await botHarness()
  const harness = h
  const people = await ticketPeople(
    harness.db,
    { requester: 7401, executors: [5401] },
    { group: 'Сети', category: 'Сеть' },
  )
  const person = harness.fake.user(7401)
  harness.poll()
  const full = (letter: string) => letter.repeat(TELEGRAM_MAX)
  const said = async (text: string) => {
    person.send(text)
    return settledLastSaid(harness, person)
  }

  // A new ticket described in three full messages: the third would make the description longer than a
  // ticket's may be, so it is refused then — not the whole ticket at the urgency press, again and again.
  await said(buttons.newTicket)
  person.press(lastSaid(person).message_id, callback.category(people.categoryId))
  await harness.settle()
  await said(full('а'))
  expect((await said(full('б'))).text).toContain(newTicketTexts.added)
  expect((await said(full('в'))).text).toBe(newTicketTexts.descriptionTooLong(limits.description))
  const urgency = person.botMessages().find((m) => m.text === newTicketTexts.askUrgency)
  person.press(urgency?.message_id ?? 0, callback.urgency('normal'))
  await harness.settle()
  const [ticket] = await harness.db.selectFrom('tickets').select(['id', 'description']).execute()
  expect(ticket?.description).toBe(`${full('а')}\n\n${full('б')}`)
  // Taken, so that the executor is told of each message too.
  const executor = actorFromUser(people.executors[0] as User, 'web')
  await takeTicket(harness.db, executor, { ticketId: ticket?.id ?? 0 })
  await harness.settle()

  // Free messages wait for the choice of a ticket, joined: the one that would not fit is refused.
  await said(full('г'))
  expect((await said(full('д'))).text).toBe(conversationTexts.whichTicket)
  expect((await said(full('е'))).text).toBe(conversationTexts.messageTooLong(limits.body))
  const question = person.botMessages().findLast((m) => m.text === conversationTexts.whichTicket)
  person.press(question?.message_id ?? 0, callback.ticket('file', ticket?.id ?? 0))
  await harness.settle()
  const messages = await harness.db.selectFrom('ticket_messages').select('body').execute()
  expect(messages.map((m) => m.body)).toEqual([`${full('г')}\n${full('д')}`])

  // A resolution of the ticket's longest kind reaches the requester, shortened to fit.
  await changeStatus(harness.db, executor, {
    ticketId: ticket?.id ?? 0,
    status: 'resolved',
    resolution: 'ж'.repeat(limits.resolution),
  })
  await harness.settle()
  expect(lastSaid(person).text).toContain('ж'.repeat(100))

  // Every answer and notice reached its chat: none was refused by Telegram as too long.
  const undelivered = await harness.db
    .selectFrom('outbox')
    .select(['kind', 'status', 'last_error'])
    .where('status', '!=', 'sent')
    .execute()
  expect(undelivered).toEqual([])
  const refused = harness.fake.calls.filter((c) => c.status >= 400 && c.method !== 'answerCallbackQuery')
  expect(refused.map((c) => `${c.method} ${c.status}`)).toEqual([])
  const executorSaw = harness.fake.botMessages(5401).map((m) => [...(m.text ?? '')].length)
  expect(executorSaw.some((length) => length > 3000)).toBe(true)
  for (const length of [...executorSaw, ...person.botMessages().map((m) => [...(m.text ?? '')].length)]) {
    expect(length).toBeLessThanOrEqual(TELEGRAM_MAX)
  }
})
