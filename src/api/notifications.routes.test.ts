import { describe, expect, test } from 'vitest'
import { apiUser, call, expectCleanError, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { pageSchemas } from './openapi.ts'

describe('the bell over the API', () => {
  test('an executor follows a ticket, hears of a mention and an assignment, and marks them read', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await apiUser(db, { role: 'curator', fullName: 'Сидоров Пётр' })
    const executor = await apiUser(db, { role: 'executor', fullName: 'Петров Иван' })
    const ticket = await buildTicket(db, { title: 'Не работает МИС' })

    const followed = await call(app, 'PUT', `/api/v1/tickets/${ticket.id}/watch`, { headers: executor.headers })
    expect(followed.status).toBe(200)
    expect(followed.body).toEqual({
      following: true,
      watchers: [{ id: executor.user.id, full_name: 'Петров Иван' }],
    })
    const detail = await call(app, 'GET', `/api/v1/tickets/${ticket.id}`, { headers: curator.headers })
    expect((detail.body as { watchers: unknown }).watchers).toEqual([
      { id: executor.user.id, full_name: 'Петров Иван' },
    ])

    await call(app, 'POST', `/api/v1/tickets/${ticket.id}/messages`, {
      headers: curator.headers,
      body: { body: '@петров посмотри', internal: true },
    })
    await call(app, 'POST', `/api/v1/tickets/${ticket.id}/assign`, {
      headers: curator.headers,
      body: { assignee_id: executor.user.id },
    })

    const list = await call(app, 'GET', '/api/v1/notifications?unread=1', { headers: executor.headers })
    expect(list.status).toBe(200)
    const body = list.body as { items: Array<{ id: number; kind: string }>; unread: number; next: number | null }
    expect(body.unread).toBe(2)
    expect(body.next).toBeNull()
    expect(body.items.map((n) => n.kind)).toEqual(['assigned', 'mention'])
    for (const item of body.items) pageSchemas.Notification.parse(item)
    expect(body.items[0]).toMatchObject({
      ticket_id: ticket.id,
      ticket_title: 'Не работает МИС',
      actor_name: 'Сидоров Пётр',
    })

    const one = await call(app, 'POST', `/api/v1/notifications/${body.items[0]?.id}/read`, {
      headers: executor.headers,
    })
    expect(one.body).toEqual({ unread: 1 })
    const all = await call(app, 'POST', '/api/v1/notifications/read-all', { headers: executor.headers })
    expect(all.body).toEqual({ unread: 0 })
    const unread = await call(app, 'GET', '/api/v1/notifications?unread=true', { headers: executor.headers })
    expect((unread.body as { items: unknown[] }).items).toEqual([])

    const unfollowed = await call(app, 'DELETE', `/api/v1/tickets/${ticket.id}/watch`, { headers: executor.headers })
    expect(unfollowed.body).toEqual({ following: false, watchers: [] })
  })

  test('refusals: a requester 403, another’s notification 404, a bad query 422, a missing ticket 404', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await apiUser(db)
    const curator = await apiUser(db, { role: 'curator' })
    const executor = await apiUser(db, { role: 'executor' })
    const own = await buildTicket(db, { requesterId: requester.user.id })
    await call(app, 'POST', `/api/v1/tickets/${own.id}/assign`, {
      headers: curator.headers,
      body: { assignee_id: executor.user.id },
    })
    const [mine] = await db.selectFrom('web_notifications').select('id').execute()

    expectCleanError(await call(app, 'GET', '/api/v1/notifications', { headers: requester.headers }), 403, 'forbidden')
    expectCleanError(
      await call(app, 'PUT', `/api/v1/tickets/${own.id}/watch`, { headers: requester.headers }),
      403,
      'forbidden',
    )
    expectCleanError(
      await call(app, 'POST', `/api/v1/notifications/${mine?.id}/read`, { headers: curator.headers }),
      404,
      'not_found',
    )
    expectCleanError(
      await call(app, 'GET', '/api/v1/notifications?limit=0', { headers: executor.headers }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'GET', '/api/v1/notifications?color=red', { headers: executor.headers }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'PUT', '/api/v1/tickets/9999999/watch', { headers: executor.headers }),
      404,
      'not_found',
    )
    expectCleanError(await call(app, 'GET', '/api/v1/notifications'), 401, 'unauthorized')
  })
})
