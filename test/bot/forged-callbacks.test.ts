import { afterEach, describe, expect, test } from 'vitest'
import { conversationTexts, texts } from '#src/bot/texts.ts'
import type { Db, User } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { rateTicket } from '#src/tickets/rate-ticket.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { settledLastSaid } from '../support/bot-people.ts'
import { buildCategory, buildGroup, buildUser } from '../support/factories.ts'
import type { FakePerson, TgMessage } from '../support/fake-telegram.ts'
import { auditRows } from '../support/state.ts'
import { botDialects, type Dialect, databaseFor } from './dialects.ts'

/**
 * Buttons are never trusted (TESTING.md B3, issue 3 item 4): a press naming someone else's ticket, a
 * ticket that does not exist, malformed data, or an action no longer allowed is answered politely with
 * an alert, and nothing changes — no ticket row, message, event, notice or conversation state; at most
 * a `denied` row in the journal.
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

const tables = [
  'tickets',
  'ticket_messages',
  'ticket_events',
  'attachments',
  'bot_conversations',
  'telegram_albums',
  'users',
] as const

/** Every row that a press could change; the bot's own replies (bot_message) are left out. */
async function snapshot(db: Db): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {}
  for (const table of tables) {
    const rows = await db.selectFrom(table).selectAll().execute()
    result[table] = rows.map((row) => JSON.stringify(row)).sort()
  }
  const notices = await db.selectFrom('outbox').selectAll().where('kind', '!=', 'bot_message').execute()
  result.notices = notices.map((row) => `${row.id}:${row.kind}:${row.recipient}:${row.ticket_id}`).sort()
  return result
}

async function lastAuditId(db: Db): Promise<number> {
  const row = await db.selectFrom('audit_log').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row ? Number(row.id) : 0
}

interface Refusal {
  answer: Record<string, unknown> | undefined
  denied: number
  pressed: TgMessage | undefined
}

/** Presses a button and checks that nothing changed but the journal's denials; returns the answer. */
async function expectRefused(person: FakePerson, messageId: number, data: string): Promise<Refusal> {
  const before = await snapshot(h.db)
  const fromId = await lastAuditId(h.db)
  const pressedBefore = person.botMessages().find((m) => m.message_id === messageId)
  const press = person.press(messageId, data)
  await h.settle()
  expect(await snapshot(h.db), `press ${data}`).toEqual(before)
  const added = await auditRows(h.db, fromId)
  expect(
    added.every((row) => row.result === 'denied'),
    `press ${data}: only denials journaled`,
  ).toBe(true)
  const answer = h.fake.callbackAnswer(press.callbackQueryId)
  expect(answer, `press ${data} answered`).toMatchObject({ show_alert: true, text: expect.any(String) })
  const pressed = person.botMessages().find((m) => m.message_id === messageId)
  return { answer, denied: added.length, pressed: pressedBefore === undefined ? undefined : pressed }
}

interface World {
  requester: User
  other: User
  executor: User
  colleague: User
  person: FakePerson
  otherChat: FakePerson
  executorChat: FakePerson
  colleagueChat: FakePerson
  categoryId: number
}

async function world(dialect: Dialect): Promise<World> {
  h = await botHarness({ db: await databaseFor(dialect) })
  const requester = await buildUser(h.db, { telegramChatId: '7301' })
  const other = await buildUser(h.db, { telegramChatId: '7302' })
  const executor = await buildUser(h.db, { role: 'executor', telegramChatId: '5301' })
  const colleague = await buildUser(h.db, { role: 'executor', telegramChatId: '5302' })
  const group = await buildGroup(h.db, 'Сети', [executor.id, colleague.id])
  const category = await buildCategory(h.db, { defaultGroupId: group.id })
  h.poll()
  return {
    requester,
    other,
    executor,
    colleague,
    person: h.fake.user(7301),
    otherChat: h.fake.user(7302),
    executorChat: h.fake.user(5301),
    colleagueChat: h.fake.user(5302),
    categoryId: category.id,
  }
}

async function fileTicket(w: World, requester: User, description: string) {
  return createTicket(h.db, actorFromUser(requester, 'web'), { description, categoryId: w.categoryId })
}

async function resolvedTicket(w: World, requester: User) {
  const ticket = await fileTicket(w, requester, 'Решённая заявка')
  const executor = actorFromUser(w.executor, 'web')
  await takeTicket(h.db, executor, { ticketId: ticket.id })
  return changeStatus(h.db, executor, { ticketId: ticket.id, status: 'resolved', resolution: 'Сделано' })
}

describe.each(botDialects)('forged and stale button presses (%s)', (dialect) => {
  test('buttons naming someone else’s ticket are refused and change nothing', async () => {
    const w = await world(dialect)
    const foreign = await resolvedTicket(w, w.other)
    const foreignOpen = await fileTicket(w, w.other, 'Чужая открытая заявка')
    await h.settle()
    // A real message of the person's chat to press under (their own ticket's notice).
    const own = await fileTicket(w, w.requester, 'Своя заявка')
    const ownNotice = await settledLastSaid(h, w.person)

    for (const data of [
      callback.ticket('open', foreign.id),
      callback.ticket('reply', foreignOpen.id),
      callback.ticket('confirm', foreign.id),
      callback.ticket('reopen', foreign.id),
      callback.rate(foreign.id, 1),
    ]) {
      const refusal = await expectRefused(w.person, ownNotice.message_id, data)
      expect(refusal.answer?.text).toBe('Заявка не найдена')
      // A ticket the person may not see is a denial in the journal (numbers cannot be probed quietly).
      expect(refusal.denied).toBe(1)
      // The message pressed under (about another ticket) is left as it was.
      expect(refusal.pressed).toEqual(ownNotice)
    }
    expect(w.person.botMessages().some((m) => m.text?.includes('Чужая'))).toBe(false)
    expect(own.id).toBeGreaterThan(foreignOpen.id)
  })

  test('a ticket that does not exist, and malformed data, are refused politely', async () => {
    const w = await world(dialect)
    const ticket = await fileTicket(w, w.requester, 'Заявка')
    const notice = await settledLastSaid(h, w.executorChat)

    const missing = await expectRefused(w.executorChat, notice.message_id, callback.ticket('take', 999_999))
    expect(missing.answer?.text).toBe('Заявка не найдена')
    for (const data of [
      't:take:abc',
      't:take:-1',
      't:take:0',
      `t:take:${ticket.id}:2`,
      't:take:99999999999',
      `t:fly:${ticket.id}`,
      `t:rate:${ticket.id}:9`,
      `t:rate:${ticket.id}`,
      't:',
      `t:take:${'9'.repeat(70)}`,
    ]) {
      const refusal = await expectRefused(w.executorChat, notice.message_id, data)
      expect(refusal.answer?.text, data).toBe(texts.staleButton)
      expect(refusal.denied).toBe(0)
    }
    // The notice still offers «Взять в работу»: nothing happened to it.
    expect(w.executorChat.botMessages().find((m) => m.message_id === notice.message_id)).toEqual(notice)
  })

  test('«Взять в работу» after someone else took it: refused, the notice loses the button', async () => {
    const w = await world(dialect)
    const ticket = await fileTicket(w, w.requester, 'Нет сети')
    const notice = await settledLastSaid(h, w.colleagueChat)
    await takeTicket(h.db, actorFromUser(w.executor, 'web'), { ticketId: ticket.id })
    await h.settle()

    const refusal = await expectRefused(w.colleagueChat, notice.message_id, callback.ticket('take', ticket.id))
    expect(refusal.answer?.text).toBe('Заявку уже взял другой исполнитель')
    expect(refusal.pressed?.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data)).toBe(false)
    expect(refusal.pressed?.text?.split('\n')[0]).toBe(`Заявка № ${ticket.id} · В работе`)
  })

  test('a requester pressing «Взять в работу» on their own ticket is refused and journaled', async () => {
    const w = await world(dialect)
    const ticket = await fileTicket(w, w.requester, 'Своя заявка')
    const notice = await settledLastSaid(h, w.person)
    const refusal = await expectRefused(w.person, notice.message_id, callback.ticket('take', ticket.id))
    expect(refusal.answer?.text).toBe('Нет прав брать заявки в работу')
    expect(refusal.denied).toBe(1)
    const [denied] = await h.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id', 'result', 'object_id'])
      .where('result', '=', 'denied')
      .execute()
    expect(denied).toEqual({
      action: 'ticket.take',
      actor_id: w.requester.id,
      result: 'denied',
      object_id: String(ticket.id),
    })
  })

  test('an executor pressing the requester’s «Подтверждаю» is refused', async () => {
    const w = await world(dialect)
    const ticket = await resolvedTicket(w, w.requester)
    const notice = await settledLastSaid(h, w.executorChat)
    const refusal = await expectRefused(w.executorChat, notice.message_id, callback.ticket('confirm', ticket.id))
    expect(refusal.answer?.text).toBe(conversationTexts.onlyRequester)
    expect(refusal.denied).toBe(1)
  })

  test('rating twice: the second score is refused, the first stays, the stale buttons go', async () => {
    const w = await world(dialect)
    const ticket = await resolvedTicket(w, w.requester)
    await changeStatus(h.db, actorFromUser(w.requester, 'web'), { ticketId: ticket.id, status: 'closed' })
    await h.settle()
    const request = w.person.botMessages().find((m) => m.text?.includes('Оцените'))
    if (!request) throw new Error('no rating request')
    // Rated on the web meanwhile.
    await rateTicket(h.db, actorFromUser(w.requester, 'web'), { ticketId: ticket.id, score: 5 })

    const refusal = await expectRefused(w.person, request.message_id, callback.rate(ticket.id, 1))
    expect(refusal.answer?.text).toBe('Заявка уже оценена')
    expect(refusal.pressed?.reply_markup).toBeUndefined()
    const row = await h.db.selectFrom('tickets').select('rating').where('id', '=', ticket.id).executeTakeFirstOrThrow()
    expect(row.rating).toBe(5)
  })

  test('stale answers and pending people change nothing', async () => {
    const w = await world(dialect)
    const ticket = await fileTicket(w, w.requester, 'Заявка')
    const notice = await settledLastSaid(h, w.person)
    // No message is waiting for a choice, no rating for a comment.
    const file = await expectRefused(w.person, notice.message_id, callback.ticket('file', ticket.id))
    expect(file.answer?.text).toBe(conversationTexts.choiceStale)
    // A closed ticket's «Ответить»: refused, nothing to reply to.
    await changeStatus(h.db, actorFromUser(w.requester, 'web'), {
      ticketId: ticket.id,
      status: 'cancelled',
      reason: 'Само прошло',
    })
    const reply = await expectRefused(w.person, notice.message_id, callback.ticket('reply', ticket.id))
    expect(reply.answer?.text).toContain('Отменена')

    const pending = await buildUser(h.db, { status: 'pending', telegramChatId: '7399' })
    const pendingChat = h.fake.user(7399)
    const refusal = await expectRefused(pendingChat, 1, callback.ticket('take', ticket.id))
    expect(refusal.answer?.text).toBe(texts.awaitingConfirmation)
    expect(pending.status).toBe('pending')
  })
})
