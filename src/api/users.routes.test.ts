import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { apiUser, call, expectCleanError, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildDepartment, buildUser } from '../../test/support/factories.ts'

async function setup() {
  const { db } = await testDatabase()
  const { app } = testApp(db)
  return {
    db,
    app,
    admin: await apiUser(db, { role: 'admin' }),
    curator: await apiUser(db, { role: 'curator' }),
    requester: await apiUser(db),
  }
}

async function journal(db: Db, action: string) {
  return (await db.selectFrom('audit_log').select('result').where('action', '=', action).orderBy('id').execute()).map(
    (r) => r.result,
  )
}

describe('POST /api/v1/users', () => {
  test('an admin creates an active account that can log in; secrets never come back', async () => {
    const { db, app, admin } = await setup()
    const department = await buildDepartment(db)
    const res = await call(app, 'POST', '/api/v1/users', {
      headers: admin.headers,
      body: {
        full_name: 'Петрова Анна Сергеевна',
        role: 'executor',
        login: 'Petrova',
        password: 'длинный-пароль-для-теста',
        department_id: department.id,
        phone: '+7 900 123-45-67',
      },
    })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      full_name: 'Петрова Анна Сергеевна',
      role: 'executor',
      status: 'active',
      login: 'petrova',
    })
    expect(res.text).not.toMatch(/password|totp_secret|argon/)
    const login = await call(app, 'POST', '/api/v1/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: { login: 'petrova', password: 'длинный-пароль-для-теста' },
    })
    expect(login.status).toBe(200)
    expect(await journal(db, 'user.create')).toEqual(['success'])
  })

  test('only an admin creates accounts; bad input is 422; a taken login is 409', async () => {
    const { db, app, admin, curator } = await setup()
    const post = (headers: Record<string, string>, body: unknown) =>
      call(app, 'POST', '/api/v1/users', { headers, body })
    expectCleanError(await post(curator.headers, { full_name: 'Иванов', role: 'requester' }), 403, 'forbidden')
    expectCleanError(await post(admin.headers, { full_name: 'Иванов', role: 'boss' }), 422, 'validation')
    expectCleanError(
      await post(admin.headers, { full_name: 'Иванов', role: 'requester', email: 'x' }),
      422,
      'validation',
    )
    expectCleanError(
      await post(admin.headers, { full_name: 'Иванов', role: 'requester', login: 'ivanov' }),
      422,
      'validation',
    )
    expectCleanError(
      await post(admin.headers, { full_name: 'Иванов', role: 'requester', department_id: '1' }),
      422,
      'validation',
    )
    const body = { full_name: 'Иванов', role: 'requester', login: 'ivanov', password: 'ещё-один-пароль-42' }
    expect((await post(admin.headers, body)).status).toBe(201)
    expectCleanError(await post(admin.headers, { ...body, full_name: 'Другой' }), 409, 'conflict')
    expect(await journal(db, 'user.create')).toEqual(['denied', 'success'])
  })
})

describe('GET /api/v1/users', () => {
  test('staff list the registration queue, paged; the read is journaled; a requester gets 403', async () => {
    const { db, app, curator, requester } = await setup()
    const pending = await buildUser(db, { status: 'pending' })
    const res = await call(app, 'GET', '/api/v1/users?status=pending', { headers: curator.headers })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ total: 1, page: 1, items: [{ id: pending.id, status: 'pending' }] })
    expect(res.text).not.toContain('password_hash')
    expectCleanError(await call(app, 'GET', '/api/v1/users', { headers: requester.headers }), 403, 'forbidden')
    expectCleanError(
      await call(app, 'GET', '/api/v1/users?status=waiting', { headers: curator.headers }),
      422,
      'validation',
    )
    expect(await journal(db, 'user.list')).toEqual(['success', 'denied'])
  })
})

describe('GET /api/v1/users/{id}', () => {
  test('staff see a profile (journaled); a requester 403; a missing user 404', async () => {
    const { db, app, curator, requester } = await setup()
    const person = await buildUser(db)
    const res = await call(app, 'GET', `/api/v1/users/${person.id}`, { headers: curator.headers })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: person.id, full_name: person.full_name })
    expectCleanError(
      await call(app, 'GET', `/api/v1/users/${person.id}`, { headers: requester.headers }),
      403,
      'forbidden',
    )
    expectCleanError(await call(app, 'GET', '/api/v1/users/999999', { headers: curator.headers }), 404, 'not_found')
    expect(await journal(db, 'user.view')).toEqual(['success', 'denied'])
  })
})

describe('the account lifecycle', () => {
  test('a curator confirms or rejects registrations; a second decision is 409', async () => {
    const { db, app, curator, requester } = await setup()
    const a = await buildUser(db, { status: 'pending' })
    const b = await buildUser(db, { status: 'pending' })
    expectCleanError(
      await call(app, 'POST', `/api/v1/users/${a.id}/confirm`, { headers: requester.headers }),
      403,
      'forbidden',
    )
    const confirmed = await call(app, 'POST', `/api/v1/users/${a.id}/confirm`, { headers: curator.headers })
    expect(confirmed).toMatchObject({ status: 200, body: { id: a.id, status: 'active' } })
    expectCleanError(
      await call(app, 'POST', `/api/v1/users/${a.id}/confirm`, { headers: curator.headers }),
      409,
      'invalid_transition',
    )
    expectCleanError(
      await call(app, 'POST', `/api/v1/users/${b.id}/reject`, { headers: curator.headers, body: {} }),
      422,
      'validation',
    )
    const rejected = await call(app, 'POST', `/api/v1/users/${b.id}/reject`, {
      headers: curator.headers,
      body: { reason: 'Не сотрудник больницы' },
    })
    expect(rejected.body).toMatchObject({ status: 'rejected', rejection_reason: 'Не сотрудник больницы' })
    expectCleanError(
      await call(app, 'POST', '/api/v1/users/999999/confirm', { headers: curator.headers }),
      404,
      'not_found',
    )
  })

  test('an admin deactivates (the person’s tokens stop working), reactivates and changes roles', async () => {
    const { app, admin, curator, requester } = await setup()
    const path = `/api/v1/users/${requester.user.id}`
    expectCleanError(await call(app, 'POST', `${path}/deactivate`, { headers: curator.headers }), 403, 'forbidden')
    expect((await call(app, 'POST', `${path}/deactivate`, { headers: admin.headers })).body).toMatchObject({
      status: 'deactivated',
    })
    expectCleanError(await call(app, 'GET', '/api/v1/me', { headers: requester.headers }), 401, 'unauthorized')
    expectCleanError(
      await call(app, 'POST', `${path}/deactivate`, { headers: admin.headers }),
      409,
      'invalid_transition',
    )
    expect((await call(app, 'POST', `${path}/reactivate`, { headers: admin.headers })).body).toMatchObject({
      status: 'active',
    })

    const role = await call(app, 'POST', `${path}/role`, { headers: admin.headers, body: { role: 'executor' } })
    expect(role.body).toMatchObject({ role: 'executor' })
    expectCleanError(
      await call(app, 'POST', `${path}/role`, { headers: admin.headers, body: { role: 'root' } }),
      422,
      'validation',
    )
    expectCleanError(
      await call(app, 'POST', `/api/v1/users/${admin.user.id}/role`, {
        headers: admin.headers,
        body: { role: 'requester' },
      }),
      409,
      'conflict',
    )
  })
})
