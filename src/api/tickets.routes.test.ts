import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { apiUser, call, expectCleanError, idOf, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment } from '../../test/support/factories.ts'
import { buildTicket, insertTickets, ticketTrail } from '../../test/support/ticket-factory.ts'

async function setup() {
  const { db } = await testDatabase()
  const { app } = testApp(db)
  const requester = await apiUser(db)
  const executor = await apiUser(db, { role: 'executor' })
  const curator = await apiUser(db, { role: 'curator' })
  const category = await buildCategory(db)
  return { db, app, requester, executor, curator, category }
}

async function auditOf(db: Db, action: string) {
  return db
    .selectFrom('audit_log')
    .select(['action', 'result', 'actor_id', 'object_id'])
    .where('action', '=', action)
    .execute()
}

describe('POST /api/v1/tickets', () => {
  test('files a ticket (201) with its event and journal entry', async () => {
    const { db, app, requester, category } = await setup()
    const res = await call(app, 'POST', '/api/v1/tickets', {
      headers: requester.headers,
      body: { title: 'Не печатает принтер', description: 'Каб. 12, HP', category_id: category.id, priority: 'high' },
    })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ title: 'Не печатает принтер', status: 'new', priority: 'high', source: 'api' })
    const trail = await ticketTrail(db, idOf(res))
    expect(trail.ticket?.requester_id).toBe(requester.user.id)
    expect(trail.events.map((e) => e.kind)).toContain('created')
    expect(trail.audit).toMatchObject([{ action: 'ticket.create', result: 'success', actor_id: requester.user.id }])
  })

  test('a repeated Idempotency-Key returns the first ticket and creates nothing', async () => {
    const { db, app, requester, category } = await setup()
    const request = {
      headers: { ...requester.headers, 'idempotency-key': 'req-7f3a' },
      body: { title: 'Нет сети', description: 'Пропал интернет', category_id: category.id },
    }
    const first = await call(app, 'POST', '/api/v1/tickets', request)
    const second = await call(app, 'POST', '/api/v1/tickets', request)
    expect(first.status).toBe(201)
    expect(idOf(second)).toBe(idOf(first))
    expect(await db.selectFrom('tickets').selectAll().execute()).toHaveLength(1)
    // Another key is another ticket.
    const third = await call(app, 'POST', '/api/v1/tickets', {
      ...request,
      headers: { ...requester.headers, 'idempotency-key': 'req-other' },
    })
    expect(idOf(third)).not.toBe(idOf(first))
  })

  test('an Idempotency-Key sent again with a different body is refused (422), the first ticket untouched', async () => {
    const { db, app, requester, category } = await setup()
    const headers = { ...requester.headers, 'idempotency-key': 'req-9b1c' }
    const first = await call(app, 'POST', '/api/v1/tickets', {
      headers,
      body: { title: 'Нет сети', description: 'Пропал интернет', category_id: category.id },
    })
    expect(first.status).toBe(201)
    const other = await call(app, 'POST', '/api/v1/tickets', {
      headers,
      body: { title: 'Не печатает', description: 'Принтер в 12-м', category_id: category.id },
    })
    expectCleanError(other, 422, 'idempotency_key_reused')
    // The same request again, its JSON spelled differently (field order, spacing): the first answer.
    const retry = await call(app, 'POST', '/api/v1/tickets', {
      headers,
      body: `{ "category_id": ${category.id}, "description": "Пропал интернет", "title": "Нет сети" }`,
    })
    expect(retry.status).toBe(201)
    expect(idOf(retry)).toBe(idOf(first))
    const tickets = await db.selectFrom('tickets').select(['id', 'title']).execute()
    expect(tickets).toEqual([{ id: idOf(first), title: 'Нет сети' }])
  })

  test('a requester cannot file on behalf of someone else: 403, journaled, nothing created', async () => {
    const { db, app, requester, executor, category } = await setup()
    const res = await call(app, 'POST', '/api/v1/tickets', {
      headers: requester.headers,
      body: { description: 'x', category_id: category.id, requester_id: executor.user.id },
    })
    expectCleanError(res, 403, 'forbidden')
    expect(await db.selectFrom('tickets').selectAll().execute()).toEqual([])
    expect(await auditOf(db, 'ticket.create')).toMatchObject([{ result: 'denied' }])
  })

  test('staff may file on behalf of a requester', async () => {
    const { app, requester, executor, category } = await setup()
    const res = await call(app, 'POST', '/api/v1/tickets', {
      headers: executor.headers,
      body: { title: 'Звонок', description: 'По телефону', category_id: category.id, requester_id: requester.user.id },
    })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ requester_id: requester.user.id, created_by: executor.user.id })
  })

  test('bad input is 400/422, never 500, and creates nothing', async () => {
    const { db, app, requester, category } = await setup()
    const post = (body: unknown, headers = requester.headers) => call(app, 'POST', '/api/v1/tickets', { headers, body })
    expectCleanError(await post('{"title": "x",'), 400, 'bad_request')
    expectCleanError(await post('[1, 2'), 400, 'bad_request')
    expectCleanError(await post({ description: 'x', category_id: category.id, urgent: true }), 422, 'validation')
    expectCleanError(await post({ description: 'x', category_id: String(category.id) }), 422, 'validation')
    expectCleanError(await post({ description: 42, category_id: category.id }), 422, 'validation')
    expectCleanError(await post({ description: 'x', category_id: category.id, priority: 'asap' }), 422, 'validation')
    expectCleanError(await post({ description: '   ', category_id: category.id }), 422, 'validation')
    expectCleanError(await post(null), 422, 'validation')
    expectCleanError(await post({ description: 'x', category_id: 999_999 }), 422, 'validation')
    const disabled = await buildCategory(db, { active: false })
    expectCleanError(await post({ description: 'x', category_id: disabled.id }), 422, 'validation')
    const { authorization } = requester.headers
    expectCleanError(
      await post({ description: 'x', category_id: category.id }, { authorization: authorization ?? '' }),
      400,
      'bad_request',
    )
    expect(await db.selectFrom('tickets').selectAll().execute()).toEqual([])
  })

  test('without credentials: 401', async () => {
    const { app, category } = await setup()
    const res = await call(app, 'POST', '/api/v1/tickets', {
      headers: { 'content-type': 'application/json' },
      body: { description: 'x', category_id: category.id },
    })
    expectCleanError(res, 401, 'unauthorized')
  })
})

describe('GET /api/v1/tickets', () => {
  test('a requester sees only their own tickets, paged, with the total; the read is journaled', async () => {
    const { db, app, requester, executor } = await setup()
    for (let i = 0; i < 3; i++) await buildTicket(db, { requesterId: requester.user.id })
    await buildTicket(db)
    const mine = await call(app, 'GET', '/api/v1/tickets?per_page=2', { headers: requester.headers })
    expect(mine.status).toBe(200)
    expect(mine.body).toMatchObject({
      total: 3,
      page: 1,
      per_page: 2,
      items: [{ requester_id: requester.user.id }, {}],
    })
    const everyone = await call(app, 'GET', '/api/v1/tickets', { headers: executor.headers })
    expect(everyone.body).toMatchObject({ total: 4, page: 1, per_page: 25 })
    expect(await auditOf(db, 'ticket.list')).toHaveLength(2)
  })

  test('status may repeat or be a comma list; assignee_id=none finds unassigned tickets', async () => {
    const { db, app, executor } = await setup()
    const fresh = await buildTicket(db, { status: 'new' })
    const working = await buildTicket(db, { status: 'in_progress', assigneeId: executor.user.id })
    await buildTicket(db, { status: 'resolved', assigneeId: executor.user.id })
    const ids = async (query: string) => {
      const res = await call(app, 'GET', `/api/v1/tickets?${query}`, { headers: executor.headers })
      expect(res.status).toBe(200)
      const body = res.body as { items: Array<{ id: number }> }
      return body.items.map((t) => t.id).sort((a, b) => a - b)
    }
    expect(await ids('status=new,in_progress')).toEqual([fresh.id, working.id])
    expect(await ids('status=new&status=in_progress')).toEqual([fresh.id, working.id])
    expect(await ids('assignee_id=none')).toEqual([fresh.id])
    expect(await ids(`assignee_id=${executor.user.id}&status=in_progress`)).toEqual([working.id])
    expect(await ids('sort=priority&created_from=2000-01-01&created_to=2100-12-31')).toHaveLength(3)
  })

  test('created_from / created_to are days of the hospital (TZ_DISPLAY), not UTC days; a moment is inclusive', async () => {
    const { db, app, executor } = await setup()
    // 06.11 at 01:51 in Moscow is still the 5th in UTC; 05.11 at 23:00 in Moscow.
    const night = await buildTicket(db, { createdAt: '2026-11-05T22:51:00.000Z' })
    const evening = await buildTicket(db, { createdAt: '2026-11-05T20:00:00.000Z' })
    const ids = async (query: string) => {
      const res = await call(app, 'GET', `/api/v1/tickets?${query}`, { headers: executor.headers })
      expect(res.status).toBe(200)
      return (res.body as { items: Array<{ id: number }> }).items.map((t) => t.id).sort((a, b) => a - b)
    }
    expect(await ids('created_from=2026-11-06&created_to=2026-11-06')).toEqual([night.id])
    expect(await ids('created_from=2026-11-05&created_to=2026-11-05')).toEqual([evening.id])
    expect(await ids(`created_to=${encodeURIComponent('2026-11-06T01:51:00+03:00')}`)).toEqual([night.id, evening.id])
    expect(await ids(`created_to=${encodeURIComponent('2026-11-06T01:50:59.999+03:00')}`)).toEqual([evening.id])
    expect(await ids('created_from=2026-11-05T22:00:00Z')).toEqual([night.id])
  })

  test('unknown parameters and bad values are 422', async () => {
    const { app, executor } = await setup()
    for (const query of [
      'status=open',
      'page=0',
      'per_page=1000',
      'assignee_id=someone',
      'sort=name',
      'colour=red',
      'created_from=yesterday',
    ]) {
      expectCleanError(
        await call(app, 'GET', `/api/v1/tickets?${query}`, { headers: executor.headers }),
        422,
        'validation',
      )
    }
  })
})

describe('GET /api/v1/tickets: long lists', () => {
  interface ListBody {
    items: Array<{ id: number }>
    total: number
    total_capped: boolean
    page: number | null
    next_cursor: string | null
    prev_cursor: string | null
  }
  const list = async (app: Parameters<typeof call>[0], headers: Record<string, string>, query: string) => {
    const res = await call(app, 'GET', `/api/v1/tickets?${query}`, { headers })
    expect(res.status).toBe(200)
    return res.body as ListBody
  }

  test('past a thousand the total is capped and says so; pages go by next_cursor and back by prev_cursor', async () => {
    const { db, app, requester, executor } = await setup()
    await insertTickets(db, 1001, requester.user.id)
    const first = await list(app, executor.headers, 'per_page=200&sort=created_at')
    expect(first).toMatchObject({ total: 1000, total_capped: true, page: 1, prev_cursor: null })
    expect(first.items).toHaveLength(200)
    expect(first.next_cursor).toEqual(expect.any(String))
    const second = await list(app, executor.headers, `per_page=200&sort=created_at&cursor=${first.next_cursor}`)
    expect(second.page).toBeNull()
    expect(second.items.map((t) => t.id)).toEqual(first.items.map((t) => t.id + 200))
    const back = await list(app, executor.headers, `per_page=200&sort=created_at&cursor=${second.prev_cursor}`)
    expect(back.items).toEqual(first.items)
    // The old way still answers for shallow pages, with the same rows.
    const byPage = await list(app, executor.headers, 'per_page=200&sort=created_at&page=2')
    expect(byPage.items).toEqual(second.items)
    const few = await list(app, executor.headers, 'status=in_progress')
    expect(few).toMatchObject({ total: 0, total_capped: false, next_cursor: null, prev_cursor: null })
    const entry = await db
      .selectFrom('audit_log')
      .select('description')
      .where('action', '=', 'ticket.list')
      .orderBy('id')
      .executeTakeFirstOrThrow()
    expect(entry.description).toBe('Просмотр списка заявок: 200 из более 1000')
  })

  test('a bad cursor, a cursor with page, or a page too deep is a clear 400 and journals nothing', async () => {
    const { db, app, executor } = await setup()
    await buildTicket(db)
    await buildTicket(db)
    const first = await list(app, executor.headers, 'per_page=1&sort=priority')
    expect(first.next_cursor).not.toBeNull()
    for (const query of [
      'cursor=not-a-cursor',
      `cursor=${first.next_cursor}`,
      `sort=priority&cursor=${first.next_cursor}&page=2`,
      'per_page=200&page=51',
    ]) {
      const res = await call(app, 'GET', `/api/v1/tickets?${query}`, { headers: executor.headers })
      expectCleanError(res, 400, 'bad_request')
    }
    expect(await auditOf(db, 'ticket.list')).toHaveLength(1)
  })
})

describe('GET /api/v1/tickets/{id}', () => {
  test('the card has messages and events; internal notes only for staff', async () => {
    const { db, app, requester, executor } = await setup()
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    const path = `/api/v1/tickets/${ticket.id}`
    expect(
      (
        await call(app, 'POST', `${path}/messages`, {
          headers: executor.headers,
          body: { body: 'Ответ', internal: false },
        })
      ).status,
    ).toBe(201)
    expect(
      (
        await call(app, 'POST', `${path}/messages`, {
          headers: executor.headers,
          body: { body: 'Заметка', internal: true },
        })
      ).status,
    ).toBe(201)

    const staffView = await call(app, 'GET', path, { headers: executor.headers })
    expect(staffView.status).toBe(200)
    expect(staffView.body).toMatchObject({ id: ticket.id, requester: { id: requester.user.id } })
    const staffBodies = (staffView.body as { messages: Array<{ body: string }> }).messages.map((m) => m.body)
    expect(staffBodies).toEqual(['Ответ', 'Заметка'])

    const own = await call(app, 'GET', path, { headers: requester.headers })
    expect(own.status).toBe(200)
    const body = own.body as { messages: Array<{ body: string }>; events: unknown[] }
    expect(body.messages.map((m) => m.body)).toEqual(['Ответ'])
    expect(JSON.stringify(body)).not.toContain('Заметка')
    expect(Array.isArray(body.events)).toBe(true)
    expect(await auditOf(db, 'ticket.view')).toHaveLength(2)
  })

  test('someone else’s ticket is 404 for a requester (and the attempt is journaled); so is a missing one', async () => {
    const { db, app, requester } = await setup()
    const other = await buildTicket(db)
    expectCleanError(
      await call(app, 'GET', `/api/v1/tickets/${other.id}`, { headers: requester.headers }),
      404,
      'not_found',
    )
    expect(await auditOf(db, 'ticket.view')).toMatchObject([{ result: 'denied', object_id: String(other.id) }])
    expectCleanError(await call(app, 'GET', '/api/v1/tickets/999999', { headers: requester.headers }), 404, 'not_found')
    expectCleanError(await call(app, 'GET', '/api/v1/tickets/abc', { headers: requester.headers }), 404, 'not_found')
    expectCleanError(await call(app, 'GET', '/api/v1/tickets/1;drop', { headers: requester.headers }), 404, 'not_found')
  })
})

describe('POST /api/v1/tickets/{id}/messages', () => {
  test('a requester writes to their ticket but cannot leave internal notes', async () => {
    const { db, app, requester } = await setup()
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    const path = `/api/v1/tickets/${ticket.id}/messages`
    const ok = await call(app, 'POST', path, { headers: requester.headers, body: { body: 'Уточняю: каб. 14' } })
    expect(ok.status).toBe(201)
    expect(ok.body).toMatchObject({ ticket_id: ticket.id, kind: 'external', body: 'Уточняю: каб. 14' })
    expectCleanError(
      await call(app, 'POST', path, { headers: requester.headers, body: { body: 'x', internal: true } }),
      403,
      'forbidden',
    )
    expectCleanError(
      await call(app, 'POST', path, { headers: requester.headers, body: { body: '' } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', path, { headers: requester.headers, body: { body: 'x', internal: 'yes' } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', path, { headers: requester.headers, body: { text: 'x' } }),
      422,
      'validation',
    )
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.messages).toHaveLength(1)
    expect(trail.audit.map((a) => [a.action, a.result])).toEqual([
      ['ticket.message', 'success'],
      ['ticket.note', 'denied'],
    ])
  })

  test('someone else’s ticket is 404; a closed one is 409 for its requester', async () => {
    const { db, app, requester } = await setup()
    const other = await buildTicket(db)
    expectCleanError(
      await call(app, 'POST', `/api/v1/tickets/${other.id}/messages`, {
        headers: requester.headers,
        body: { body: 'x' },
      }),
      404,
      'not_found',
    )
    const closed = await buildTicket(db, { requesterId: requester.user.id, status: 'closed' })
    expectCleanError(
      await call(app, 'POST', `/api/v1/tickets/${closed.id}/messages`, {
        headers: requester.headers,
        body: { body: 'x' },
      }),
      409,
      'invalid_transition',
    )
  })
})

describe('POST /api/v1/tickets/{id}/take', () => {
  test('an executor takes a new ticket; a second taker gets 409; a requester 403', async () => {
    const { db, app, requester, executor, curator } = await setup()
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    const path = `/api/v1/tickets/${ticket.id}/take`
    expectCleanError(await call(app, 'POST', path, { headers: requester.headers }), 403, 'forbidden')
    const taken = await call(app, 'POST', path, { headers: executor.headers })
    expect(taken.status).toBe(200)
    expect(taken.body).toMatchObject({ status: 'in_progress', assignee_id: executor.user.id })
    expectCleanError(await call(app, 'POST', path, { headers: curator.headers }), 409, 'conflict')
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.map((e) => e.kind)).toEqual(['taken', 'status_changed'])
    expect(trail.audit.map((a) => [a.action, a.result])).toEqual([
      ['ticket.take', 'denied'],
      ['ticket.take', 'success'],
    ])
    expectCleanError(
      await call(app, 'POST', '/api/v1/tickets/999999/take', { headers: executor.headers }),
      404,
      'not_found',
    )
  })
})

describe('POST /api/v1/tickets/{id}/assign', () => {
  test('a curator assigns; an executor may not; a requester is not an assignee', async () => {
    const { db, app, requester, executor, curator } = await setup()
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    const path = `/api/v1/tickets/${ticket.id}/assign`
    expectCleanError(
      await call(app, 'POST', path, { headers: executor.headers, body: { assignee_id: executor.user.id } }),
      403,
      'forbidden',
    )
    expectCleanError(
      await call(app, 'POST', path, { headers: curator.headers, body: { assignee_id: requester.user.id } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', path, { headers: curator.headers, body: { assignee_id: 'me' } }),
      422,
      'validation',
    )
    expectCleanError(await call(app, 'POST', path, { headers: curator.headers, body: {} }), 422, 'validation')
    const ok = await call(app, 'POST', path, { headers: curator.headers, body: { assignee_id: executor.user.id } })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ assignee_id: executor.user.id, status: 'in_progress' })
    const back = await call(app, 'POST', path, { headers: curator.headers, body: { assignee_id: null } })
    expect(back.body).toMatchObject({ assignee_id: null, status: 'new' })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.audit.filter((a) => a.action === 'ticket.assign').map((a) => a.result)).toEqual([
      'denied',
      'success',
      'success',
    ])
    const closed = await buildTicket(db, { status: 'closed' })
    expectCleanError(
      await call(app, 'POST', `/api/v1/tickets/${closed.id}/assign`, {
        headers: curator.headers,
        body: { assignee_id: executor.user.id },
      }),
      409,
      'invalid_transition',
    )
  })
})

describe('POST /api/v1/tickets/{id}/status', () => {
  test('resolve needs a resolution; an impossible transition is 409; a requester may cancel a new ticket', async () => {
    const { db, app, requester, executor } = await setup()
    const ticket = await buildTicket(db, {
      requesterId: requester.user.id,
      status: 'in_progress',
      assigneeId: executor.user.id,
    })
    const path = `/api/v1/tickets/${ticket.id}/status`
    expectCleanError(
      await call(app, 'POST', path, { headers: executor.headers, body: { status: 'resolved' } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', path, { headers: executor.headers, body: { status: 'done' } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', path, { headers: executor.headers, body: { status: 'cancelled', reason: 'x' } }),
      409,
      'invalid_transition',
    )
    expectCleanError(
      await call(app, 'POST', path, { headers: requester.headers, body: { status: 'waiting' } }),
      403,
      'forbidden',
    )
    const resolved = await call(app, 'POST', path, {
      headers: executor.headers,
      body: { status: 'resolved', resolution: 'Заменён картридж' },
    })
    expect(resolved.status).toBe(200)
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'Заменён картридж' })
    expect((await ticketTrail(db, ticket.id)).events.at(-1)).toMatchObject({
      kind: 'status_changed',
      to_value: 'resolved',
    })

    const fresh = await buildTicket(db, { requesterId: requester.user.id })
    const cancelled = await call(app, 'POST', `/api/v1/tickets/${fresh.id}/status`, {
      headers: requester.headers,
      body: { status: 'cancelled', reason: 'Само заработало' },
    })
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancel_reason: 'Само заработало' })
  })
})

describe('POST /api/v1/tickets/{id}/rating', () => {
  test('the requester rates a resolved ticket once', async () => {
    const { db, app, requester, executor } = await setup()
    const ticket = await buildTicket(db, {
      requesterId: requester.user.id,
      status: 'resolved',
      assigneeId: executor.user.id,
    })
    const path = `/api/v1/tickets/${ticket.id}/rating`
    expectCleanError(
      await call(app, 'POST', path, { headers: requester.headers, body: { score: 6 } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', path, { headers: requester.headers, body: { score: 4.5 } }),
      422,
      'validation',
    )
    expectCleanError(await call(app, 'POST', path, { headers: executor.headers, body: { score: 5 } }), 403, 'forbidden')
    const ok = await call(app, 'POST', path, { headers: requester.headers, body: { score: 5, comment: 'Спасибо' } })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ rating: 5, rating_comment: 'Спасибо' })
    expectCleanError(await call(app, 'POST', path, { headers: requester.headers, body: { score: 4 } }), 409, 'conflict')
    const fresh = await buildTicket(db, { requesterId: requester.user.id })
    expectCleanError(
      await call(app, 'POST', `/api/v1/tickets/${fresh.id}/rating`, { headers: requester.headers, body: { score: 5 } }),
      409,
      'invalid_transition',
    )
  })
})

describe('PATCH /api/v1/tickets/{id}', () => {
  test('staff change priority, category and title; a requester may not', async () => {
    const { db, app, requester, executor } = await setup()
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    const other = await buildCategory(db)
    const path = `/api/v1/tickets/${ticket.id}`
    expectCleanError(
      await call(app, 'PATCH', path, { headers: requester.headers, body: { priority: 'critical' } }),
      403,
      'forbidden',
    )
    expectCleanError(await call(app, 'PATCH', path, { headers: executor.headers, body: {} }), 422, 'validation')
    expectCleanError(
      await call(app, 'PATCH', path, { headers: executor.headers, body: { title: 7 } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'PATCH', path, { headers: executor.headers, body: { status: 'closed' } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'PATCH', path, { headers: executor.headers, body: { category_id: 999_999 } }),
      422,
      'validation',
    )
    const ok = await call(app, 'PATCH', path, {
      headers: executor.headers,
      body: { priority: 'critical', category_id: other.id, title: 'Срочно: не работает МИС' },
    })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ priority: 'critical', category_id: other.id, title: 'Срочно: не работает МИС' })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.audit.map((a) => [a.action, a.result])).toEqual([
      ['ticket.update', 'denied'],
      ['ticket.update', 'success'],
    ])
    const ward = await buildDepartment(db, 'Неврология')
    const moved = await call(app, 'PATCH', path, {
      headers: executor.headers,
      body: { department_id: ward.id, location: 'Палата 12' },
    })
    expect(moved.body).toMatchObject({ department_id: ward.id, location: 'Палата 12' })
    const read = await call(app, 'GET', path, { headers: executor.headers })
    expect(read.body).toMatchObject({ department: { id: ward.id, name: 'Неврология' } })
    const cleared = await call(app, 'PATCH', path, {
      headers: executor.headers,
      body: { department_id: null, location: null },
    })
    expect(cleared.body).toMatchObject({ department_id: null, location: null })
    const foreign = await buildTicket(db)
    expectCleanError(
      await call(app, 'PATCH', `/api/v1/tickets/${foreign.id}`, { headers: requester.headers, body: { title: 'x' } }),
      404,
      'not_found',
    )
  })
})

describe('POST /api/v1/tickets/bulk', () => {
  test('one action over several tickets: what was done, and each refusal with its code and reason', async () => {
    const { db, app, executor, curator } = await setup()
    const open = [await buildTicket(db), await buildTicket(db)]
    const closed = await buildTicket(db, { status: 'closed' })
    const res = await call(app, 'POST', '/api/v1/tickets/bulk', {
      headers: curator.headers,
      body: { ticket_ids: [open[0]?.id, closed.id, open[1]?.id], action: 'assign', assignee_id: executor.user.id },
    })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      done: open.map((t) => t.id),
      refused: [{ ticket_id: closed.id, code: 'invalid_transition', message: expect.any(String) }],
    })
    for (const ticket of open) expect((await ticketTrail(db, ticket.id)).ticket?.assignee_id).toBe(executor.user.id)
    expect(await auditOf(db, 'ticket.bulk')).toMatchObject([{ result: 'success', actor_id: curator.user.id }])
  })

  test('an unknown action, no tickets, a field the action needs: 422 saying what; a requester: 403', async () => {
    const { db, app, requester, curator } = await setup()
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    const post = (headers: Record<string, string>, body: unknown) =>
      call(app, 'POST', '/api/v1/tickets/bulk', { headers, body })
    const lacking = await post(curator.headers, { ticket_ids: [ticket.id], action: 'assign' })
    expectCleanError(lacking, 422, 'validation')
    expect(JSON.stringify(lacking.body)).toContain('исполнителя')
    expectCleanError(await post(curator.headers, { ticket_ids: [ticket.id], action: 'merge' }), 422, 'validation')
    expectCleanError(await post(curator.headers, { ticket_ids: [], action: 'take' }), 422, 'validation')
    expectCleanError(await post(requester.headers, { ticket_ids: [ticket.id], action: 'take' }), 403, 'forbidden')
    expect((await ticketTrail(db, ticket.id)).ticket?.assignee_id).toBeNull()
  })
})
