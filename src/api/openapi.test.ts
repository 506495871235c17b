import { describe, expect, test } from 'vitest'
import type { z } from 'zod'
import { apiUser, call, idOf, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { documentedOperations, pageSchemas, responseSchemas } from './openapi.ts'

function parses(schema: z.ZodType, value: unknown): void {
  const result = schema.safeParse(value)
  if (!result.success) throw new Error(`response does not match its schema: ${JSON.stringify(result.error.issues)}`)
}

const items = (body: unknown): unknown[] => (body as { items: unknown[] }).items

describe('the OpenAPI document', () => {
  test('documents exactly the routes the app serves', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const served = new Set(
      app.routes
        .filter((r) => r.path.startsWith('/api/v1/') && r.method !== 'ALL')
        .map(
          (r) =>
            `${r.method} ${r.path
              .replace('/api/v1', '')
              .replace(/:(\w+)/g, '{$1}')
              .replace(/\/$/, '')}`,
        ),
    )
    served.delete('GET /openapi.json')
    expect([...served].sort()).toEqual([...documentedOperations].sort())
  })

  test('is OpenAPI 3.1 with every path, served without auth', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const res = await call(app, 'GET', '/api/v1/openapi.json')
    expect(res.status).toBe(200)
    const doc = res.body as { openapi: string; paths: Record<string, Record<string, { responses: object }>> }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/tickets', '/tickets/{id}/status', '/users/{id}/role', '/audit']),
    )
    const createTicket = doc.paths['/tickets']?.post as unknown as {
      requestBody: { content: Record<string, { schema: { additionalProperties: boolean } }> }
    }
    expect(createTicket.requestBody.content['application/json']?.schema.additionalProperties).toBe(false)
  })

  test('the ticket list answers exactly the fields documented for it, cursors and the capped total included', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await apiUser(db, { role: 'admin' })
    await buildTicket(db)
    await buildTicket(db)
    const doc = (await call(app, 'GET', '/api/v1/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>
      >
    }
    const schema = doc.paths['/tickets']?.get?.responses['200']?.content['application/json']?.schema as {
      required: string[]
      properties: Record<string, unknown>
    }
    expect(schema.required).toEqual(expect.arrayContaining(['total_capped', 'next_cursor', 'prev_cursor']))
    for (const query of ['per_page=1', 'per_page=1&page=2']) {
      const body = (await call(app, 'GET', `/api/v1/tickets?${query}`, { headers: admin.headers })).body as object
      expect(Object.keys(body).sort(), query).toEqual([...schema.required].sort())
      expect(Object.keys(schema.properties).sort()).toEqual([...schema.required].sort())
    }
  })

  test('real responses match the documented schemas', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await apiUser(db, { role: 'admin' })
    const requester = await apiUser(db)
    const group = await buildGroup(db, undefined, [admin.user.id])
    const category = await buildCategory(db, { defaultGroupId: group.id })
    await buildDepartment(db)
    await buildUser(db, { status: 'pending' })
    const ticket = await buildTicket(db, {
      requesterId: requester.user.id,
      categoryId: category.id,
      assigneeId: admin.user.id,
    })
    await call(app, 'POST', `/api/v1/tickets/${ticket.id}/messages`, {
      headers: admin.headers,
      body: { body: 'Ответ' },
    })

    parses(responseSchemas.User, (await call(app, 'GET', '/api/v1/me', { headers: admin.headers })).body)
    const created = await call(app, 'POST', '/api/v1/tickets', {
      headers: requester.headers,
      body: { title: 'Тема', description: 'Текст', category_id: category.id },
    })
    parses(responseSchemas.Ticket, created.body)
    for (const item of items((await call(app, 'GET', '/api/v1/tickets', { headers: admin.headers })).body)) {
      parses(pageSchemas.TicketListItem, item)
    }
    parses(
      pageSchemas.TicketDetail,
      (await call(app, 'GET', `/api/v1/tickets/${ticket.id}`, { headers: admin.headers })).body,
    )
    const message = await call(app, 'POST', `/api/v1/tickets/${idOf(created)}/messages`, {
      headers: requester.headers,
      body: { body: 'Ещё' },
    })
    parses(responseSchemas.Message, message.body)
    for (const [path, schema] of [
      ['/api/v1/categories', responseSchemas.Category],
      ['/api/v1/departments', responseSchemas.Department],
      ['/api/v1/groups', responseSchemas.Group],
      ['/api/v1/users', responseSchemas.User],
      ['/api/v1/audit', responseSchemas.AuditEntry],
    ] as const) {
      const list = items((await call(app, 'GET', path, { headers: admin.headers })).body)
      expect(list.length).toBeGreaterThan(0)
      for (const item of list) parses(schema, item)
    }
    parses(responseSchemas.Error, (await call(app, 'GET', '/api/v1/tickets/999999', { headers: admin.headers })).body)
  })
})
