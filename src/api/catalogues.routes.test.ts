import { describe, expect, test } from 'vitest'
import { apiUser, call, expectCleanError, idOf, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildGroup } from '../../test/support/factories.ts'

async function setup() {
  const { db } = await testDatabase()
  const { app } = testApp(db)
  return {
    db,
    app,
    curator: await apiUser(db, { role: 'curator' }),
    executor: await apiUser(db, { role: 'executor' }),
    requester: await apiUser(db),
  }
}

describe('departments', () => {
  test('a curator creates, renames and disables; others see only active ones; a requester cannot manage', async () => {
    const { db, app, curator, requester } = await setup()
    const created = await call(app, 'POST', '/api/v1/departments', {
      headers: curator.headers,
      body: { name: 'Хирургия' },
    })
    expect(created).toMatchObject({ status: 201, body: { name: 'Хирургия', active: true } })
    const id = idOf(created)
    const renamed = await call(app, 'PATCH', `/api/v1/departments/${id}`, {
      headers: curator.headers,
      body: { name: 'Хирургия № 1', active: false },
    })
    expect(renamed.body).toMatchObject({ id, name: 'Хирургия № 1', active: false })
    const visible = await call(app, 'GET', '/api/v1/departments', { headers: requester.headers })
    expect(visible.body).toEqual({ items: [] })
    const all = await call(app, 'GET', '/api/v1/departments', { headers: curator.headers })
    expect(all.body).toMatchObject({ items: [{ id, active: false }] })
    expectCleanError(
      await call(app, 'POST', '/api/v1/departments', { headers: requester.headers, body: { name: 'X' } }),
      403,
      'forbidden',
    )
    expectCleanError(
      await call(app, 'POST', '/api/v1/departments', { headers: curator.headers, body: { title: 'X' } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'PATCH', `/api/v1/departments/${id}`, { headers: curator.headers, body: { active: 'no' } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'PATCH', '/api/v1/departments/999999', { headers: curator.headers, body: { name: 'Y' } }),
      404,
      'not_found',
    )
    await buildDepartment(db, 'Терапия')
    expectCleanError(
      await call(app, 'POST', '/api/v1/departments', { headers: curator.headers, body: { name: 'Терапия' } }),
      409,
      'conflict',
    )
    const journal = await db.selectFrom('audit_log').select('action').where('action', 'like', 'department.%').execute()
    expect(journal.length).toBeGreaterThanOrEqual(3)
  })
})

describe('groups', () => {
  test('a curator creates a group with members and replaces them; disabling is {active:false}', async () => {
    const { db, app, curator, executor, requester } = await setup()
    const created = await call(app, 'POST', '/api/v1/groups', {
      headers: curator.headers,
      body: { name: 'Сеть', description: 'Сети и связь', member_ids: [executor.user.id] },
    })
    expect(created).toMatchObject({ status: 201, body: { name: 'Сеть', active: true, member_ids: [executor.user.id] } })
    const id = idOf(created)
    const updated = await call(app, 'PATCH', `/api/v1/groups/${id}`, {
      headers: curator.headers,
      body: { member_ids: [curator.user.id], active: false },
    })
    expect(updated.body).toMatchObject({ member_ids: [curator.user.id], active: false })
    const list = await call(app, 'GET', '/api/v1/groups', { headers: executor.headers })
    expect(list.body).toMatchObject({ items: [{ id }] })
    expectCleanError(
      await call(app, 'POST', '/api/v1/groups', { headers: executor.headers, body: { name: 'X' } }),
      403,
      'forbidden',
    )
    expectCleanError(
      await call(app, 'POST', '/api/v1/groups', { headers: curator.headers, body: { name: 'X', member_ids: ['a'] } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', '/api/v1/groups', {
        headers: curator.headers,
        body: { name: 'X', member_ids: [requester.user.id] },
      }),
      422,
      'validation',
    )
    await buildGroup(db, 'Железо')
    expectCleanError(
      await call(app, 'POST', '/api/v1/groups', { headers: curator.headers, body: { name: 'Железо' } }),
      409,
      'conflict',
    )
    expectCleanError(
      await call(app, 'PATCH', '/api/v1/groups/999999', { headers: curator.headers, body: { name: 'Y' } }),
      404,
      'not_found',
    )
  })
})

describe('categories', () => {
  test('a curator creates a category with routing and deadlines, and disables it', async () => {
    const { db, app, curator, requester } = await setup()
    const group = await buildGroup(db)
    const created = await call(app, 'POST', '/api/v1/categories', {
      headers: curator.headers,
      body: { name: 'Принтеры', default_group_id: group.id, default_priority: 'high', response_minutes: 30 },
    })
    expect(created).toMatchObject({
      status: 201,
      body: {
        name: 'Принтеры',
        default_group_id: group.id,
        default_priority: 'high',
        response_minutes: 30,
        active: true,
      },
    })
    const id = idOf(created)
    const disabled = await call(app, 'PATCH', `/api/v1/categories/${id}`, {
      headers: curator.headers,
      body: { active: false },
    })
    expect(disabled.body).toMatchObject({ id, active: false })
    const offered = await call(app, 'GET', '/api/v1/categories', { headers: requester.headers })
    expect((offered.body as { items: Array<{ id: number }> }).items.map((c) => c.id)).not.toContain(id)
    expectCleanError(
      await call(app, 'POST', '/api/v1/categories', { headers: requester.headers, body: { name: 'X' } }),
      403,
      'forbidden',
    )
    expectCleanError(
      await call(app, 'POST', '/api/v1/categories', {
        headers: curator.headers,
        body: { name: 'X', default_priority: 'urgent' },
      }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', '/api/v1/categories', {
        headers: curator.headers,
        body: { name: 'X', response_minutes: -5 },
      }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'PATCH', '/api/v1/categories/999999', { headers: curator.headers, body: { name: 'Y' } }),
      404,
      'not_found',
    )
    const parent = await buildCategory(db, { name: 'Железо' })
    const child = await call(app, 'POST', '/api/v1/categories', {
      headers: curator.headers,
      body: { name: 'Мониторы', parent_id: parent.id },
    })
    expect(child.body).toMatchObject({ parent_id: parent.id })
  })
})
