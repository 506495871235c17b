import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { type ApiUser, apiUser, call, expectCleanError, idOf, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { responseSchemas } from './openapi.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
let executor: ApiUser
let requester: ApiUser

beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
  executor = await apiUser(db, { role: 'executor' })
  requester = await apiUser(db)
})

async function body() {
  const ward = await buildDepartment(db)
  const category = await buildCategory(db)
  const ticket = await buildTicket(db, { categoryId: category.id, status: 'in_progress' })
  return { ticket_id: ticket.id, department_ids: [ward.id], category_ids: [category.id], place: 'корпус 2' }
}

describe('/api/v1/outages', () => {
  test('an executor declares, lists, reads and resolves an outage', async () => {
    const input = await body()
    const declared = await call(app, 'POST', '/api/v1/outages', { headers: executor.headers, body: input })
    expect(declared.status).toBe(201)
    responseSchemas.Outage.parse(declared.body)
    expect(declared.body).toMatchObject({ ticket_id: input.ticket_id, place: 'корпус 2', open: true, children: 0 })
    const id = idOf(declared)

    const again = await call(app, 'POST', '/api/v1/outages', { headers: executor.headers, body: input })
    expectCleanError(again, 409, 'conflict')

    const open = await call(app, 'GET', '/api/v1/outages?open=true', { headers: executor.headers })
    expect((open.body as { items: Array<{ id: number }> }).items.map((o) => o.id)).toContain(id)

    const one = await call(app, 'GET', `/api/v1/outages/${id}`, { headers: executor.headers })
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ id, departments: [{ id: input.department_ids[0] }] })

    const resolved = await call(app, 'POST', `/api/v1/outages/${id}/resolve`, {
      headers: executor.headers,
      body: { resolution: 'Починили' },
    })
    expect(resolved.status).toBe(200)
    expect(resolved.body).toMatchObject({ open: false, ticket_status: 'resolved' })
    const stillOpen = await call(app, 'GET', '/api/v1/outages?open=true', { headers: executor.headers })
    expect((stillOpen.body as { items: Array<{ id: number }> }).items.map((o) => o.id)).not.toContain(id)
    const twice = await call(app, 'POST', `/api/v1/outages/${id}/resolve`, {
      headers: executor.headers,
      body: { resolution: 'Ещё раз' },
    })
    expectCleanError(twice, 409, 'conflict')
  })

  test('bad input and a requester are refused cleanly', async () => {
    const input = await body()
    const empty = await call(app, 'POST', '/api/v1/outages', {
      headers: executor.headers,
      body: { ...input, department_ids: [] },
    })
    expect(empty.status).toBe(422)
    const unknown = await call(app, 'POST', '/api/v1/outages', {
      headers: executor.headers,
      body: { ...input, extra: 1 },
    })
    expect(unknown.status).toBe(422)
    const forbidden = await call(app, 'POST', '/api/v1/outages', { headers: requester.headers, body: input })
    expectCleanError(forbidden, 403, 'forbidden')
    const missing = await call(app, 'GET', '/api/v1/outages/999999', { headers: executor.headers })
    expectCleanError(missing, 404, 'not_found')
  })
})
