import { describe, expect, test } from 'vitest'
import type { z } from 'zod'
import { apiUser, call, expectCleanError, testApp } from '../../test/support/api.ts'
import { clockAt } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { pageSchemas, responseSchemas } from './openapi.ts'

function parsed<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value)
  if (!result.success) throw new Error(`response does not match its schema: ${JSON.stringify(result.error.issues)}`)
  return result.data
}

async function world() {
  const { db } = await testDatabase()
  const { app } = testApp(db)
  const staff = await apiUser(db, { role: 'executor' })
  const requester = await buildUser(db)
  const duplicate = await buildTicket(db, {
    requesterId: requester.id,
    status: 'in_progress',
    assigneeId: staff.user.id,
  })
  const survivor = await buildTicket(db, { requesterId: requester.id })
  return { db, app, staff, requester, duplicate, survivor }
}

describe('/api/v1/tickets/{id}/links, /merge, /unmerge', () => {
  test('a link is made, listed on both cards, and removed', async () => {
    const { app, staff, duplicate, survivor } = await world()
    const made = await call(app, 'POST', `/api/v1/tickets/${survivor.id}/links`, {
      headers: staff.headers,
      body: { kind: 'parent', other_id: duplicate.id },
    })
    expect(made.status).toBe(201)
    const link = parsed(pageSchemas.TicketLink, made.body)
    expect(link).toMatchObject({ relation: 'parent', ticket: { id: duplicate.id, status: 'in_progress' } })

    const card = await call(app, 'GET', `/api/v1/tickets/${duplicate.id}`, { headers: staff.headers })
    expect(parsed(pageSchemas.TicketDetail, card.body).links).toMatchObject([
      { id: link.id, relation: 'child', ticket: { id: survivor.id } },
    ])

    const removed = await call(app, 'DELETE', `/api/v1/tickets/${survivor.id}/links/${link.id}`, {
      headers: staff.headers,
    })
    expect(removed.status).toBe(204)
    const after = await call(app, 'GET', `/api/v1/tickets/${survivor.id}`, { headers: staff.headers })
    expect(parsed(pageSchemas.TicketDetail, after.body).links).toEqual([])
    expectCleanError(
      await call(app, 'DELETE', `/api/v1/tickets/${survivor.id}/links/${link.id}`, { headers: staff.headers }),
      409,
      'conflict',
    )
    expectCleanError(
      await call(app, 'DELETE', `/api/v1/tickets/${survivor.id}/links/999999`, { headers: staff.headers }),
      404,
      'not_found',
    )
  })

  test('a merge: the duplicate closed with merged_into_id, its messages on the other card; the unmerge restores it', async () => {
    const { app, staff, duplicate, survivor } = await world()
    await call(app, 'POST', `/api/v1/tickets/${duplicate.id}/messages`, {
      headers: staff.headers,
      body: { body: 'Картридж заказан', internal: false },
    })
    const merged = await call(app, 'POST', `/api/v1/tickets/${duplicate.id}/merge`, {
      headers: staff.headers,
      body: { into_id: survivor.id },
    })
    expect(merged.status).toBe(200)
    expect(parsed(responseSchemas.Ticket, merged.body)).toMatchObject({ status: 'closed', merged_into_id: survivor.id })

    const card = parsed(
      pageSchemas.TicketDetail,
      (await call(app, 'GET', `/api/v1/tickets/${survivor.id}`, { headers: staff.headers })).body,
    )
    expect(card.merged).toMatchObject([{ id: duplicate.id, title: duplicate.title }])
    expect(card.messages).toMatchObject([{ ticket_id: duplicate.id, body: 'Картридж заказан' }])
    expect(card.links).toMatchObject([{ relation: 'duplicate', ticket: { id: duplicate.id, status: 'closed' } }])
    expect(card.links[0]?.undo_until).toEqual(expect.any(String))

    const undone = await call(app, 'POST', `/api/v1/tickets/${duplicate.id}/unmerge`, { headers: staff.headers })
    expect(undone.status).toBe(200)
    expect(parsed(responseSchemas.Ticket, undone.body)).toMatchObject({
      status: 'in_progress',
      assignee_id: staff.user.id,
      merged_into_id: null,
      closed_at: null,
    })
  })

  test('refusals: 422 for a bad body or the ticket itself, 409 for another requester and after 24 h, 403 for a requester', async () => {
    clockAt(0)
    const { db, app, staff, duplicate, survivor } = await world()
    const path = `/api/v1/tickets/${duplicate.id}/merge`
    expectCleanError(await call(app, 'POST', path, { headers: staff.headers, body: { into: 1 } }), 422, 'validation')
    expectCleanError(
      await call(app, 'POST', path, { headers: staff.headers, body: { into_id: duplicate.id } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', `/api/v1/tickets/${duplicate.id}/links`, {
        headers: staff.headers,
        body: { kind: 'sibling', other_id: survivor.id },
      }),
      422,
      'validation',
    )
    const foreign = await buildTicket(db)
    expectCleanError(
      await call(app, 'POST', path, { headers: staff.headers, body: { into_id: foreign.id } }),
      409,
      'conflict',
    )
    const own = await apiUser(db)
    const mine = await buildTicket(db, { requesterId: own.user.id })
    const mineToo = await buildTicket(db, { requesterId: own.user.id })
    expectCleanError(
      await call(app, 'POST', `/api/v1/tickets/${mine.id}/merge`, {
        headers: own.headers,
        body: { into_id: mineToo.id },
      }),
      403,
      'forbidden',
    )
    expect((await call(app, 'POST', path, { headers: staff.headers, body: { into_id: survivor.id } })).status).toBe(200)
    clockAt(24 * 3_600_000 + 1000)
    const late = await call(app, 'POST', `/api/v1/tickets/${duplicate.id}/unmerge`, { headers: staff.headers })
    expectCleanError(late, 409, 'conflict')
    expect(late.text).toContain('24 часов')
    // Someone else's ticket is not found for a requester, whatever the route.
    expectCleanError(
      await call(app, 'POST', `/api/v1/tickets/${survivor.id}/unmerge`, { headers: own.headers }),
      404,
      'not_found',
    )
  })
})
