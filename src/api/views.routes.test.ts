import { describe, expect, test } from 'vitest'
import { apiUser, call, expectCleanError, idOf, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { pageSchemas, responseSchemas } from './openapi.ts'

describe('/api/v1/views', () => {
  test('an executor saves a view (normalised by the list’s parser), lists it and reads its tickets', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const executor = await apiUser(db, { role: 'executor' })
    const printers = await buildCategory(db, { name: 'Принтеры' })
    const wanted = await buildTicket(db, { categoryId: printers.id, priority: 'high', title: 'Нужная' })
    await buildTicket(db, { categoryId: printers.id, priority: 'low' })
    await buildTicket(db, { categoryId: printers.id, priority: 'high', status: 'closed' })

    const created = await call(app, 'POST', '/api/v1/views', {
      headers: executor.headers,
      body: { name: 'Принтеры срочно', query: `/tickets?priority=high&category=${printers.id}&junk=1` },
    })
    expect(created.status).toBe(201)
    responseSchemas.SavedView.parse(created.body)
    expect(created.body).toMatchObject({
      name: 'Принтеры срочно',
      query: `status=new&status=in_progress&status=waiting&priority=high&category=${printers.id}`,
      shared: false,
      owner_id: executor.user.id,
    })
    const id = idOf(created)

    const list = await call(app, 'GET', '/api/v1/views', { headers: executor.headers })
    expect(list.status).toBe(200)
    expect((list.body as { items: Array<{ id: number }> }).items.map((v) => v.id)).toEqual([id])

    const tickets = await call(app, 'GET', `/api/v1/views/${id}/tickets?per_page=10`, { headers: executor.headers })
    expect(tickets.status).toBe(200)
    const page = tickets.body as { items: Array<{ id: number }>; total: number; total_capped: boolean; page: null }
    expect(page.items.map((t) => t.id)).toEqual([wanted.id])
    expect(page).toMatchObject({ total: 1, total_capped: false, page: null, per_page: 10, next_cursor: null })
    for (const item of page.items) pageSchemas.TicketListItem.parse(item)
    expect((await journalOf(db, 'ticket.list')).at(-1)).toMatchObject({ actor_id: executor.user.id })

    const renamed = await call(app, 'PATCH', `/api/v1/views/${id}`, {
      headers: executor.headers,
      body: { name: 'Срочные принтеры', query: 'status=all' },
    })
    expect(renamed.status).toBe(200)
    expect(renamed.body).toMatchObject({ name: 'Срочные принтеры', query: 'status=all' })

    const deleted = await call(app, 'DELETE', `/api/v1/views/${id}`, { headers: executor.headers })
    expect(deleted.status).toBe(204)
    expectCleanError(
      await call(app, 'GET', `/api/v1/views/${id}/tickets`, { headers: executor.headers }),
      404,
      'not_found',
    )
  })

  test('refusals: a requester keeps none, an executor shares none, a name is unique and short', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await apiUser(db)
    const executor = await apiUser(db, { role: 'executor' })
    const curator = await apiUser(db, { role: 'curator' })
    expectCleanError(await call(app, 'GET', '/api/v1/views', { headers: requester.headers }), 403, 'forbidden')
    expectCleanError(
      await call(app, 'POST', '/api/v1/views', {
        headers: executor.headers,
        body: { name: 'Всем', query: '', shared: true },
      }),
      403,
      'forbidden',
    )
    expect(await journalOf(db, 'saved_view.create', 'denied')).toMatchObject([{ actor_id: executor.user.id }])
    const shared = await call(app, 'POST', '/api/v1/views', {
      headers: curator.headers,
      body: { name: 'Для всех', query: 'overdue=1', shared: true },
    })
    expect(shared.status).toBe(201)
    // The executor sees the shared view and its tickets, but cannot change it.
    const id = idOf(shared)
    expect((await call(app, 'GET', `/api/v1/views/${id}/tickets`, { headers: executor.headers })).status).toBe(200)
    expectCleanError(
      await call(app, 'PATCH', `/api/v1/views/${id}`, { headers: executor.headers, body: { name: 'Моё' } }),
      403,
      'forbidden',
    )
    expectCleanError(
      await call(app, 'POST', '/api/v1/views', { headers: curator.headers, body: { name: 'ДЛЯ ВСЕХ', query: '' } }),
      409,
      'conflict',
    )
    expectCleanError(
      await call(app, 'POST', '/api/v1/views', { headers: curator.headers, body: { name: 'д'.repeat(61), query: '' } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', '/api/v1/views', { headers: curator.headers, body: { name: 'Чужой', query: '/users' } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'PATCH', `/api/v1/views/${id}`, { headers: curator.headers, body: {} }),
      422,
      'validation',
    )
    // Someone's personal view is not found for anyone else, even a curator.
    const own = idOf(
      await call(app, 'POST', '/api/v1/views', { headers: executor.headers, body: { name: 'Моё', query: '' } }),
    )
    expectCleanError(await call(app, 'DELETE', `/api/v1/views/${own}`, { headers: curator.headers }), 404, 'not_found')
  })
})
