import { afterEach, describe, expect, test } from 'vitest'
import { type ConversationState, saveConversation } from '#src/bot/conversation-store.ts'
import { botHousekeeping } from '#src/bot/housekeeping.ts'
import { buttons, conversationTexts, newTicketTexts, texts } from '#src/bot/texts.ts'
import type { Db } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'
import { callback } from '#src/notify/callback-data.ts'
import { REFRESH_BUTTONS_KIND } from '#src/notify/outbox.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { lastSaid, settledLastSaid } from '../support/bot-people.ts'
import { clockAt } from '../support/clock.ts'
import { buildCategory, buildUser } from '../support/factories.ts'
import type { FakePerson } from '../support/fake-telegram.ts'
import { buildTicket } from '../support/ticket-factory.ts'
import { botDialects, databaseFor } from './dialects.ts'

/** Finishing touches of the bot: housekeeping, late album items, albums answered once, /cancel. */

let h: BotHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const HOUR = 60 * 60_000
const DAY = 24 * HOUR

async function runHousekeeping(db: Db): Promise<void> {
  for (const schedule of botHousekeeping) await schedule.run(db)
}

/** Rows of every kind the housekeeping sweeps, written at the current (frozen) time under `tag`. */
async function bookkeepingRows(db: Db, tag: string, updateId: number): Promise<void> {
  const requester = await buildUser(db, { telegramChatId: `chat-${tag}` })
  const ticket = await buildTicket(db, { requesterId: requester.id })
  const message = await addMessage(db, actorFromUser(requester, 'bot'), {
    ticketId: ticket.id,
    body: `Фото ${tag}`,
    internal: false,
  })
  const at = now()
  await db
    .insertInto('telegram_albums')
    .values({
      chat_id: `chat-${tag}`,
      media_group_id: tag,
      ticket_id: ticket.id,
      message_id: message.id,
      created_at: at,
    })
    .execute()
  await saveConversation(db, `chat-${tag}`, { flow: 'reply_to', ticketId: ticket.id })
  await db
    .insertInto('login_links')
    .values({
      token_hash: `hash-${tag}`,
      user_id: requester.id,
      created_at: at,
      expires_at: addMinutes(at, 5),
      used_at: null,
    })
    .execute()
  await db.insertInto('telegram_inbox').values({ update_id: updateId, kind: 'message', received_at: at }).execute()
}

describe.each(botDialects)('bot housekeeping (%s)', (dialect) => {
  test('one run removes only what outlived its use: conversations, albums, login links, inbox', async () => {
    const db = await databaseFor(dialect)
    clockAt(0)
    await bookkeepingRows(db, 'week-old', 1)
    clockAt(6 * DAY)
    await bookkeepingRows(db, 'six-days', 2)
    clockAt(7 * DAY + HOUR)
    await bookkeepingRows(db, 'fresh', 3)

    // A week and an hour after T0: the week-old rows are past every limit; the six-day-old inbox row is
    // still kept (replays), its conversation (24 h), album (24 h) and link (a day after expiry) are not.
    await runHousekeeping(db)

    const conversations = await db.selectFrom('bot_conversations').select('chat_id').execute()
    expect(conversations.map((c) => c.chat_id)).toEqual(['chat-fresh'])
    const albums = await db.selectFrom('telegram_albums').select('media_group_id').execute()
    expect(albums.map((a) => a.media_group_id)).toEqual(['fresh'])
    const links = await db.selectFrom('login_links').select('token_hash').execute()
    expect(links.map((l) => l.token_hash)).toEqual(['hash-fresh'])
    const inbox = await db.selectFrom('telegram_inbox').select('update_id').orderBy('update_id').execute()
    expect(inbox.map((i) => Number(i.update_id))).toEqual([2, 3])

    // Nothing left to sweep: a second run changes nothing.
    let changed = 0
    for (const schedule of botHousekeeping) changed += await schedule.run(db)
    expect(changed).toBe(0)
  })

  test('a used login link stays a day after its use, then goes', async () => {
    const db = await databaseFor(dialect)
    clockAt(0)
    const user = await buildUser(db)
    const at = now()
    await db
      .insertInto('login_links')
      .values({ token_hash: 'used', user_id: user.id, created_at: at, expires_at: addMinutes(at, 5), used_at: at })
      .execute()
    clockAt(DAY)
    await runHousekeeping(db)
    expect(await db.selectFrom('login_links').select('token_hash').execute()).toEqual([{ token_hash: 'used' }])
    clockAt(DAY + 10 * 60_000)
    await runHousekeeping(db)
    expect(await db.selectFrom('login_links').select('token_hash').execute()).toEqual([])
  })
})

// ---------------------------------------------------------------- albums through the bot

async function attachmentsOfTicket(db: Db, ticketId: number) {
  return db.selectFrom('attachments').select(['message_id']).where('ticket_id', '=', ticketId).execute()
}

function saidCount(person: FakePerson, text: string): number {
  return person.botMessages().filter((m) => m.text === text).length
}

describe('albums', () => {
  test('album items that arrive after the urgency was pressed join the new ticket, acknowledged once', async () => {
    h = await botHarness()
    const user = await buildUser(h.db, { telegramChatId: '7301' })
    const category = await buildCategory(h.db, { name: 'Мониторы' })
    h.poll()
    const person = h.fake.user(7301)
    person.send(buttons.newTicket)
    await h.settle()
    person.press(lastSaid(person).message_id, callback.category(category.id))
    await h.settle()
    // The album's first item is the description; the person answers the urgency before the rest arrive.
    person.sendPhoto({ caption: 'Монитор мигает', mediaGroupId: 'late-album' })
    await h.settle()
    const question = lastSaid(person)
    expect(question.text).toBe(newTicketTexts.askUrgency)
    person.press(question.message_id, callback.urgency('normal'))
    await h.settle()
    const [ticket] = await h.db.selectFrom('tickets').selectAll().execute()
    if (!ticket) throw new Error('no ticket')
    const saidBefore = person.botMessages().length

    person.sendPhoto({ mediaGroupId: 'late-album' })
    person.sendPhoto({ mediaGroupId: 'late-album' })
    await h.settle()

    expect(await h.db.selectFrom('tickets').select('id').execute()).toHaveLength(1)
    expect(saidCount(person, conversationTexts.whichTicket)).toBe(0)
    // One acknowledgement for both late items, under the new ticket's header.
    const later = person.botMessages().slice(saidBefore)
    expect(later).toHaveLength(1)
    expect(later[0]?.text).toContain(`Заявка № ${ticket.id}`)
    expect(later[0]?.text).toContain(conversationTexts.messageFiled(1))
    // The first photo describes the ticket; the two late ones are one message of the requester on it.
    const messages = await h.db
      .selectFrom('ticket_messages')
      .select(['id', 'author_id'])
      .where('ticket_id', '=', ticket.id)
      .where('kind', '=', 'external')
      .execute()
    expect(messages).toEqual([{ id: expect.any(Number), author_id: user.id }])
    const files = await attachmentsOfTicket(h.db, ticket.id)
    expect(files.map((f) => f.message_id).sort()).toEqual([null, messages[0]?.id, messages[0]?.id].sort())
  })

  test('an album from someone with no open ticket is answered once, not once per photo', async () => {
    h = await botHarness()
    await buildUser(h.db, { telegramChatId: '7302' })
    h.poll()
    const person = h.fake.user(7302)
    person.sendAlbum(3, { caption: 'Сканер' })
    await h.settle()
    expect(person.botMessages().map((m) => m.text)).toEqual([conversationTexts.noOpenTickets])
    expect(await h.db.selectFrom('ticket_messages').select('id').execute()).toEqual([])
    // The next free message is answered as usual.
    person.send('Ещё вопрос')
    await h.settle()
    expect(saidCount(person, conversationTexts.noOpenTickets)).toBe(2)
  })

  test('with several open tickets one question is asked for the whole album, filed whole on the choice', async () => {
    h = await botHarness()
    const requester = await buildUser(h.db, { telegramChatId: '7303' })
    const first = await buildTicket(h.db, { requesterId: requester.id })
    const second = await buildTicket(h.db, { requesterId: requester.id })
    h.poll()
    const person = h.fake.user(7303)
    person.sendAlbum(3, { caption: 'Фото ошибки' })
    await h.settle()
    expect(person.botMessages().map((m) => m.text)).toEqual([conversationTexts.whichTicket])
    const question = lastSaid(person)
    const offered = (question.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data)
    expect(offered).toEqual(
      expect.arrayContaining([callback.ticket('file', first.id), callback.ticket('file', second.id)]),
    )
    person.press(question.message_id, callback.ticket('file', first.id))
    await h.settle()
    const filed = await h.db.selectFrom('ticket_messages').select(['id', 'ticket_id', 'body']).execute()
    expect(filed).toEqual([{ id: expect.any(Number), ticket_id: first.id, body: 'Фото ошибки' }])
    const files = await attachmentsOfTicket(h.db, first.id)
    expect(files).toHaveLength(3)
    expect(files.every((f) => f.message_id === filed[0]?.id)).toBe(true)
  })
})

describe('/cancel', () => {
  test('answers in the words of the dialogue it ends', async () => {
    h = await botHarness()
    const requester = await buildUser(h.db, { telegramChatId: '7304' })
    const ticket = await buildTicket(h.db, { requesterId: requester.id })
    h.poll()
    const person = h.fake.user(7304)

    // A free message waits for «К какой заявке это относится?».
    person.send('Принтер снова не печатает')
    expect((await settledLastSaid(h, person)).text).toBe(conversationTexts.whichTicket)
    person.command('/cancel')
    expect((await settledLastSaid(h, person)).text).toBe(texts.choiceCancelled)

    const cases: Array<[ConversationState, string]> = [
      [{ flow: 'reply_to', ticketId: ticket.id }, texts.replyCancelled],
      [{ flow: 'rating_comment', ticketId: ticket.id }, texts.ratingCommentCancelled],
      [{ flow: 'new_ticket', step: 'describe', files: [] }, texts.newTicketCancelled],
      [{ flow: 'album_answered', mediaGroupId: 'done' }, texts.nothingToCancel],
    ]
    for (const [state, answer] of cases) {
      await saveConversation(h.db, '7304', state)
      person.command('/cancel')
      await h.settle()
      expect(lastSaid(person).text).toBe(answer)
      expect(await h.db.selectFrom('bot_conversations').select('chat_id').execute()).toEqual([])
    }
    person.command('/cancel')
    await h.settle()
    expect(lastSaid(person).text).toBe(texts.nothingToCancel)
    expect(await h.db.selectFrom('ticket_messages').select('id').execute()).toEqual([])
  })
})

describe('withdrawn offers', () => {
  test('a notice gone from the chat needs no new buttons: its refresh is done, not retried', async () => {
    h = await botHarness()
    const ticket = await buildTicket(h.db)
    await h.db
      .insertInto('outbox')
      .values({
        channel: 'telegram',
        recipient: '7305',
        kind: REFRESH_BUTTONS_KIND,
        payload: JSON.stringify({ editMessageId: 424_242, notice: 'ticket_new_for_group' }),
        status: 'pending',
        next_attempt_at: now(),
        last_error: null,
        ticket_id: ticket.id,
        message_id: null,
        created_at: now(),
        sent_at: null,
      })
      .execute()
    await h.deliver()
    const rows = await h.db.selectFrom('outbox').select(['kind', 'status']).execute()
    expect(rows).toEqual([{ kind: REFRESH_BUTTONS_KIND, status: 'sent' }])
    expect(h.fake.callsOf('editMessageReplyMarkup')).toHaveLength(1)
    expect(h.fake.callsOf('sendMessage')).toEqual([])
  })
})
