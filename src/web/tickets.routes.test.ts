import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { apiUser, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { buildTicket, insertTickets } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, type WebUser, webUser } from '../../test/support/web.ts'

async function ticketRow(db: Db, id: number) {
  return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

describe('the ticket list', () => {
  test('staff see every ticket with its status, priority, requester and department; the read is journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const department = await buildDepartment(db, 'Кардиология')
    const requester = await buildUser(db, { fullName: 'Иванова Мария', departmentId: department.id })
    await buildTicket(db, { requesterId: requester.id, title: 'Не печатает принтер', priority: 'high' })
    await buildTicket(db, { title: 'Нет сети' })
    const page = await getPage(app, '/tickets', who)
    expect(page.status).toBe(200)
    for (const text of [
      'Не печатает принтер',
      'Нет сети',
      'Иванова Мария',
      'Кардиология',
      'Высокий',
      'Новая',
      'Найдено: 2 заявки',
      'Мои',
      'Не назначенные',
      'Просроченные',
      'Все открытые',
    ])
      expect(page.text, text).toContain(text)
    expect(await journalOf(db, 'ticket.list')).toMatchObject([
      { actor_id: who.user.id, channel: 'web', pdn_related: 1 },
    ])
  })

  test('a requester sees only their own tickets, whatever the filter says', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    await buildTicket(db, { requesterId: who.user.id, title: 'Моя заявка' })
    await buildTicket(db, { title: 'Чужая заявка' })
    const page = await getPage(app, '/tickets?status=new&assignee=none', who)
    expect(page.text).toContain('Моя заявка')
    expect(page.text).not.toContain('Чужая заявка')
    expect(page.text).not.toContain('Не назначенные')
  })

  test('filters, search and the unassigned view narrow the list; filters stay in the links', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const printers = await buildCategory(db, { name: 'Принтеры' })
    await buildTicket(db, { title: 'Замятие бумаги', categoryId: printers.id })
    await buildTicket(db, { title: 'Сломалась мышь', assigneeId: who.user.id, status: 'in_progress' })
    await buildTicket(db, { title: 'Закрытая', status: 'closed' })

    const byCategory = await getPage(app, `/tickets?category=${printers.id}`, who)
    expect(byCategory.text).toContain('Замятие бумаги')
    expect(byCategory.text).not.toContain('Сломалась мышь')

    const unassigned = await getPage(app, '/tickets?status=new&status=in_progress&status=waiting&assignee=none', who)
    expect(unassigned.text).toContain('Замятие бумаги')
    expect(unassigned.text).not.toContain('Сломалась мышь')
    expect(unassigned.text).not.toContain('>Закрытая<')

    const mine = await getPage(app, `/tickets?assignee=${who.user.id}`, who)
    expect(mine.text).toContain('Сломалась мышь')
    expect(mine.text).not.toContain('Замятие бумаги')

    const search = await getPage(app, '/tickets?q=бумаги&sort=-priority', who)
    // The words found are marked (issue 13).
    expect(search.text).toContain('Замятие <mark>бумаги</mark>')
    expect(search.text).not.toContain('Сломалась мышь')
    expect(search.text).toContain('q=%D0%B1%D1%83%D0%BC%D0%B0%D0%B3%D0%B8')
    expect(search.text).toContain('aria-sort="descending"')

    const nothing = await getPage(app, '/tickets?q=несуществующее', who)
    expect(nothing.text).toContain('Нет заявок по этим условиям')
    expect(nothing.text).toContain('сбросить фильтры')
  })

  test('an htmx request gets only the results; overdue tickets are marked', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'curator' })
    await buildTicket(db, { title: 'Давняя', resolutionDueAt: new Date(Date.now() - 2 * 3_600_000).toISOString() })
    const fragment = await getPage(app, '/tickets?overdue=1', who, {
      'hx-request': 'true',
      'hx-target': 'ticket-results',
    })
    expect(fragment.status).toBe(200)
    expect(fragment.text).not.toContain('<html')
    expect(fragment.text).toContain('Давняя')
    expect(fragment.text).toContain('is-overdue')
    expect(fragment.text).toContain('просрочена на 2 ч')
  })

  test('a title with markup is shown as text, never run', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, {
      title: '<script>alert(1)</script>',
      description: '<img src=x onerror=alert(2)>',
    })
    for (const path of ['/tickets', `/tickets/${ticket.id}`]) {
      const page = await getPage(app, path, who)
      expect(page.text, path).not.toContain('<script>alert(1)</script>')
      expect(page.text, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
      expect(page.text, path).not.toContain('<img src=x')
      expect(inlineProblems(page.text), path).toEqual([])
    }
  })

  test('the filtered list exports to CSV, journaled, with formulas defused', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'curator' })
    await buildTicket(db, { title: '=HYPERLINK("x")', status: 'new' })
    await buildTicket(db, { title: 'Закрытая', status: 'closed' })
    const response = await app.request('/tickets/export.csv?status=new', { headers: { cookie: who.cookie } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/csv')
    expect(response.headers.get('content-disposition')).toContain('attachment')
    const text = await response.text()
    expect(text).toContain('№;Заголовок;Статус')
    expect(text).toContain(`'=HYPERLINK`)
    expect(text).not.toContain('Закрытая')
    expect(await journalOf(db, 'ticket.export')).toMatchObject([{ actor_id: who.user.id, pdn_related: 1 }])
  })

  test('the «Создана» filter and its export count the hospital’s days: 01:51 МСК on 06.11 is the 6th', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'curator' })
    await buildTicket(db, { title: 'Ночная', createdAt: '2026-11-05T22:51:00.000Z' })
    await buildTicket(db, { title: 'Вечерняя', createdAt: '2026-11-05T20:00:00.000Z' })
    const sixth = await getPage(app, '/tickets?from=2026-11-06&to=2026-11-06', who)
    expect(sixth.text).toContain('Ночная')
    expect(sixth.text).not.toContain('Вечерняя')
    const fifth = await getPage(app, '/tickets?from=2026-11-05&to=2026-11-05', who)
    expect(fifth.text).toContain('Вечерняя')
    expect(fifth.text).not.toContain('Ночная')
    const csv = await (
      await app.request('/tickets/export.csv?from=2026-11-06&to=2026-11-06', { headers: { cookie: who.cookie } })
    ).text()
    expect(csv).toContain('Ночная')
    expect(csv).not.toContain('Вечерняя')
  })

  test('a list URL with empty fields (a filter form sent as it is) goes to the tidy one', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const messy = await getPage(app, '/tickets?q=&status=new&priority=&from=&to=&category=&sort=', who)
    expect(messy.status).toBe(302)
    expect(messy.location).toBe('/tickets?status=new')
    expect((await getPage(app, '/tickets?status=new', who)).status).toBe(200)
  })

  test('a requester’s export holds only their own tickets', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    await buildTicket(db, { requesterId: who.user.id, title: 'Своя' })
    await buildTicket(db, { title: 'Чужая' })
    const text = await (await app.request('/tickets/export.csv', { headers: { cookie: who.cookie } })).text()
    expect(text).toContain('Своя')
    expect(text).not.toContain('Чужая')
  })
})

describe('a long ticket list', () => {
  const hrefOf = (html: string, rel: 'next' | 'prev') => {
    for (const match of html.matchAll(/<a [^>]*rel="(next|prev)"[^>]*href="([^"]+)"/g)) {
      if (match[1] === rel) return (match[2] ?? '').replaceAll('&amp;', '&')
    }
    return undefined
  }
  const ticketIds = (html: string) => [
    ...new Set([...html.matchAll(/href="\/tickets\/(\d+)"/g)].map((m) => Number(m[1]))),
  ]

  test('past a thousand it says «более 1 000», and pages go by «Следующая» and back by «Предыдущая»', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const requester = await buildUser(db)
    await insertTickets(db, 1001, requester.id)
    const first = await getPage(app, '/tickets', who)
    expect(first.text).toContain('Найдено: более 1\u00a0000 заявок')
    expect(first.text).toMatch(/Все открытые <span class="view__count">более 1\u00a0000<\/span>/)
    expect(first.text).toContain('Следующая')
    expect(hrefOf(first.text, 'prev')).toBeUndefined()
    const next = hrefOf(first.text, 'next')
    // The executor's list is the open tickets, said in its links.
    expect(next).toMatch(/^\/tickets\?status=new&status=in_progress&status=waiting&cursor=/)
    const second = await getPage(app, next ?? '', who)
    const firstIds = ticketIds(first.text)
    expect(firstIds).toHaveLength(50)
    expect(ticketIds(second.text)).toEqual(firstIds.map((id) => id - 50))
    const back = await getPage(app, hrefOf(second.text, 'prev') ?? '', who)
    expect(ticketIds(back.text)).toEqual(firstIds)
    // An old link's page number and a cursor of another sort both give a first page, not an error.
    expect(ticketIds((await getPage(app, '/tickets?page=3', who)).text)).toEqual(firstIds)
    const bySort = await getPage(app, '/tickets?sort=id', who)
    const stale = await getPage(app, `${next}&sort=id`, who)
    expect(stale.status).toBe(200)
    expect(ticketIds(stale.text)).toEqual(ticketIds(bySort.text))
  })

  test('staff open on «Все открытые»; every status is a tick away; a requester sees all of theirs by a tab', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const requester = await webUser(db, { role: 'requester' })
    const open = await buildTicket(db, { title: 'Открытая заявка', requesterId: requester.user.id })
    const done = await buildTicket(db, { title: 'Закрытая заявка', requesterId: requester.user.id, status: 'closed' })
    const bare = await getPage(app, '/tickets', who)
    expect(ticketIds(bare.text)).toEqual([open.id])
    expect(bare.text).toMatch(/aria-current="page">Все открытые/)
    // The form sends `status=all` with nothing ticked: every ticket, whatever else it asks.
    expect(bare.text).toContain('<input type="hidden" name="status" value="all"/>')
    const every = await getPage(app, '/tickets?status=all', who)
    expect(ticketIds(every.text).sort()).toEqual([open.id, done.id].sort())
    expect(ticketIds((await getPage(app, '/tickets?status=all&status=closed', who)).text)).toEqual([done.id])
    // Its pages and sorts keep asking for every status.
    expect(every.text).toContain('href="/tickets?status=all&amp;sort=-id"')
    // A filter without a status is the open tickets too.
    expect(ticketIds((await getPage(app, `/tickets?priority=normal`, who)).text)).toEqual([open.id])
    // A requester's «Мои заявки» opens on their open ones; «Все» is a tab away (requester.routes.test.ts).
    const own = await getPage(app, '/tickets', requester)
    expect(ticketIds(own.text)).toEqual([open.id])
    expect(ticketIds((await getPage(app, '/tickets?status=all', requester)).text).sort()).toEqual(
      [open.id, done.id].sort(),
    )
    // Theirs is a plain list: no export buttons, no ticking for staff's bulk actions.
    expect(own.text).not.toContain('/tickets/export.csv')
    expect(own.text).not.toContain('name="ids"')
  })

  test('the filter panel is folded unless the person left it open; the list sorts by deadline and names', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const late = await buildTicket(db, { title: 'Позже', resolutionDueAt: '2026-12-05T10:00:00.000Z' })
    const soon = await buildTicket(db, { title: 'Скоро', resolutionDueAt: '2026-12-04T10:00:00.000Z' })
    const folded = await getPage(app, '/tickets', who)
    expect(folded.text).toMatch(/<details class="filters__fold" data-remember="hd_filters"/)
    const opened = await getPage(app, '/tickets', { ...who, cookie: `${who.cookie}; hd_filters=1` })
    expect(opened.text).toMatch(/<details class="filters__fold" open="" data-remember="hd_filters"/)
    // «Срок»: a first click, the nearest deadline first; then the other way.
    expect(folded.text).toContain(
      'href="/tickets?status=new&amp;status=in_progress&amp;status=waiting&amp;sort=resolution_due_at"',
    )
    const byDeadline = await getPage(app, '/tickets?sort=resolution_due_at', who)
    expect(ticketIds(byDeadline.text)).toEqual([soon.id, late.id])
    expect(byDeadline.text).toContain('sort=-resolution_due_at"')
    expect(ticketIds((await getPage(app, '/tickets?sort=-resolution_due_at', who)).text)).toEqual([late.id, soon.id])
    expect((await getPage(app, '/tickets?sort=requester', who)).status).toBe(200)
  })

  test('a search without a sort of its own is by number, newest first, and the № header says so', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    // Numbered first but dated later: by date the order would be the other way round.
    const first = await buildTicket(db, { title: 'Принтер в регистратуре', createdAt: '2026-03-02T00:00:00.000Z' })
    const second = await buildTicket(db, { title: 'Принтер в приёмном', createdAt: '2026-03-01T00:00:00.000Z' })
    const page = await getPage(app, `/tickets?q=${encodeURIComponent('принтер')}`, who)
    expect(ticketIds(page.text)).toEqual([second.id, first.id])
    expect(page.text).toMatch(/<th scope="col" class="num fit" aria-sort="descending">/)
    expect(page.text).not.toMatch(/aria-sort="descending">\s*<a[^>]*>Создана/)
  })

  test('the export walks every page of the list, not just the first', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'curator' })
    const requester = await buildUser(db)
    await insertTickets(db, 1001, requester.id)
    const text = await (await app.request('/tickets/export.csv', { headers: { cookie: who.cookie } })).text()
    const lines = text.trim().split('\r\n')
    expect(lines).toHaveLength(1002)
    expect(lines[1]).toMatch(/^1001;Массовая заявка 1001;/)
    expect(lines.at(-1)).toMatch(/^1;Массовая заявка 1;/)
    expect(await journalOf(db, 'ticket.export')).toMatchObject([
      { description: 'Выгрузка списка заявок в CSV: 1001 из 1001' },
    ])
  })
})

describe('the ticket page', () => {
  test('staff see the header, the timeline with internal notes marked, and their actions', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const requester = await buildUser(db, { fullName: 'Петрова Анна', phone: '+79001112233' })
    const ticket = await buildTicket(db, { requesterId: requester.id, title: 'Не включается монитор' })
    await postForm(app, `/tickets/${ticket.id}/messages`, who, { body: 'Проверю кабель', kind: 'internal' })
    const page = await getPage(app, `/tickets/${ticket.id}`, who)
    expect(page.status).toBe(200)
    for (const text of [
      'Не включается монитор',
      'Петрова Анна',
      '+79001112233',
      'Внутренняя заметка',
      'Проверю кабель',
      'Взять в работу',
      'Срок решения',
    ])
      expect(page.text, text).toContain(text)
    expect(page.text).not.toContain(`action="/tickets/${ticket.id}/assign"`)
    expect(await journalOf(db, 'ticket.view')).toMatchObject([{ actor_id: who.user.id, channel: 'web' }])
  })

  test('a requester sees their ticket without internal notes and without staff actions', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const staff = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { requesterId: who.user.id })
    await postForm(app, `/tickets/${ticket.id}/messages`, staff, { body: 'Секрет ИТ', kind: 'internal' })
    await postForm(app, `/tickets/${ticket.id}/messages`, staff, { body: 'Уже идём', kind: 'external' })
    const page = await getPage(app, `/tickets/${ticket.id}`, who)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Уже идём')
    expect(page.text).not.toContain('Секрет ИТ')
    expect(page.text).not.toContain('Взять в работу')
    expect(page.text).not.toContain('name="priority"')
    expect(page.text).toContain('Отменить заявку')
  })

  test('a requester opening someone else’s ticket gets 404, and so does an id that does not exist', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const foreign = await buildTicket(db, { title: 'Чужая тайна' })
    for (const path of [`/tickets/${foreign.id}`, '/tickets/99999', '/tickets/abc']) {
      const page = await getPage(app, path, who)
      expect(page.status, path).toBe(404)
      expect(page.text).not.toContain('Чужая тайна')
      expect(page.text).toContain('Страница не найдена')
    }
    for (const action of ['messages', 'take', 'status']) {
      const result = await postForm(app, `/tickets/${foreign.id}/${action}`, who, {
        body: 'x',
        status: 'cancelled',
        reason: 'x',
      })
      expect(result.status, action).toBe(404)
    }
    expect((await ticketRow(db, foreign.id)).status).toBe('new')
  })
  test('someone else’s ticket and a missing number answer alike (page and API) and are journaled alike', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const token = await apiUser(db)
    const foreign = await buildTicket(db)
    const missing = foreign.id + 1000
    const answer = async (path: string, headers: Record<string, string>) => {
      const response = await app.request(path, { headers })
      const requestId = response.headers.get('x-request-id') ?? 'none'
      const text = (await response.text()).replaceAll(requestId, '<request id>')
      const names = [...response.headers.keys()].filter((name) => name !== 'x-request-id' && name !== 'date')
      return { status: response.status, text, headers: names.map((name) => [name, response.headers.get(name)]) }
    }
    for (const [prefix, headers] of [
      ['/tickets/', { cookie: who.cookie }],
      ['/api/v1/tickets/', { authorization: `Bearer ${token.token}` }],
    ] as const) {
      const theirs = await answer(`${prefix}${foreign.id}`, headers)
      expect(theirs.status).toBe(404)
      expect(await answer(`${prefix}${missing}`, headers)).toEqual(theirs)
    }
    const denied = await journalOf(db, 'ticket.view', 'denied')
    expect(denied.map((row) => [row.actor_id, row.object_id, row.subject_id])).toEqual([
      [who.user.id, String(foreign.id), foreign.requester_id],
      [who.user.id, String(missing), null],
      [token.user.id, String(foreign.id), foreign.requester_id],
      [token.user.id, String(missing), null],
    ])
  })
})

describe('actions on a ticket', () => {
  test('an executor takes, notes, replies and resolves; each is journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const take = await postForm(app, `/tickets/${ticket.id}/take`, who)
    expect(take.status).toBe(303)
    expect(take.location).toBe(`/tickets/${ticket.id}`)
    expect(await ticketRow(db, ticket.id)).toMatchObject({ status: 'in_progress', assignee_id: who.user.id })

    expect(
      (await postForm(app, `/tickets/${ticket.id}/messages`, who, { body: 'Заметка', kind: 'internal' })).status,
    ).toBe(303)
    expect(
      (await postForm(app, `/tickets/${ticket.id}/messages`, who, { body: 'Ответ', kind: 'external' })).status,
    ).toBe(303)
    const messages = await db
      .selectFrom('ticket_messages')
      .select(['kind', 'body'])
      .where('ticket_id', '=', ticket.id)
      .orderBy('id')
      .execute()
    expect(messages).toEqual([
      { kind: 'internal', body: 'Заметка' },
      { kind: 'external', body: 'Ответ' },
    ])

    const resolve = await postForm(app, `/tickets/${ticket.id}/status`, who, {
      status: 'resolved',
      resolution: 'Заменили картридж',
    })
    expect(resolve.status).toBe(303)
    expect(await ticketRow(db, ticket.id)).toMatchObject({ status: 'resolved', resolution: 'Заменили картридж' })

    const actions = (
      await db.selectFrom('audit_log').select(['action', 'channel']).where('actor_id', '=', who.user.id).execute()
    ).map((r) => `${r.action}:${r.channel}`)
    expect(actions).toEqual(expect.arrayContaining(['ticket.take:web', 'ticket.note:web', 'ticket.message:web']))
    expect(
      actions.some((a) => (a.startsWith('ticket.') && a.includes('status')) || a.startsWith('ticket.resolve')),
    ).toBe(true)
  })

  test('resolving without a result shows the Russian refusal beside the form (422) and changes nothing', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress', assigneeId: who.user.id })
    const result = await postForm(app, `/tickets/${ticket.id}/status`, who, { status: 'resolved', resolution: '' })
    expect(result.status).toBe(422)
    expect(result.text).toContain('class="form-error"')
    expect(result.text).toMatch(/[А-Яа-яЁё]/)
    expect(result.text).not.toMatch(/\bat .*\.ts/)
    expect((await ticketRow(db, ticket.id)).status).toBe('in_progress')
  })

  test('a refused message keeps the draft', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: who.user.id, status: 'closed' })
    const result = await postForm(app, `/tickets/${ticket.id}/messages`, who, { body: 'А можно ещё?' })
    expect(result.status).toBe(422)
    expect(result.text).toContain('А можно ещё?')
  })

  test('a curator assigns; an executor may not (and the form is not offered)', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const executor = await webUser(db, { role: 'executor', fullName: 'Сидоров Иван' })
    const requester = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    const page = await getPage(app, `/tickets/${ticket.id}`, curator)
    expect(page.text).toContain(`action="/tickets/${ticket.id}/assign"`)
    expect(page.text).toContain('Сидоров Иван')

    const refused = await postForm(app, `/tickets/${ticket.id}/assign`, executor, { assignee: String(curator.user.id) })
    expect(refused.status).toBe(422)
    expect((await ticketRow(db, ticket.id)).assignee_id).toBeNull()

    const assigned = await postForm(app, `/tickets/${ticket.id}/assign`, curator, {
      assignee: String(executor.user.id),
    })
    expect(assigned.status).toBe(303)
    expect((await ticketRow(db, ticket.id)).assignee_id).toBe(executor.user.id)
    expect(await journalOf(db, 'ticket.assign')).toHaveLength(1)
    const after = await getPage(app, `/tickets/${ticket.id}`, curator)
    expect(after.text).toContain('назначил(а) исполнителя: Сидоров Иван')
    // The requester's timeline names the executor too, not «№ 7» (issue 13).
    const theirs = await getPage(app, `/tickets/${ticket.id}`, requester)
    expect(theirs.text).toContain('назначил(а) исполнителя: Сидоров Иван')
    expect(theirs.text).not.toContain(`№ ${executor.user.id}<`)
  })

  test('the reply box says where the requester will see a reply: Telegram only when they have it', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const executor = await webUser(db, { role: 'executor' })
    const linked = await buildUser(db, { telegramChatId: '700100' })
    const webOnly = await buildUser(db, { telegramChatId: null })
    const withTelegram = await getPage(
      app,
      `/tickets/${(await buildTicket(db, { requesterId: linked.id })).id}`,
      executor,
    )
    expect(withTelegram.text).toContain('Увидит заявитель (и получит в Telegram).')
    const without = await getPage(app, `/tickets/${(await buildTicket(db, { requesterId: webOnly.id })).id}`, executor)
    expect(without.text).toContain('Увидит заявитель на странице заявки: мессенджер у него не подключён.')
    expect(without.text).not.toContain('получит в Telegram')
  })

  test('staff change the department and the place; the page and its timeline say so', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const executor = await webUser(db, { role: 'executor' })
    const cardiology = await buildDepartment(db, 'Кардиология')
    const ticket = await buildTicket(db)
    const page = await getPage(app, `/tickets/${ticket.id}`, executor)
    expect(page.text).toContain(`<option value="${cardiology.id}">Кардиология</option>`)
    const saved = await postForm(app, `/tickets/${ticket.id}/update`, executor, {
      priority: ticket.priority,
      category: String(ticket.category_id),
      department: String(cardiology.id),
      location: 'Ординаторская, 2 этаж',
    })
    expect(saved.status).toBe(303)
    expect(await ticketRow(db, ticket.id)).toMatchObject({
      department_id: cardiology.id,
      location: 'Ординаторская, 2 этаж',
    })
    const after = await getPage(app, `/tickets/${ticket.id}`, executor)
    expect(after.text).toContain('сменил(а) отделение')
    expect(after.text).toContain('<dd>Кардиология</dd>')
    expect(after.text).toContain('<dd>Ординаторская, 2 этаж</dd>')
  })

  test('staff change priority and category; a requester cannot', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const executor = await webUser(db, { role: 'executor' })
    const requester = await webUser(db)
    const other = await buildCategory(db, { name: 'Сеть' })
    const ticket = await buildTicket(db, { requesterId: requester.user.id, priority: 'normal' })
    const refused = await postForm(app, `/tickets/${ticket.id}/update`, requester, { priority: 'critical' })
    expect(refused.status).toBe(422)
    expect((await ticketRow(db, ticket.id)).priority).toBe('normal')
    const done = await postForm(app, `/tickets/${ticket.id}/update`, executor, {
      priority: 'critical',
      category: String(other.id),
    })
    expect(done.status).toBe(303)
    expect(await ticketRow(db, ticket.id)).toMatchObject({ priority: 'critical', category_id: other.id })
    expect(await journalOf(db, 'ticket.update')).toHaveLength(1)
  })

  test('a requester cancels their own new ticket with a reason', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: who.user.id })
    const result = await postForm(app, `/tickets/${ticket.id}/status`, who, {
      status: 'cancelled',
      reason: 'Само заработало',
    })
    expect(result.status).toBe(303)
    expect(await ticketRow(db, ticket.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'Само заработало' })
  })
})

describe('a new ticket', () => {
  test('a requester files one for themselves', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const parent = await buildCategory(db, { name: 'Оборудование' })
    const child = await buildCategory(db, { name: 'Принтеры', parentId: parent.id })
    const form = await getPage(app, '/tickets/new', who)
    expect(form.status).toBe(200)
    expect(form.text).toContain('<optgroup label="Оборудование">')
    expect(form.text).toContain('Принтеры')
    expect(form.text).not.toContain('hx-get="/people"')

    const result = await postForm(app, '/tickets/new', who, {
      title: 'Не печатает',
      description: 'Принтер в 204 кабинете',
      category: String(child.id),
      priority: '',
    })
    expect(result.status).toBe(303)
    const ticket = await db.selectFrom('tickets').selectAll().executeTakeFirstOrThrow()
    expect(result.location).toBe(`/tickets/${ticket.id}`)
    expect(ticket).toMatchObject({
      requester_id: who.user.id,
      category_id: child.id,
      source: 'web',
      title: 'Не печатает',
    })
    expect(await journalOf(db, 'ticket.create')).toHaveLength(1)
  })

  test('an incomplete form comes back with the Russian error and what was typed', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    await buildCategory(db)
    const result = await postForm(app, '/tickets/new', who, { title: 'Черновик', description: 'Текст', category: '' })
    expect(result.status).toBe(422)
    expect(result.text).toContain('Выберите категорию')
    expect(result.text).toContain('value="Черновик"')
    expect(await db.selectFrom('tickets').select('id').execute()).toHaveLength(0)
  })

  test('staff file on behalf of a caller found by name; a requester may not', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const staff = await webUser(db, { role: 'executor' })
    const requester = await webUser(db)
    const caller = await buildUser(db, { fullName: 'Кузнецова Ольга', phone: '+79005556677' })
    const category = await buildCategory(db)

    const people = await getPage(app, `/people?q=${encodeURIComponent('кузнец')}`, staff)
    expect(people.status).toBe(200)
    expect(people.text).toContain(`value="${caller.id}"`)
    expect(people.text).toContain('Кузнецова Ольга')
    expect(await journalOf(db, 'user.search')).toHaveLength(1)
    const byPhone = await getPage(app, '/people?q=5556677', staff)
    expect(byPhone.text).toContain('Кузнецова Ольга')
    // As a phone is dialled or written, and a name in any order (issue 13).
    await buildUser(db, { fullName: 'Емельянова Алла Петровна', phone: '+79061987312' })
    for (const typed of ['8906', '+7 906 198-73-12', '8 (906) 198-73-12', 'Алла Емельянова', 'емельянова алла']) {
      expect((await getPage(app, `/people?q=${encodeURIComponent(typed)}`, staff)).text, typed).toContain(
        'Емельянова Алла Петровна',
      )
    }
    const nobody = (await getPage(app, `/people?q=${encodeURIComponent('Алла Кузнецова')}`, staff)).text
    expect(nobody).not.toMatch(/value="\d+"/)

    expect((await getPage(app, '/people?q=кузнец', requester)).status).toBe(404)

    const filed = await postForm(app, '/tickets/new', staff, {
      description: 'Звонок: не работает телефон',
      category: String(category.id),
      requester: String(caller.id),
    })
    expect(filed.status).toBe(303)
    const ticket = await db.selectFrom('tickets').selectAll().executeTakeFirstOrThrow()
    expect(ticket).toMatchObject({ requester_id: caller.id, created_by: staff.user.id })

    const refused = await postForm(app, '/tickets/new', requester, {
      description: 'От чужого имени',
      category: String(category.id),
      requester: String(caller.id),
    })
    expect(refused.status).toBe(422)
    expect(await db.selectFrom('tickets').select('id').execute()).toHaveLength(1)
  })
  test('a refused form shows the chosen caller again only if one may file for them, and journals that read', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const staff = await webUser(db, { role: 'executor' })
    const requester = await webUser(db)
    const caller = await buildUser(db, { fullName: 'Кузнецова Ольга' })
    const pending = await buildUser(db, { fullName: 'Ожидающий Пётр', status: 'pending' })
    const gone = await buildUser(db, { fullName: 'Уволенная Анна', status: 'deactivated' })
    const refuse = (who: typeof staff, person: number) =>
      postForm(app, '/tickets/new', who, { description: 'Звонок', category: '', requester: String(person) })

    const shown = await refuse(staff, caller.id)
    expect(shown.status).toBe(422)
    expect(shown.text).toContain('Выберите категорию')
    expect(shown.text).toMatch(new RegExp(`<option value="${caller.id}" selected="">Кузнецова Ольга</option>`))
    expect(await journalOf(db, 'user.view')).toMatchObject([
      { actor_id: staff.user.id, subject_id: caller.id, object_id: String(caller.id), pdn_related: 1 },
    ])

    for (const [person, name] of [
      [pending.id, 'Ожидающий Пётр'],
      [gone.id, 'Уволенная Анна'],
      [99_999, ''],
    ] as const) {
      const page = await refuse(staff, person)
      expect(page.status).toBe(422)
      if (name) expect(page.text).not.toContain(name)
      expect(page.text).not.toContain(`value="${person}"`)
    }
    // A requester files only for themselves: the name of the person they named is not theirs to read.
    const foreign = await refuse(requester, caller.id)
    expect(foreign.status).toBe(422)
    expect(foreign.text).not.toContain('Кузнецова Ольга')
    expect(await journalOf(db, 'user.view')).toHaveLength(1)
  })
})

describe('who may open what', () => {
  const roles = ['requester', 'executor', 'curator', 'admin'] as const
  const expected: Record<(typeof roles)[number], Record<string, number>> = {
    requester: { list: 200, new: 200, own: 200, foreign: 404, people: 404 },
    executor: { list: 200, new: 200, own: 200, foreign: 200, people: 200 },
    curator: { list: 200, new: 200, own: 200, foreign: 200, people: 200 },
    admin: { list: 200, new: 200, own: 200, foreign: 200, people: 200 },
  }

  test.each(roles)('a signed-in %s gets the pages their role allows', async (role) => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role })
    const own = await buildTicket(db, { requesterId: who.user.id })
    const foreign = await buildTicket(db)
    const paths: Record<string, string> = {
      list: '/tickets',
      new: '/tickets/new',
      own: `/tickets/${own.id}`,
      foreign: `/tickets/${foreign.id}`,
      people: '/people?q=Тест',
    }
    const got: Record<string, number> = {}
    for (const [name, path] of Object.entries(paths)) got[name] = (await getPage(app, path, who)).status
    expect(got).toEqual(expected[role])
  })

  test.each(['pending', 'rejected', 'deactivated'] as const)(
    'a %s account with a session opens nothing and changes nothing',
    async (status) => {
      const { db } = await testDatabase()
      const { app } = testApp(db)
      const who = await webUser(db, { role: 'executor' })
      const ticket = await buildTicket(db)
      await db.updateTable('users').set({ status }).where('id', '=', who.user.id).execute()
      for (const path of [
        '/tickets',
        '/tickets/new',
        `/tickets/${ticket.id}`,
        '/people?q=Тест',
        '/tickets/export.csv',
      ]) {
        const page = await getPage(app, path, who)
        expect(page.status, path).toBe(303)
        expect(page.location, path).toMatch(/^\/login\?next=/)
      }
      const take = await postForm(app, `/tickets/${ticket.id}/take`, who)
      expect(take.status).toBe(401)
      expect((await ticketRow(db, ticket.id)).assignee_id).toBeNull()
    },
  )
})

describe('the list’s action over several tickets', () => {
  /** The bulk form as the browser sends it: the ticked ids repeated. */
  async function bulk(
    app: ReturnType<typeof testApp>['app'],
    who: WebUser,
    ids: number[],
    fields: Record<string, string>,
  ) {
    const body = new URLSearchParams({ ...fields, _csrf: who.csrf })
    for (const id of ids) body.append('ids', String(id))
    const response = await app.request('/tickets/bulk', {
      method: 'POST',
      body: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: who.cookie },
    })
    return { status: response.status, text: await response.text() }
  }

  test('ticked tickets are assigned; the page says what was done, what was refused and why, and leads back', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const executor = await buildUser(db, { role: 'executor', fullName: 'Исполнителев Пётр' })
    const open = [await buildTicket(db), await buildTicket(db)]
    const closed = await buildTicket(db, { status: 'closed' })
    // The list offers it: a checkbox a row, in the bulk form, and the bar with the staff to assign.
    const list = await getPage(app, '/tickets', curator)
    expect(list.text).toContain(`name="ids" value="${open[0]?.id}" form="bulk"`)
    expect(list.text).toMatch(/<form id="bulk" class="bulk" method="post" action="\/tickets\/bulk"/)
    expect(list.text).toContain('Исполнителев Пётр')

    const back = '/tickets?status=all&sort=-id'
    const page = await bulk(app, curator, [...open.map((t) => t.id), closed.id], {
      action: 'assign',
      assignee: String(executor.id),
      filter: back,
    })
    expect(page.status).toBe(200)
    expect(page.text).toContain('Выполнено: 2 заявки. Отказано: 1')
    expect(page.text).toContain(`href="/tickets/${closed.id}"`)
    expect(page.text).toContain(`href="${back.replaceAll('&', '&amp;')}"`)
    const assigned = await db.selectFrom('tickets').select('id').where('assignee_id', '=', executor.id).execute()
    expect(assigned.map((r) => r.id).sort()).toEqual(open.map((t) => t.id).sort())
    expect(await journalOf(db, 'ticket.bulk')).toHaveLength(1)
  })

  test('«все заявки по фильтру» takes every ticket of the list’s filter, not only the ticked page', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const printers = await buildCategory(db, { name: 'Принтеры' })
    const mine = [
      await buildTicket(db, { categoryId: printers.id }),
      await buildTicket(db, { categoryId: printers.id }),
    ]
    const other = await buildTicket(db)
    const page = await bulk(app, curator, [], {
      all: '1',
      filter: `/tickets?category=${printers.id}`,
      action: 'priority',
      priority: 'critical',
    })
    expect(page.text).toContain('Выполнено: 2 заявки')
    const critical = await db.selectFrom('tickets').select('id').where('priority', '=', 'critical').execute()
    expect(critical.map((r) => r.id).sort()).toEqual(mine.map((t) => t.id).sort())
    expect(critical.map((r) => r.id)).not.toContain(other.id)
    // An address not of the list is not followed back.
    const away = await bulk(app, curator, [other.id], { action: 'take', filter: 'https://evil.example/' })
    expect(away.text).toContain('href="/tickets"')
    // Without an action: said, nothing done.
    const none = await bulk(app, curator, [other.id], {})
    expect(none.status).toBe(422)
    expect(none.text).toContain('Выберите действие')
  })
})
