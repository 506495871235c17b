import { afterEach, describe, expect, test } from 'vitest'
import { dutyTexts } from '#src/bot/features/duty.ts'
import { newTicketTexts } from '#src/bot/texts.ts'
import { escalateTickets } from '#src/duty/escalate-tickets.ts'
import { callback } from '#src/notify/callback-data.ts'
import { testApp } from '../support/api.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buttonData, lastSaid as last, ticketPeople } from '../support/bot-people.ts'
import { setTestClock } from '../support/clock.ts'
import { getPage, postForm, signIn, webUser } from '../support/web.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * «Дежурства и эскалация» end to end (issue 14): a curator puts tonight's roster on the web; at 23:00 a nurse files
 * a critical ticket in the bot; the executor on duty is called at once with «🔴 Критическая заявка» and «Принял»;
 * nobody presses for 10 minutes, so the curator on duty is called; the curator presses «Принял» and the chain
 * stops; the ticket's timeline shows every step; `/duty` tells anyone who is on duty.
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

const NURSE_CHAT = 7501
const EXECUTOR_CHAT = 5501
const OTHER_EXECUTOR_CHAT = 5502
const CURATOR_CHAT = 5503

describe.each(botDialects)('a critical ticket at night climbs the duty roster (%s)', (dialect) => {
  test('roster → critical at 23:00 → duty executor → 10 minutes → curator on duty → «Принял» → timeline, /duty', async () => {
    // Monday 2 March 2026, 22:55 in Moscow: outside the working hours (08:00–17:00).
    setTestClock('2026-03-02T19:55:00.000Z')
    h = await botHarness({ db: await databaseFor(dialect) })
    const { app } = testApp(h.db, h.config)
    const people = await ticketPeople(
      h.db,
      { requester: NURSE_CHAT, executors: [EXECUTOR_CHAT, OTHER_EXECUTOR_CHAT] },
      { group: 'Сеть и МИС', category: 'МИС не работает' },
    )
    const [executor, other] = people.executors
    if (!executor || !other) throw new Error('two executors expected')
    const group = await h.db.selectFrom('executor_groups').selectAll().executeTakeFirstOrThrow()
    const curator = await webUser(h.db, {
      role: 'curator',
      fullName: 'Кураторова Ольга',
      telegramChatId: String(CURATOR_CHAT),
    })

    // 1. Tonight's roster, on the web: the executor and the curator, 20:00–08:00.
    for (const person of [executor, curator.user]) {
      const added = await postForm(app, '/duty', curator, {
        group_id: String(group.id),
        user_id: String(person.id),
        day: '2026-03-02',
        from: '20:00',
        to: '08:00',
        kind: 'night',
        note: '',
      })
      expect(added.status).toBe(303)
    }
    const roster = await getPage(app, '/duty?week=2026-03-02', curator)
    expect(roster.text).toContain('Петров Пётр')
    expect(roster.text).toContain('Кураторова Ольга')

    // 2. 23:00: the nurse files a critical ticket.
    setTestClock('2026-03-02T20:00:00.000Z')
    h.poll()
    const nurse = h.fake.user(NURSE_CHAT)
    nurse.command('/new')
    await h.settle()
    nurse.press(last(nurse).message_id, callback.category(people.categoryId))
    await h.settle()
    expect(last(nurse).text).toBe(newTicketTexts.askDescription)
    nurse.send('Не открывается МИС в реанимации, ни на одном компьютере')
    await h.settle()
    nurse.press(last(nurse).message_id, callback.urgency('critical'))
    await h.settle()
    const ticket = await h.db
      .selectFrom('tickets')
      .selectAll()
      .where('requester_id', '=', people.requester.id)
      .executeTakeFirstOrThrow()
    expect(ticket.priority).toBe('critical')

    // 3. The worker's round: the executor on duty — and only they — is called at once.
    setTestClock('2026-03-02T20:01:00.000Z')
    expect(await escalateTickets(h.db)).toBe(1)
    await h.settle()
    const executorChat = h.fake.user(EXECUTOR_CHAT)
    const call = executorChat.botMessages().find((m) => m.text?.startsWith('🔴 Критическая заявка'))
    expect(call?.text).toContain(`🔴 Критическая заявка № ${ticket.id}`)
    expect(buttonData(call)).toEqual([callback.acknowledge(ticket.id)])
    const curatorChat = h.fake.user(CURATOR_CHAT)
    const loud = (chat: number) =>
      h.fake
        .user(chat)
        .botMessages()
        .filter((m) => m.text?.startsWith('🔴'))
    expect(loud(OTHER_EXECUTOR_CHAT)).toHaveLength(0)
    expect(loud(CURATOR_CHAT)).toHaveLength(0)

    // 4. Nobody presses for 10 minutes: the curator on duty is called.
    setTestClock('2026-03-02T20:10:59.000Z')
    expect(await escalateTickets(h.db)).toBe(0)
    setTestClock('2026-03-02T20:11:00.000Z')
    expect(await escalateTickets(h.db)).toBe(1)
    await h.settle()
    const curatorCall = loud(CURATOR_CHAT)[0]
    expect(curatorCall?.text).toContain('Дежурный не ответил за 10 минут')

    // 5. The curator presses «Принял»: the chain stops, the button goes.
    if (!curatorCall) throw new Error('the curator was not called')
    const pressed = curatorChat.press(curatorCall.message_id, callback.acknowledge(ticket.id))
    await h.settle()
    expect(h.fake.callbackAnswer(pressed.callbackQueryId)).toMatchObject({ text: dutyTexts.acknowledgedAnswer })
    const edited = curatorChat.botMessages().find((m) => m.message_id === curatorCall.message_id)
    expect(edited?.text).toContain(dutyTexts.acknowledged)
    expect(buttonData(edited)).toEqual([])
    // The executor's late press changes nothing and says who took it.
    const late = executorChat.press(call?.message_id ?? 0, callback.acknowledge(ticket.id))
    await h.settle()
    expect(h.fake.callbackAnswer(late.callbackQueryId)).toMatchObject({
      text: dutyTexts.already('Кураторова Ольга'),
    })
    setTestClock('2026-03-02T20:40:00.000Z')
    expect(await escalateTickets(h.db)).toBe(0)

    // 6. The timeline shows each step.
    // Signed in anew: the first session idled out while the chain climbed.
    const page = await getPage(app, `/tickets/${ticket.id}`, await signIn(h.db, curator.user))
    expect(page.status).toBe(200)
    expect(page.text).toContain('критическая заявка ночью: вызван дежурный группы')
    expect(page.text).toContain('критическая заявка ночью: вызван куратор')
    expect(page.text).toContain('принял(а) критическую заявку')

    // 7. `/duty`: anyone registered learns who is on duty — names and roles, no phone numbers.
    nurse.command('/duty')
    await h.settle()
    const answer = last(nurse).text ?? ''
    expect(answer).toContain(dutyTexts.title)
    expect(answer).toContain('Сеть и МИС: Петров Пётр (исполнитель, до 08:00); Кураторова Ольга (куратор, до 08:00)')
    expect(answer).not.toMatch(/\+7\d/)
  })
})
