import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { type ApiUser, apiUser, call, expectCleanError, idOf, testApp } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildGroup } from '../../test/support/factories.ts'
import { responseSchemas } from './openapi.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
let executor: ApiUser
let curator: ApiUser
let admin: ApiUser

beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
  executor = await apiUser(db, { role: 'executor' })
  curator = await apiUser(db, { role: 'curator' })
  admin = await apiUser(db, { role: 'admin' })
})

async function body() {
  const group = await buildGroup(db, undefined, [executor.user.id])
  const category = await buildCategory(db)
  return {
    title: 'Сертификаты ЭЦП, истекающие через 30 дней',
    description: 'Проверить сроки сертификатов ЭЦП на {{дата}}',
    category_id: category.id,
    group_id: group.id,
    priority: 'high',
    schedule: '0 10 * * 1',
  }
}

describe('/api/v1/plans', () => {
  test('a curator creates, reads, changes, pauses and runs a plan; an executor reads', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const input = await body()
    const created = await call(app, 'POST', '/api/v1/plans', { headers: curator.headers, body: input })
    expect(created.status).toBe(201)
    responseSchemas.Plan.parse(created.body)
    expect(created.body).toMatchObject({
      schedule: '0 10 * * 1',
      active: true,
      requester_id: curator.user.id,
      next_run_at: '2026-03-09T07:00:00.000Z',
    })
    const id = idOf(created)

    const preview = await call(app, 'POST', '/api/v1/plans/preview', {
      headers: executor.headers,
      body: { schedule: '0 9 1 * *' },
    })
    expect(preview.status).toBe(200)
    expect(preview.body).toMatchObject({
      time_zone: 'Europe/Moscow',
      runs: [
        '2026-04-01T06:00:00.000Z',
        '2026-05-01T06:00:00.000Z',
        '2026-06-01T06:00:00.000Z',
        '2026-07-01T06:00:00.000Z',
        '2026-08-01T06:00:00.000Z',
      ],
    })

    const list = await call(app, 'GET', '/api/v1/plans', { headers: executor.headers })
    expect(list.status).toBe(200)
    expect((list.body as { items: Array<{ id: number }> }).items.map((p) => p.id)).toContain(id)

    const paused = await call(app, 'PATCH', `/api/v1/plans/${id}`, {
      headers: curator.headers,
      body: { active: false, schedule: '0 9 1 * *' },
    })
    expect(paused.status).toBe(200)
    expect(paused.body).toMatchObject({ active: false, next_run_at: null, schedule: '0 9 1 * *' })

    const ran = await call(app, 'POST', `/api/v1/plans/${id}/run`, { headers: curator.headers })
    expect(ran.status).toBe(201)
    expect(ran.body).toMatchObject({ group_id: input.group_id, status: 'new' })

    const read = await call(app, 'GET', `/api/v1/plans/${id}`, { headers: executor.headers })
    expect(read.status).toBe(200)
    const runs = (read.body as { runs: Array<Record<string, unknown>> }).runs
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ kind: 'manual', ticket_id: (ran.body as { ticket_id: number }).ticket_id })

    for (const [method, path, json] of [
      ['POST', '/api/v1/plans', input],
      ['PATCH', `/api/v1/plans/${id}`, { active: true }],
      ['POST', `/api/v1/plans/${id}/run`, undefined],
    ] as const) {
      const refused = await call(app, method, path, { headers: executor.headers, body: json })
      expect(refused.status, `${method} ${path}`).toBe(403)
      expectCleanError(refused, 403, 'forbidden')
    }
  })

  test('bad input is a 422 with the error shape; raw cron is the admins’; nothing changes', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const input = await body()
    const count = async () => (await db.selectFrom('plans').select('id').execute()).length
    const before = await count()
    const tooOften = await call(app, 'POST', '/api/v1/plans', {
      headers: admin.headers,
      body: { ...input, schedule: '*/15 * * * *' },
    })
    expect(tooOften.status).toBe(422)
    expectCleanError(tooOften, 422, 'validation')
    expect((tooOften.body as { error: { message: string } }).error.message).toMatch(/не чаще раза в час/)
    const unknownField = await call(app, 'POST', '/api/v1/plans', {
      headers: curator.headers,
      body: { ...input, every: 'month' },
    })
    expect(unknownField.status).toBe(422)
    const raw = await call(app, 'POST', '/api/v1/plans', {
      headers: curator.headers,
      body: { ...input, schedule: '0 8 * * 1-5' },
    })
    expect(raw.status).toBe(403)
    expect(await count()).toBe(before)
    const byAdmin = await call(app, 'POST', '/api/v1/plans', {
      headers: admin.headers,
      body: { ...input, schedule: '0 8 * * 1-5' },
    })
    expect(byAdmin.status).toBe(201)
    expect((await call(app, 'GET', '/api/v1/plans/999999', { headers: executor.headers })).status).toBe(404)
  })
})
