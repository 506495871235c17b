import { afterEach, describe, expect, test } from 'vitest'
import { telegramLinkTexts, texts } from '#src/bot/texts.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { telegramLinkMessages } from '#src/users/telegram-link.ts'
import { testApp } from '../support/api.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { lastSaid, sentKeyboard, settledLastSaid, ticketPeople } from '../support/bot-people.ts'
import { buildConsent, buildUser } from '../support/factories.ts'
import { journalOf, userRow } from '../support/state.ts'
import { postForm, signIn } from '../support/web.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * Issue 9: an account made on the web links its Telegram from the profile. The code comes from the real
 * web page, `/start link_<code>` goes through the fake Telegram server to the real bot, and a ticket
 * notice then reaches the newly linked chat.
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

const PERSON_CHAT = 7801
const STRANGER_CHAT = 7802

describe.each(botDialects)('/start link_<code> (%s)', (dialect) => {
  test('a web-made account gets a code on its profile; /start link_<code> in a new chat links it; notices follow', async () => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const { executors, categoryId } = await ticketPeople(
      h.db,
      { requester: 7800, executors: [7803] },
      { group: 'Оргтехника', category: 'Принтеры' },
    )
    const account = await buildUser(h.db, { login: 'kuznetsova', telegramChatId: null, fullName: 'Кузнецова Анна' })
    await buildConsent(h.db, account.id)
    h.poll()

    const { app } = testApp(h.db, h.config)
    const page = await postForm(app, '/profile/telegram/link', await signIn(h.db, account))
    const code = /<code class="link-code">([0-9A-Z]{10})<\/code>/.exec(page.text)?.[1]
    if (!code) throw new Error('no code on the page')

    // Someone else's chat guessing, and a plain /start, still get the usual answers.
    const stranger = h.fake.user(STRANGER_CHAT)
    stranger.command('/start link_ABCDEFGHJK')
    expect((await settledLastSaid(h, stranger)).text).toBe(telegramLinkMessages.unknown)

    const person = h.fake.user(PERSON_CHAT, { username: 'kuznetsova_a' })
    person.command(`/start link_${code}`)
    const linked = await settledLastSaid(h, person)
    expect(linked.text).toBe(telegramLinkTexts.linked('kuznetsova'))
    expect(sentKeyboard(person)).toMatchObject({
      keyboard: [[{ text: 'Новая заявка' }, { text: 'Мои заявки' }], [{ text: 'Помощь' }]],
    })
    expect(await userRow(h.db, account.id)).toMatchObject({
      telegram_chat_id: String(PERSON_CHAT),
      telegram_username: 'kuznetsova_a',
    })
    expect(await journalOf(h.db, 'user.telegram_link.use')).toHaveLength(1)

    // The code is spent: the stranger cannot use it, and registration still owns a bare /start.
    stranger.command(`/start link_${code}`)
    expect((await settledLastSaid(h, stranger)).text).toBe(telegramLinkMessages.used)
    stranger.command('/start')
    await h.settle()
    expect(lastSaid(stranger).text).toContain(texts.consentQuestion)

    // A ticket filed on the web is taken: the notice reaches the chat linked a moment ago.
    const ticket = await createTicket(h.db, actorFromUser(account, 'web'), {
      description: 'Не печатает принтер',
      categoryId,
    })
    const executor = executors[0]
    if (!executor) throw new Error('no executor')
    await takeTicket(h.db, actorFromUser(executor, 'web'), { ticketId: ticket.id })
    await h.settle()
    expect(lastSaid(person).text).toContain(`Заявка № ${ticket.id} · В работе`)
  })

  test('a chat registered to another account is refused and nothing changes', async () => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const registered = await buildUser(h.db, { telegramChatId: String(PERSON_CHAT) })
    const account = await buildUser(h.db, { login: 'belova', telegramChatId: null })
    h.poll()
    const { app } = testApp(h.db, h.config)
    const page = await postForm(app, '/profile/telegram/link', await signIn(h.db, account))
    const code = /<code class="link-code">([0-9A-Z]{10})<\/code>/.exec(page.text)?.[1] ?? ''

    const person = h.fake.user(PERSON_CHAT)
    person.command(`/start link_${code}`)
    expect((await settledLastSaid(h, person)).text).toBe(telegramLinkMessages.chatTaken)
    expect((await userRow(h.db, account.id)).telegram_chat_id).toBeNull()
    expect((await userRow(h.db, registered.id)).telegram_chat_id).toBe(String(PERSON_CHAT))
    const [refused] = await journalOf(h.db, 'user.telegram_link.refused', 'denied')
    expect(refused).toMatchObject({ subject_id: account.id, channel: 'bot' })
  })
})
