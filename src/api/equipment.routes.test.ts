import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { apiUser, call, expectCleanError, idOf, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { pageSchemas, responseSchemas } from './openapi.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
})

let counter = 0
const inventory = () => `03030${String(++counter).padStart(5, '0')}`

describe('/api/v1/equipment', () => {
  test('staff create, list, change and read a device with its tickets; the answers match the OpenAPI schemas', async () => {
    const executor = await apiUser(db, { role: 'executor' })
    const department = await buildDepartment(db)
    const number = inventory()
    const created = await call(app, 'POST', '/api/v1/equipment', {
      headers: executor.headers,
      body: { inventory_number: number, kind: 'МФУ', model: 'Kyocera M2040', department_id: department.id },
    })
    expect(created.status).toBe(201)
    responseSchemas.Equipment.parse(created.body)
    const id = idOf(created)

    const again = await call(app, 'POST', '/api/v1/equipment', {
      headers: executor.headers,
      body: { inventory_number: number, kind: 'МФУ' },
    })
    expectCleanError(again, 409, 'conflict')
    const bad = await call(app, 'POST', '/api/v1/equipment', {
      headers: executor.headers,
      body: { inventory_number: number, kind: 'МФУ', status: 'written_off' },
    })
    expectCleanError(bad, 422, 'validation')

    const list = await call(app, 'GET', '/api/v1/equipment?q=kyocera', { headers: executor.headers })
    expect(list.status).toBe(200)
    const page = list.body as { items: unknown[]; total: number }
    expect(page.items.map((item) => responseSchemas.Equipment.parse(item).id)).toContain(id)

    const patched = await call(app, 'PATCH', `/api/v1/equipment/${id}`, {
      headers: executor.headers,
      body: { status: 'in_repair', room: '305' },
    })
    expect(patched.body).toMatchObject({ status: 'in_repair', room: '305' })

    const category = await buildCategory(db)
    const filed = await call(app, 'POST', '/api/v1/tickets', {
      headers: executor.headers,
      body: { description: 'Не сканирует', category_id: category.id, equipment_id: id },
    })
    expect(filed.status).toBe(201)
    expect(
      pageSchemas.TicketListItem.shape.equipment_id.parse((filed.body as { equipment_id: unknown }).equipment_id),
    ).toBe(id)
    expect(filed.body).toMatchObject({ department_id: department.id, location: '305' })

    const card = await call(app, 'GET', `/api/v1/equipment/${id}`, { headers: executor.headers })
    expect((card.body as { tickets: Array<{ id: number }> }).tickets.map((t) => t.id)).toEqual([idOf(filed)])
  })

  test('a requester gets 403; an executor may not write off (403), a curator may; a ticket is linked by PUT', async () => {
    const requester = await apiUser(db, { role: 'requester' })
    const executor = await apiUser(db, { role: 'executor' })
    const curator = await apiUser(db, { role: 'curator' })
    expectCleanError(await call(app, 'GET', '/api/v1/equipment', { headers: requester.headers }), 403, 'forbidden')
    const id = idOf(
      await call(app, 'POST', '/api/v1/equipment', {
        headers: executor.headers,
        body: { inventory_number: inventory(), kind: 'Принтер' },
      }),
    )
    const ticket = await buildTicket(db)
    const linked = await call(app, 'PUT', `/api/v1/tickets/${ticket.id}/equipment`, {
      headers: executor.headers,
      body: { equipment_id: id },
    })
    expect(linked.status).toBe(200)
    expect(linked.body).toMatchObject({ id: ticket.id, equipment_id: id })
    expectCleanError(
      await call(app, 'PUT', `/api/v1/tickets/${ticket.id}/equipment`, { headers: executor.headers, body: {} }),
      422,
      'validation',
    )

    expectCleanError(
      await call(app, 'POST', `/api/v1/equipment/${id}/write-off`, { headers: executor.headers }),
      403,
      'forbidden',
    )
    const off = await call(app, 'POST', `/api/v1/equipment/${id}/write-off`, { headers: curator.headers })
    expect(off.body).toMatchObject({ status: 'written_off' })
    expectCleanError(
      await call(app, 'PATCH', `/api/v1/equipment/${id}`, { headers: executor.headers, body: { room: '1' } }),
      409,
      'invalid_transition',
    )
  })

  test('«отказы» over a period; a bad date is a 422', async () => {
    const executor = await apiUser(db, { role: 'executor' })
    const report = await call(app, 'GET', '/api/v1/equipment/failures?from=2026-01-01&to=2026-06-30', {
      headers: executor.headers,
    })
    expect(report.status).toBe(200)
    expect(report.body).toMatchObject({ from: '2026-01-01', to: '2026-06-30', by_model: expect.any(Array) })
    expectCleanError(
      await call(app, 'GET', '/api/v1/equipment/failures?from=2026-13-01&to=2026-06-30', { headers: executor.headers }),
      422,
      'validation',
    )
  })
})
