import { afterEach, describe, expect, test } from 'vitest'
import { newTicketTexts } from '#src/bot/texts.ts'
import { callback } from '#src/notify/callback-data.ts'
import { outageBotTexts } from '#src/outages/outage-rules.ts'
import { testApp } from '../support/api.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buttonData, lastSaid as last, ticketPeople } from '../support/bot-people.ts'
import { buildDepartment, buildUser } from '../support/factories.ts'
import { buildTicket } from '../support/ticket-factory.ts'
import { postForm, webUser } from '../support/web.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * «Массовый сбой» end to end (issue 14): an executor declares «МИС не работает в корпусе 2» on the web; a nurse of
 * the ward gets the announcement in the bot, starts «Новая заявка» in that category, is told «Известная проблема»
 * and presses «У меня тоже»; the executor resolves the parent, and the nurse hears once that it is fixed — her
 * ticket, a child of the parent, resolved with it.
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

const NURSE_CHAT = 7501
const EXECUTOR_CHAT = 5501

describe.each(botDialects)('an outage from its declaration to its end (%s)', (dialect) => {
  test('declare → announcement → «Известная проблема» → «У меня тоже» → resolved with one message', async () => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const { app } = testApp(h.db, h.config)
    const people = await ticketPeople(
      h.db,
      { requester: 7502, executors: [EXECUTOR_CHAT] },
      { group: 'Информационные системы', category: 'МИС' },
    )
    const ward = await buildDepartment(h.db, 'Терапевтическое отделение')
    const nurse = await buildUser(h.db, {
      telegramChatId: String(NURSE_CHAT),
      fullName: 'Смирнова Анна',
      departmentId: ward.id,
    })
    const parent = await buildTicket(h.db, {
      categoryId: people.categoryId,
      status: 'in_progress',
      assigneeId: people.executors[0]?.id ?? null,
      title: 'Не открывается МИС',
    })
    const executor = await webUser(h.db, { role: 'executor' })

    // 1. The executor declares the outage on the ticket's page form.
    const declared = await postForm(app, `/tickets/${parent.id}/outage`, executor, {
      title: 'МИС не работает в корпусе 2',
      place: 'корпус 2',
      department_ids: String(ward.id),
      category_ids: String(people.categoryId),
      announcement: '',
    })
    expect(declared.status).toBe(303)
    const outage = await h.db.selectFrom('outages').selectAll().executeTakeFirstOrThrow()
    expect(outage.recipients).toBe(1)

    // 2. The nurse gets the announcement, with the opt-out under it.
    h.poll()
    const chat = h.fake.user(NURSE_CHAT)
    await h.settle()
    const announcement = last(chat)
    expect(announcement.text).toContain('МИС не работает в корпусе 2')
    expect(buttonData(announcement)).toEqual([callback.outageOptOut()])

    // 3. «Новая заявка» in that category: the known problem is offered instead of the description's question.
    chat.command('/new')
    await h.settle()
    chat.press(last(chat).message_id, callback.category(people.categoryId))
    await h.settle()
    const offer = last(chat)
    expect(offer.text).toBe(outageBotTexts.offer('МИС не работает в корпусе 2'))
    expect(buttonData(offer)).toEqual([
      callback.outageAnswer('me', outage.id),
      callback.outageAnswer('no', outage.id),
      callback.cancel(),
    ])

    // 4. «У меня тоже»: her ticket, a child of the parent, no new work.
    chat.press(offer.message_id, callback.outageAnswer('me', outage.id))
    await h.settle()
    const child = await h.db
      .selectFrom('tickets')
      .selectAll()
      .where('requester_id', '=', nurse.id)
      .executeTakeFirstOrThrow()
    expect(child.status).toBe('in_progress')
    expect(last(chat).text).toBe(outageBotTexts.joined(`Заявка № ${child.id} · В работе`))
    const link = await h.db.selectFrom('ticket_links').selectAll().where('other_id', '=', child.id).executeTakeFirst()
    expect(link).toMatchObject({ ticket_id: parent.id, kind: 'parent' })
    expect(chat.botMessages().some((m) => m.text === newTicketTexts.askDescription)).toBe(false)

    // 5. The executor resolves the parent; the nurse is told once, about her own ticket.
    const before = chat.botMessages().length
    const resolved = await postForm(app, `/tickets/${parent.id}/status`, executor, {
      status: 'resolved',
      resolution: 'Сервер МИС перезапущен',
    })
    expect(resolved.status).toBeLessThan(400)
    await h.settle()
    const after = chat.botMessages().slice(before)
    expect(after).toHaveLength(1)
    expect(after[0]?.text).toContain(`Заявка № ${child.id}`)
    expect(after[0]?.text).toContain('Сервер МИС перезапущен')
    const done = await h.db.selectFrom('tickets').selectAll().where('id', '=', child.id).executeTakeFirstOrThrow()
    expect(done).toMatchObject({ status: 'resolved', resolution: 'Сервер МИС перезапущен' })
    const ended = await h.db.selectFrom('outages').selectAll().executeTakeFirstOrThrow()
    expect(ended.resolved_at).not.toBeNull()

    // 6. «Новая заявка» in that category again: no outage any more, the description is asked as ever.
    chat.command('/new')
    await h.settle()
    chat.press(last(chat).message_id, callback.category(people.categoryId))
    await h.settle()
    expect(last(chat).text).toBe(newTicketTexts.askDescription)

    // 7. Under the announcement: «Не присылать такие объявления» — stored, the button gone.
    chat.press(announcement.message_id, callback.outageOptOut())
    await h.settle()
    expect(last(chat).text).toBe(outageBotTexts.optedOut)
    const optOut = await h.db.selectFrom('outage_opt_outs').selectAll().where('user_id', '=', nurse.id).execute()
    expect(optOut).toHaveLength(1)
  })

  test('«Нет, у меня другое» goes on as ever; another department is offered nothing', async () => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const people = await ticketPeople(
      h.db,
      { requester: 7503, executors: [5502] },
      { group: 'Информационные системы', category: 'МИС' },
    )
    const ward = await buildDepartment(h.db, 'Хирургическое отделение')
    const other = await buildDepartment(h.db, 'Приёмное отделение')
    const nurse = await buildUser(h.db, { telegramChatId: String(NURSE_CHAT), departmentId: ward.id })
    await buildUser(h.db, { telegramChatId: '7504', departmentId: other.id })
    const parent = await buildTicket(h.db, { categoryId: people.categoryId, status: 'in_progress' })
    const executor = await webUser(h.db, { role: 'executor' })
    const { app } = testApp(h.db, h.config)
    await postForm(app, `/tickets/${parent.id}/outage`, executor, {
      title: 'МИС не работает',
      department_ids: String(ward.id),
      category_ids: String(people.categoryId),
    })
    const outage = await h.db.selectFrom('outages').selectAll().executeTakeFirstOrThrow()
    h.poll()

    const chat = h.fake.user(NURSE_CHAT)
    chat.command('/new')
    await h.settle()
    chat.press(last(chat).message_id, callback.category(people.categoryId))
    await h.settle()
    chat.press(last(chat).message_id, callback.outageAnswer('no', outage.id))
    await h.settle()
    expect(last(chat).text).toBe(newTicketTexts.askDescription)
    chat.send('Не печатается направление из МИС')
    await h.settle()
    chat.press(last(chat).message_id, callback.urgency('normal'))
    await h.settle()
    const filed = await h.db.selectFrom('tickets').selectAll().where('requester_id', '=', nurse.id).execute()
    expect(filed).toHaveLength(1)
    expect(filed[0]).toMatchObject({ status: 'new', description: 'Не печатается направление из МИС' })
    const links = await h.db
      .selectFrom('ticket_links')
      .selectAll()
      .where('other_id', '=', filed[0]?.id ?? 0)
      .execute()
    expect(links).toHaveLength(0)

    const stranger = h.fake.user(7504)
    stranger.command('/new')
    await h.settle()
    stranger.press(last(stranger).message_id, callback.category(people.categoryId))
    await h.settle()
    expect(last(stranger).text).toBe(newTicketTexts.askDescription)
    expect(stranger.botMessages().some((m) => m.text?.includes('Известная проблема'))).toBe(false)
  })
})
