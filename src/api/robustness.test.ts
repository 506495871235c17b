import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { apiUser, call, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'

/** Whatever a client sends, the answer is a 2xx or a 4xx with the error shape: never a 500. */
describe('hostile input', () => {
  test('NUL characters, ids past the integer range and odd encodings are refused, not crashed on', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const staff = await apiUser(db, { role: 'curator' })
    const category = await buildCategory(db)
    const ticket = await buildTicket(db)
    const cases: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/tickets', { description: 'a\u0000b', category_id: category.id }],
      ['POST', '/api/v1/tickets', { description: 'x', category_id: 2 ** 31 }],
      ['POST', '/api/v1/tickets', { description: 'x', category_id: Number.MAX_SAFE_INTEGER }],
      ['POST', '/api/v1/tickets', '{"description":"x","category_id":1e400}'],
      ['POST', '/api/v1/tickets', `{"description":"x","category_id":${category.id},"__proto__":{"admin":true}}`],
      ['POST', '/api/v1/auth/login', { login: 'a\u0000', password: 'x' }],
      ['POST', `/api/v1/tickets/${ticket.id}/assign`, { assignee_id: 2 ** 40 }],
      ['POST', `/api/v1/tickets/${ticket.id}/messages`, { body: '\u0000' }],
      ['POST', '/api/v1/groups', { name: 'Г', member_ids: [2 ** 31] }],
      ['GET', '/api/v1/tickets?q=%00'],
      ['GET', '/api/v1/tickets?q=%E0%A4%A'],
      ['GET', '/api/v1/tickets?category_id=99999999999'],
      ['GET', '/api/v1/tickets/99999999999'],
      ['GET', '/api/v1/users?q=%00'],
      ['GET', '/api/v1/audit?search=%00'],
    ]
    for (const [method, path, body] of cases) {
      const res = await call(app, method, path, { headers: staff.headers, body })
      // Refused as input (or, for an undecodable query, taken literally): never a server error.
      const expected = path.includes('%E0') ? [200] : [400, 404, 422]
      expect(expected, `${method} ${path} → ${res.status} ${res.text}`).toContain(res.status)
    }
  })

  test('random JSON bodies and query strings never produce a 500', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const staff = await apiUser(db, { role: 'curator' })
    const ticket = await buildTicket(db)
    const paths = ['/api/v1/tickets', `/api/v1/tickets/${ticket.id}/status`, '/api/v1/users', '/api/v1/categories']
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.jsonValue(), async (path, body) => {
        const res = await call(app, 'POST', path, { headers: staff.headers, body: JSON.stringify(body) })
        return res.status < 500
      }),
      { numRuns: 60 },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('status', 'page', 'per_page', 'assignee_id', 'q', 'sort', 'created_from', 'priority'),
          fc.string(),
        ),
        async (query) => {
          const res = await call(app, 'GET', `/api/v1/tickets?${new URLSearchParams(query)}`, {
            headers: staff.headers,
          })
          return res.status < 500
        },
      ),
      { numRuns: 60 },
    )
  })
})
