import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import { DomainError } from '#src/errors.ts'
import { call, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import type { AppEnv } from './env.ts'

describe('the app', () => {
  test('/healthz is always ok and /readyz checks the database', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    expect(await call(app, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } })
    expect(await call(app, 'GET', '/readyz')).toMatchObject({ status: 200 })
  })

  test('/readyz is 503 when the database is gone', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    // Kysely's destroy() is a no-op on a handle that never connected: connect first.
    expect((await call(app, 'GET', '/readyz')).status).toBe(200)
    await db.destroy()
    expect((await call(app, 'GET', '/readyz')).status).toBe(503)
    expect((await call(app, 'GET', '/healthz')).status).toBe(200)
  })

  test('responses carry security headers and a request id', async () => {
    const { db } = await testDatabase()
    const { app, logs } = testApp(db)
    const res = await call(app, 'GET', '/healthz')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
    const id = res.headers.get('x-request-id')
    expect(id).toBeTruthy()
    expect(logs.some((line) => line.reqId === id && line.path === '/healthz' && line.status === 200)).toBe(true)
  })

  test('an unknown API path is a JSON 404', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const res = await call(app, 'GET', '/api/v1/nothing-here')
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'Не найдено' } })
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  test('a body over 1 MB is refused with 413', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const res = await call(app, 'POST', '/api/v1/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: { login: 'a', password: 'x'.repeat(1024 * 1024 + 10) },
    })
    expect(res.status).toBe(413)
    expect(res.body).toMatchObject({ error: { code: 'payload_too_large' } })
  })

  test('an unexpected error is a 500 without stack or SQL; the details go to the log', async () => {
    const { db } = await testDatabase()
    const { app, logs } = testApp(db)
    // A route that fails the way a broken query does, mounted on the real app with its error handler.
    const failing = new Hono<AppEnv>()
    failing.get('/boom', async (c) => {
      await c
        .get('deps')
        .db.selectFrom('no_such_table' as 'users')
        .selectAll()
        .execute()
      return c.text('unreachable')
    })
    failing.get('/refused', () => {
      throw new DomainError('conflict', 'Уже сделано')
    })
    app.route('/api/v1/test', failing)
    const res = await call(app, 'GET', '/api/v1/test/boom')
    expect(res.status).toBe(500)
    expect(res.body).toEqual({ error: { code: 'internal', message: 'Внутренняя ошибка' } })
    expect(res.text).not.toMatch(/select|sql|at /i)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const logged = logs.find((line) => line.msg === 'unhandled error')
    expect(JSON.stringify(logged)).toMatch(/no_such_table/)
    const refused = await call(app, 'GET', '/api/v1/test/refused')
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'conflict', message: 'Уже сделано' } } })
  })

  test('the OpenAPI document is served without auth', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const res = await call(app, 'GET', '/api/v1/openapi.json')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ openapi: '3.1.0' })
  })
})
