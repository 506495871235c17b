import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { apiUser, call, expectCleanError, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { responseSchemas } from './openapi.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
})

async function setting() {
  const executor = await buildUser(db, { role: 'executor' })
  const group = await buildGroup(db, undefined, [executor.id])
  const department = await buildDepartment(db)
  const head = await apiUser(db, { departmentId: department.id })
  await db.updateTable('departments').set({ head_user_id: head.user.id }).where('id', '=', department.id).execute()
  const nurse = await buildUser(db, { departmentId: department.id, fullName: 'Медсестра Сидорова' })
  const category = await buildCategory(db, { name: 'Доступ к VPN', defaultGroupId: group.id })
  await db.updateTable('categories').set({ requires_approval: 1 }).where('id', '=', category.id).execute()
  const ticket = await createTicket(db, actorFromUser(nurse, 'api'), {
    description: 'Удалённый доступ из дома',
    categoryId: category.id,
  })
  return { head, nurse, ticket }
}

describe('/api/v1: approvals', () => {
  test('a curator names a department’s head through PATCH /departments/:id, and clears it', async () => {
    const curator = await apiUser(db, { role: 'curator' })
    const department = await buildDepartment(db)
    const doctor = await buildUser(db, { departmentId: department.id })
    const path = `/api/v1/departments/${department.id}`
    const named = await call(app, 'PATCH', path, { headers: curator.headers, body: { head_user_id: doctor.id } })
    expect(named.status).toBe(200)
    expect(responseSchemas.Department.parse(named.body)).toMatchObject({ head_user_id: doctor.id })
    const cleared = await call(app, 'PATCH', path, { headers: curator.headers, body: { head_user_id: null } })
    expect(cleared.body).toMatchObject({ head_user_id: null })
    const executor = await apiUser(db, { role: 'executor' })
    const refused = await call(app, 'PATCH', path, { headers: executor.headers, body: { head_user_id: doctor.id } })
    expectCleanError(refused, 403, 'forbidden')
    const denied = await db
      .selectFrom('audit_log')
      .select('action')
      .where('actor_id', '=', executor.user.id)
      .where('result', '=', 'denied')
      .execute()
    expect(denied).toEqual([{ action: 'department.update' }])

    // A new name with a head who cannot be one: refused, and the name is not changed either (the B1 fuzzer's find).
    const gone = await buildUser(db, { departmentId: department.id, status: 'deactivated' })
    const both = await call(app, 'PATCH', path, {
      headers: curator.headers,
      body: { name: 'Переименованное отделение', head_user_id: gone.id },
    })
    expectCleanError(both, 422, 'validation')
    const after = await db
      .selectFrom('departments')
      .selectAll()
      .where('id', '=', department.id)
      .executeTakeFirstOrThrow()
    expect(after).toMatchObject({ name: department.name, head_user_id: null })
  })

  test('the head lists what awaits them and approves it; twice is a 409', async () => {
    const s = await setting()
    const list = await call(app, 'GET', '/api/v1/approvals', { headers: s.head.headers })
    expect(list.status).toBe(200)
    expect(list.body).toEqual({
      items: [
        expect.objectContaining({
          id: s.ticket.id,
          description: 'Удалённый доступ из дома',
          requester_name: 'Медсестра Сидорова',
          category_name: 'Доступ к VPN',
          decided_by: 'head',
        }),
      ],
    })
    const approved = await call(app, 'POST', `/api/v1/tickets/${s.ticket.id}/approve`, { headers: s.head.headers })
    expect(approved.status).toBe(200)
    expect(responseSchemas.Ticket.parse(approved.body)).toMatchObject({ id: s.ticket.id, status: 'new' })
    const again = await call(app, 'POST', `/api/v1/tickets/${s.ticket.id}/approve`, { headers: s.head.headers })
    expectCleanError(again, 409, 'invalid_transition')
  })

  test('a rejection needs its reason; others are refused', async () => {
    const s = await setting()
    const path = `/api/v1/tickets/${s.ticket.id}/reject`
    expectCleanError(await call(app, 'POST', path, { headers: s.head.headers, body: {} }), 422, 'validation')
    const executor = await apiUser(db, { role: 'executor' })
    expectCleanError(
      await call(app, 'POST', path, { headers: executor.headers, body: { reason: 'нет' } }),
      403,
      'forbidden',
    )
    const rejected = await call(app, 'POST', path, { headers: s.head.headers, body: { reason: 'VPN не положен' } })
    expect(rejected.status).toBe(200)
    expect(rejected.body).toMatchObject({ status: 'cancelled', cancel_reason: 'VPN не положен' })
    const list = await call(app, 'GET', '/api/v1/approvals', { headers: s.head.headers })
    expect(list.body).toEqual({ items: [] })
  })
})
