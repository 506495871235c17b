import { describe, expect, test } from 'vitest'
import { apiUser, call, expectCleanError, testApp } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'

describe('GET /api/v1/audit', () => {
  test('an admin reads the journal newest first, filtered; the reading is journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await apiUser(db, { role: 'admin' })
    const requester = await apiUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    await call(app, 'GET', `/api/v1/tickets/${ticket.id}`, { headers: requester.headers })

    const all = await call(app, 'GET', '/api/v1/audit', { headers: admin.headers })
    expect(all.status).toBe(200)
    const items = (all.body as { items: Array<{ id: number; action: string; pdn_related: boolean }> }).items
    expect(items.map((i) => i.action)).toEqual(['ticket.view', 'token.create', 'token.create'])
    expect(items[0]?.pdn_related).toBe(true)

    const views = await call(
      app,
      'GET',
      `/api/v1/audit?action=ticket.view&actor_id=${requester.user.id}&pdn_related=true`,
      {
        headers: admin.headers,
      },
    )
    expect((views.body as { items: unknown[] }).items).toHaveLength(1)
    const prefix = await call(app, 'GET', '/api/v1/audit?action=token.&limit=1', { headers: admin.headers })
    expect(prefix.body).toMatchObject({ items: [{ action: 'token.create' }] })
    const none = await call(app, 'GET', '/api/v1/audit?date_from=2100-01-01', { headers: admin.headers })
    expect(none.body).toEqual({ items: [] })
    const search = await call(app, 'GET', `/api/v1/audit?search=${encodeURIComponent('Просмотр')}&date_to=2100-12-31`, {
      headers: admin.headers,
    })
    expect(search.status).toBe(200)

    const reads = await db
      .selectFrom('audit_log')
      .select(['actor_id', 'pdn_related'])
      .where('action', '=', 'audit.read')
      .execute()
    expect(reads).toHaveLength(5)
    expect(reads.every((r) => r.actor_id === admin.user.id && Number(r.pdn_related) === 1)).toBe(true)
  })

  test('date_from / date_to are days of the hospital (TZ_DISPLAY), not UTC days', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await apiUser(db, { role: 'admin' })
    // The entry is journaled at 01:51 on 06.11 in Moscow, still the 5th in UTC.
    setTestClock('2026-11-05T22:51:00.000Z')
    const requester = await apiUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    expect((await call(app, 'GET', `/api/v1/tickets/${ticket.id}`, { headers: requester.headers })).status).toBe(200)
    const actions = async (query: string) => {
      const res = await call(app, 'GET', `/api/v1/audit?actor_id=${requester.user.id}&${query}`, {
        headers: admin.headers,
      })
      expect(res.status).toBe(200)
      return (res.body as { items: Array<{ at: string }> }).items.map((i) => i.at)
    }
    const night = await actions('date_from=2026-11-06&date_to=2026-11-06')
    expect(night.length).toBeGreaterThan(0)
    expect(night.every((at) => at === '2026-11-05T22:51:00.000Z')).toBe(true)
    expect(await actions('date_from=2026-11-05&date_to=2026-11-05')).toEqual([])
  })

  test('anyone but an admin gets 403 (journaled); bad filters are 422', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await apiUser(db, { role: 'admin' })
    const curator = await apiUser(db, { role: 'curator' })
    expectCleanError(await call(app, 'GET', '/api/v1/audit', { headers: curator.headers }), 403, 'forbidden')
    const denied = await db.selectFrom('audit_log').select('result').where('action', '=', 'audit.read').execute()
    expect(denied).toEqual([{ result: 'denied' }])
    for (const query of ['limit=0', 'limit=5000', 'pdn_related=maybe', 'date_from=вчера', 'actor_id=x', 'who=me']) {
      expectCleanError(await call(app, 'GET', `/api/v1/audit?${query}`, { headers: admin.headers }), 422, 'validation')
    }
    expectCleanError(await call(app, 'GET', '/api/v1/audit'), 401, 'unauthorized')
  })
})
