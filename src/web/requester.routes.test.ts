import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

async function ticketRow(db: Db, id: number) {
  return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

const ticketIds = (html: string) => [
  ...new Set([...html.matchAll(/href="\/tickets\/(\d+)"/g)].map((m) => Number(m[1]))),
]

describe('«Мои заявки»: the requester’s list', () => {
  test('their own tickets by tabs, open ones first; no staff filters, exports or ticking; the read is journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const fresh = await buildTicket(db, { requesterId: who.user.id, title: 'Не включается монитор' })
    const resolved = await buildTicket(db, { requesterId: who.user.id, title: 'Нет звука', status: 'resolved' })
    const closed = await buildTicket(db, { requesterId: who.user.id, title: 'Старая мышь', status: 'closed' })
    await buildTicket(db, { title: 'Чужая заявка' })

    const page = await getPage(app, '/tickets', who)
    expect(page.status).toBe(200)
    expect(page.text).toContain('<h1>Мои заявки</h1>')
    expect(ticketIds(page.text).sort()).toEqual([fresh.id, resolved.id].sort())
    expect(page.text).toContain('ждёт вашего подтверждения')
    expect(page.text).toMatch(/aria-current="page">Открытые <span class="view__count">2<\/span>/)
    expect(page.text).toMatch(/Закрытые <span class="view__count">1<\/span>/)
    expect(page.text).toMatch(/Все <span class="view__count">3<\/span>/)
    for (const staffOnly of [
      'class="filters"',
      'name="assignee"',
      'name="department"',
      'name="group"',
      'name="priority"',
      '/tickets/export.csv',
      'name="ids"',
      'Не назначенные',
      'Сохранить вид',
      'Чужая заявка',
    ])
      expect(page.text, staffOnly).not.toContain(staffOnly)
    expect(inlineProblems(page.text)).toEqual([])
    expect((await journalOf(db, 'ticket.list')).at(-1)).toMatchObject({ actor_id: who.user.id, pdn_related: 1 })

    const closedTab = await getPage(app, '/tickets?status=closed&status=cancelled', who)
    expect(ticketIds(closedTab.text)).toEqual([closed.id])
    expect(closedTab.text).toMatch(/aria-current="page">Закрытые/)
    const all = await getPage(app, '/tickets?status=all', who)
    expect(ticketIds(all.text).sort()).toEqual([fresh.id, resolved.id, closed.id].sort())
    // A staff filter in the address does nothing here: a requester's list is theirs, by status and words only.
    expect(ticketIds((await getPage(app, '/tickets?status=all&priority=critical', who)).text)).toHaveLength(3)
    // The top bar's search: their tickets with the words, whatever the tab.
    const search = await getPage(app, '/tickets?q=мышь&status=all', who)
    expect(ticketIds(search.text)).toEqual([closed.id])
    expect(search.text).toContain('Поиск: «мышь»')
    expect((await getPage(app, '/tickets?q=', who)).location).toBe(
      // Issue 14: awaiting approval is open for the requester too.
      '/tickets?status=approval&status=new&status=in_progress&status=waiting&status=resolved',
    )
  })

  test('an empty open tab says what to do next', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const page = await getPage(app, '/tickets', who)
    expect(page.text).toContain('Открытых заявок нет')
    expect(page.text).toContain('href="/tickets/new"')
  })

  test('staff keep their own list with filters', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const page = await getPage(app, '/tickets', who)
    expect(page.text).toContain('class="filters"')
    expect(page.text).not.toContain('<h1>Мои заявки</h1>')
  })
})

describe('the requester’s answers on the ticket page', () => {
  test('a resolved ticket offers «Подтверждаю» and «Не решено», not staff’s status buttons', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: who.user.id, status: 'resolved' })
    const page = await getPage(app, `/tickets/${ticket.id}`, who)
    expect(page.text).toContain(`action="/tickets/${ticket.id}/confirm"`)
    expect(page.text).toContain(`action="/tickets/${ticket.id}/not-solved"`)
    expect(page.text).toContain(`action="/tickets/${ticket.id}/rate"`)
    expect(page.text).not.toContain('Подтвердить и закрыть')
    expect(page.text).not.toContain('Открыть снова')
    expect(page.text).toMatch(/name="_once"/)
    // A new one may only be cancelled; one in work has nothing to press.
    const fresh = await buildTicket(db, { requesterId: who.user.id })
    const freshPage = await getPage(app, `/tickets/${fresh.id}`, who)
    expect(freshPage.text).toContain('Отменить заявку')
    expect(freshPage.text).not.toContain('/confirm"')
    const working = await buildTicket(db, { requesterId: who.user.id, status: 'in_progress' })
    expect((await getPage(app, `/tickets/${working.id}`, who)).text).toContain('Действий с заявкой нет.')
  })

  test('«Подтверждаю» closes the ticket; then it is rated once, with a comment staff see', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const staff = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { requesterId: who.user.id, status: 'resolved', assigneeId: staff.user.id })

    const confirmed = await postForm(app, `/tickets/${ticket.id}/confirm`, who)
    expect(confirmed.status).toBe(303)
    expect(confirmed.location).toBe(`/tickets/${ticket.id}`)
    expect((await ticketRow(db, ticket.id)).status).toBe('closed')

    const closedPage = await getPage(app, `/tickets/${ticket.id}`, who)
    expect(closedPage.text).toContain('Оцените работу')
    expect(closedPage.text).not.toContain('/confirm"')

    const noScore = await postForm(app, `/tickets/${ticket.id}/rate`, who, { comment: 'Без оценки' })
    expect(noScore.status).toBe(422)
    expect(noScore.text).toContain('Выберите оценку от 1 до 5')

    const rated = await postForm(app, `/tickets/${ticket.id}/rate`, who, { score: '4', comment: 'Быстро, спасибо' })
    expect(rated.status).toBe(303)
    expect(await ticketRow(db, ticket.id)).toMatchObject({ rating: 4, rating_comment: 'Быстро, спасибо' })
    const again = await postForm(app, `/tickets/${ticket.id}/rate`, who, { score: '1' })
    expect(again.status).toBe(422)
    expect(again.text).toContain('Заявка уже оценена')
    expect((await ticketRow(db, ticket.id)).rating).toBe(4)

    // The rating is on the ticket for everyone who opens it; no form is offered twice.
    const afterwards = await getPage(app, `/tickets/${ticket.id}`, who)
    expect(afterwards.text).not.toContain(`action="/tickets/${ticket.id}/rate"`)
    const staffPage = await getPage(app, `/tickets/${ticket.id}`, staff)
    expect(staffPage.text).toContain('Оценка заявителя')
    expect(staffPage.text).toContain('4 из 5')
    expect(staffPage.text).toContain('Быстро, спасибо')
  })

  test('a rating given without a comment takes one later, once', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: who.user.id, status: 'closed' })
    expect((await postForm(app, `/tickets/${ticket.id}/rate`, who, { score: '5' })).status).toBe(303)
    const page = await getPage(app, `/tickets/${ticket.id}`, who)
    expect(page.text).toContain(`action="/tickets/${ticket.id}/rating-comment"`)
    const commented = await postForm(app, `/tickets/${ticket.id}/rating-comment`, who, { comment: 'Всё отлично' })
    expect(commented.status).toBe(303)
    expect((await ticketRow(db, ticket.id)).rating_comment).toBe('Всё отлично')
    expect((await postForm(app, `/tickets/${ticket.id}/rating-comment`, who, { comment: 'Ещё' })).status).toBe(422)
  })

  test('«Не решено» needs what is wrong; then the ticket is back in work and staff read the reason', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const staff = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { requesterId: who.user.id, status: 'resolved', assigneeId: staff.user.id })

    const empty = await postForm(app, `/tickets/${ticket.id}/not-solved`, who, { comment: ' ' })
    expect(empty.status).toBe(422)
    expect(empty.text).toContain('Заполните поле «Что не так»')
    expect((await ticketRow(db, ticket.id)).status).toBe('resolved')

    const sent = await postForm(app, `/tickets/${ticket.id}/not-solved`, who, { comment: 'Звука всё ещё нет' })
    expect(sent.status).toBe(303)
    expect((await ticketRow(db, ticket.id)).status).toBe('in_progress')
    const staffPage = await getPage(app, `/tickets/${ticket.id}`, staff)
    expect(staffPage.text).toContain('Звука всё ещё нет')
    expect(staffPage.text).toContain('Решена → В работе')
  })

  test('someone else’s ticket is not found, whichever answer is sent', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const foreign = await buildTicket(db, { requesterId: (await buildUser(db)).id, status: 'resolved' })
    for (const [path, fields] of [
      ['confirm', {}],
      ['not-solved', { comment: 'Чужое' }],
      ['rate', { score: '1' }],
    ] as const) {
      expect((await postForm(app, `/tickets/${foreign.id}/${path}`, who, fields)).status, path).toBe(404)
    }
    expect((await ticketRow(db, foreign.id)).status).toBe('resolved')
    // Without the CSRF token nothing is done.
    const own = await buildTicket(db, { requesterId: who.user.id, status: 'resolved' })
    expect((await postForm(app, `/tickets/${own.id}/confirm`, who, {}, { csrf: null })).status).toBe(403)
    expect((await ticketRow(db, own.id)).status).toBe('resolved')
  })
})
