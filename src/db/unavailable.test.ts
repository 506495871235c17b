import { sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { openApiDocument } from '#src/api/openapi.ts'
import { SESSION_COOKIE } from '#src/users/sessions.ts'
import { apiUser, call, expectCleanError, testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { buildCategory } from '../../test/support/factories.ts'
import { openDatabase } from './database.ts'
import { diskHasRoom, outageOf } from './unavailable.ts'

describe('outageOf', () => {
  test('names connection losses and full disks, and nothing else', () => {
    const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code })
    expect(outageOf(coded('57P01', 'terminating connection due to administrator command'))).toBe('database')
    expect(outageOf(coded('57P03', 'the database system is starting up'))).toBe('database')
    expect(outageOf(coded('08006'))).toBe('database')
    expect(outageOf(coded('ECONNREFUSED'))).toBe('database')
    expect(outageOf(new Error('Connection terminated unexpectedly'))).toBe('database')
    expect(outageOf(new Error('timeout exceeded when trying to connect'))).toBe('database')
    expect(outageOf(new AggregateError([coded('ECONNREFUSED')]))).toBe('database')
    expect(outageOf(new Error('wrapped', { cause: coded('ENOSPC') }))).toBe('disk_full')
    expect(outageOf(coded('SQLITE_FULL', 'database or disk is full'))).toBe('disk_full')
    expect(outageOf(coded('53100'))).toBe('disk_full')
    // Refusals and bugs stay what they are: a unique violation, a syntax error, a plain TypeError.
    expect(outageOf(coded('23505'))).toBeUndefined()
    expect(outageOf(coded('42601'))).toBeUndefined()
    expect(outageOf(coded('SQLITE_CONSTRAINT_UNIQUE'))).toBeUndefined()
    expect(outageOf(new TypeError('Cannot read properties of undefined'))).toBeUndefined()
    expect(outageOf('ECONNREFUSED')).toBeUndefined()
  })
})

describe('while PostgreSQL cannot be reached', () => {
  // Nothing listens on port 1: every connection is refused, as while the server restarts.
  const unreachable = () => openDatabase({ kind: 'postgres', url: 'postgres://helpdesk@127.0.0.1:1/helpdesk' })
  // Well-formed credentials, so that they are looked up in the database rather than refused on sight.
  const token = 'A'.repeat(43)

  test('the API answers 503 unavailable (not 500) and /readyz is not ready', async () => {
    const db = unreachable()
    const { app, logs } = testApp(db)
    const res = await call(app, 'GET', '/api/v1/tickets', { headers: { authorization: `Bearer hd_${token}` } })
    expectCleanError(res, 503, 'unavailable')
    expect(res.headers.get('retry-after')).toBe('10')
    expect(logs.some((line) => line.msg === 'unavailable' && line.outage === 'database')).toBe(true)
    expect(await call(app, 'GET', '/readyz')).toMatchObject({ status: 503, body: { reason: 'database' } })
    await db.destroy()
  })

  test('the OpenAPI document names the 503 of every operation', () => {
    const paths = openApiDocument('http://helpdesk.test').paths as Record<string, Record<string, { responses: object }>>
    // The document itself is built in memory: it needs neither the database nor the disk.
    const operations = Object.entries(paths)
      .filter(([path]) => path !== '/openapi.json')
      .flatMap(([, methods]) => Object.values(methods))
    expect(operations.length).toBeGreaterThan(10)
    for (const operation of operations) expect(operation.responses).toHaveProperty('503')
  })

  test('a web page answers a Russian 503 page', async () => {
    const db = unreachable()
    const { app } = testApp(db)
    const res = await app.request('/tickets', { headers: { cookie: `${SESSION_COOKIE}=${token}` } })
    expect(res.status).toBe(503)
    expect(await res.text()).toContain('База данных недоступна')
    await db.destroy()
  })
})

if (testDialect() === 'sqlite')
  describe('when the database cannot grow (SQLITE_FULL)', () => {
    test('a write is a 503 disk_full with the cause logged, nothing half-done, and reads keep working', async () => {
      const { db } = await testDatabase()
      const { app, logs } = testApp(db)
      const requester = await apiUser(db)
      const category = await buildCategory(db)
      const ticketsBefore = await db.selectFrom('tickets').select('id').execute()
      const auditBefore = await db.selectFrom('audit_log').select('id').execute()
      // SQLite refuses to grow the file past max_page_count with the very error of a full disk; free pages
      // (migrations drop what they replace) would take the write without growing, so none are left.
      await sql`vacuum`.execute(db)
      const pages = await sql<{ page_count: number }>`pragma page_count`.execute(db)
      await sql.raw(`pragma max_page_count = ${pages.rows[0]?.page_count}`).execute(db)

      const res = await call(app, 'POST', '/api/v1/tickets', {
        headers: requester.headers,
        body: { title: 'Не печатает принтер', description: 'Каб. 12, HP. '.repeat(300), category_id: category.id },
      })
      expectCleanError(res, 503, 'disk_full')
      const logged = logs.find((line) => line.msg === 'unavailable')
      expect(logged).toMatchObject({ outage: 'disk_full', err: { code: 'SQLITE_FULL' } })
      expect(await db.selectFrom('tickets').select('id').execute()).toEqual(ticketsBefore)
      expect(await db.selectFrom('audit_log').select('id').execute()).toEqual(auditBefore)
      expect((await call(app, 'GET', '/api/v1/tickets', { headers: requester.headers })).status).toBe(200)
    })
  })

describe('diskHasRoom', () => {
  test('compares the free space of the folder with the minimum', async () => {
    expect(await diskHasRoom(testConfig().dataDir)).toBe(true)
    expect(await diskHasRoom(import.meta.dirname, 0)).toBe(true)
    expect(await diskHasRoom(import.meta.dirname, Number.MAX_SAFE_INTEGER)).toBe(false)
  })
})
