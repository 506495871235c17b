import { beforeEach, describe, expect, test } from 'vitest'
import type { Db, ExecutorGroup, User } from '#src/db/schema.ts'
import { apiUser, call, expectCleanError, idOf, testApp } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildGroup, buildUser } from '../../test/support/factories.ts'
import { getPage, postForm, type WebUser, webUser } from '../../test/support/web.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
let curator: WebUser
let executor: User
let colleague: User
let group: ExecutorGroup

beforeEach(async () => {
  // Wednesday 4 March 2026, 12:00 in Moscow.
  setTestClock('2026-03-04T09:00:00.000Z')
  db = (await testDatabase()).db
  app = testApp(db).app
  curator = await webUser(db, { role: 'curator', fullName: 'Кураторова Ольга' })
  executor = await buildUser(db, { role: 'executor', fullName: 'Петров Пётр', phone: '+79001234567' })
  colleague = await buildUser(db, { role: 'executor', fullName: 'Сидоров Сидор' })
  group = await buildGroup(db, 'Оргтехника', [executor.id, colleague.id])
})

const form = (fields: Partial<Record<string, string>> = {}) => ({
  group_id: String(group.id),
  user_id: String(executor.id),
  day: '2026-03-04',
  from: '08:00',
  to: '20:00',
  kind: 'day',
  note: '',
  ...fields,
})

describe('/duty', () => {
  test('a curator adds a shift in Moscow time; it is on the week, and on duty now', async () => {
    const added = await postForm(app, '/duty', curator, form())
    expect(added.status).toBe(303)
    expect(added.location).toBe('/duty?week=2026-03-02&done=created')
    const shift = await db.selectFrom('duty_shifts').selectAll().executeTakeFirstOrThrow()
    expect(shift).toMatchObject({ starts_at: '2026-03-04T05:00:00.000Z', ends_at: '2026-03-04T17:00:00.000Z' })

    const page = await getPage(app, added.location ?? '', curator)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Смена добавлена')
    expect(page.text).toContain(`id="shift-${shift.id}"`)
    expect(page.text).toContain('08:00–20:00')
    // «Кто дежурит сейчас»: name and role, never the phone.
    expect(page.text).toContain('Петров Пётр (Исполнитель, до 20:00)')
    expect(page.text).not.toContain('+79001234567')
  })

  test('the week shows the production calendar: 9 March 2026 is a holiday, 14–15 March a weekend', async () => {
    const page = await getPage(app, '/duty?week=2026-03-11', curator)
    expect(page.text).toContain('Пн 09.03.2026 <span class="badge">праздник</span>')
    expect(page.text).toContain('Сб 14.03.2026 <span class="muted">выходной</span>')
    expect(page.text).toContain('href="/duty?week=2026-03-02"')
    expect(page.text).toContain('href="/duty?week=2026-03-16"')
  })

  test('refusals are shown beside the form and change nothing', async () => {
    const outsider = await buildUser(db, { role: 'executor' })
    const bad = await postForm(app, '/duty', curator, form({ user_id: String(outsider.id) }))
    expect(bad.status).toBe(422)
    expect(bad.text).toContain('Дежурит активный исполнитель этой группы или куратор')
    const badTime = await postForm(app, '/duty', curator, form({ from: '25:00' }))
    expect(badTime.status).toBe(422)
    expect(badTime.text).toContain('Укажите день и время смены')
    expect(await db.selectFrom('duty_shifts').selectAll().execute()).toEqual([])
  })

  test('a swap on the shift’s page, then its deletion', async () => {
    await postForm(app, '/duty', curator, form({ from: '20:00', to: '08:00', kind: 'night' }))
    const shift = await db.selectFrom('duty_shifts').selectAll().executeTakeFirstOrThrow()
    expect(shift.ends_at).toBe('2026-03-05T05:00:00.000Z')
    const page = await getPage(app, `/duty/${shift.id}`, curator)
    expect(page.text).toContain('value="20:00"')
    const swapped = await postForm(
      app,
      `/duty/${shift.id}`,
      curator,
      form({ user_id: String(colleague.id), from: '20:00', to: '08:00', kind: 'night' }),
    )
    expect(swapped.status).toBe(303)
    expect((await db.selectFrom('duty_shifts').selectAll().executeTakeFirstOrThrow()).user_id).toBe(colleague.id)
    const deleted = await postForm(app, `/duty/${shift.id}/delete`, curator)
    expect(deleted.status).toBe(303)
    expect(await db.selectFrom('duty_shifts').selectAll().execute()).toEqual([])
  })

  test('an executor reads the roster without the form; changing it is hidden from them', async () => {
    await postForm(app, '/duty', curator, form())
    const reader = await webUser(db, { role: 'executor' })
    const page = await getPage(app, '/duty', reader)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Петров Пётр')
    expect(page.text).not.toContain('id="shift-form"')
    expect((await postForm(app, '/duty', reader, form({ day: '2026-03-05' }))).status).toBe(404)
    expect(await db.selectFrom('duty_shifts').selectAll().execute()).toHaveLength(1)
  })
})

describe('/api/v1/duty', () => {
  test('create, list, now, swap, overlap refused, delete', async () => {
    const api = await apiUser(db, { role: 'curator' })
    const created = await call(app, 'POST', '/api/v1/duty', {
      headers: api.headers,
      body: {
        group_id: group.id,
        user_id: executor.id,
        starts_at: '2026-03-04T08:00:00+03:00',
        ends_at: '2026-03-04T20:00:00+03:00',
        kind: 'day',
      },
    })
    expect(created.status).toBe(201)
    const id = idOf(created)
    expect(created.body).toMatchObject({
      user_name: 'Петров Пётр',
      user_role: 'executor',
      starts_at: '2026-03-04T05:00:00.000Z',
    })
    expect(JSON.stringify(created.body)).not.toContain('+7900')

    const list = await call(app, 'GET', '/api/v1/duty?from=2026-03-02&to=2026-03-08', { headers: api.headers })
    expect((list.body as { items: Array<{ id: number }> }).items.map((s) => s.id)).toEqual([id])
    const now = await call(app, 'GET', '/api/v1/duty/now', { headers: api.headers })
    expect(now.body).toMatchObject({
      groups: [{ group_id: group.id, people: [{ user_id: executor.id, name: 'Петров Пётр', role: 'executor' }] }],
    })

    const overlap = await call(app, 'POST', '/api/v1/duty', {
      headers: api.headers,
      body: {
        group_id: group.id,
        user_id: executor.id,
        starts_at: '2026-03-04T19:00:00+03:00',
        ends_at: '2026-03-05T08:00:00+03:00',
        kind: 'night',
      },
    })
    expectCleanError(overlap, 409, 'conflict')

    const swapped = await call(app, 'PATCH', `/api/v1/duty/${id}`, {
      headers: api.headers,
      body: { user_id: colleague.id },
    })
    expect(swapped.body).toMatchObject({ user_id: colleague.id })
    expect((await call(app, 'DELETE', `/api/v1/duty/${id}`, { headers: api.headers })).status).toBe(204)
    expectCleanError(await call(app, 'DELETE', `/api/v1/duty/${id}`, { headers: api.headers }), 404, 'not_found')

    const requester = await apiUser(db)
    expectCleanError(await call(app, 'GET', '/api/v1/duty/now', { headers: requester.headers }), 403, 'forbidden')
  })
})

describe('/duty/import', () => {
  test('a curator checks a roster file, then imports it; the template downloads', async () => {
    const template = await app.request('/duty/import/template.xlsx', { headers: { cookie: curator.cookie } })
    expect(template.status).toBe(200)
    expect(template.headers.get('content-type')).toContain('spreadsheetml')
    const csv = ['Группа;Дежурный;Дата;С;До;Смена', 'Оргтехника;Петров Пётр;09.03.2026;08:00;08:00;сутки'].join('\r\n')
    const upload = new FormData()
    upload.set('_csrf', curator.csrf)
    upload.set('file', new File([csv], 'график.csv', { type: 'text/csv' }))
    const preview = await app.request('/duty/import/preview', {
      method: 'POST',
      body: upload,
      headers: { cookie: curator.cookie },
    })
    const html = await preview.text()
    expect(preview.status).toBe(200)
    expect(html).toContain('Оргтехника: Петров Пётр, 09.03.2026 08:00–08:00')
    expect(await db.selectFrom('duty_shifts').selectAll().execute()).toEqual([])
    const key = /name="key" value="([^"]+)"/.exec(html)?.[1] ?? ''
    const done = await postForm(app, '/duty/import/confirm', curator, { key })
    expect(done.status).toBe(200)
    expect(done.text).toContain('Импорт выполнен')
    expect(await db.selectFrom('duty_shifts').select(['user_id', 'starts_at']).execute()).toEqual([
      { user_id: executor.id, starts_at: '2026-03-09T05:00:00.000Z' },
    ])
  })
})

describe('/settings: escalation', () => {
  test('an admin sets the rules and the head of IT; a curator after the head is refused beside the field', async () => {
    const admin = await webUser(db, { role: 'admin' })
    const page = await getPage(app, '/settings', admin)
    expect(page.text).toContain('id="setting-escalation.rules"')
    const rules: Record<string, string> = { key: 'escalation.rules' }
    for (const priority of ['critical', 'high', 'normal', 'low']) {
      rules[`${priority}.warnAtPercent`] = '80'
      rules[`${priority}.curatorAfterMinutes`] = '30'
      rules[`${priority}.headAfterMinutes`] = '90'
    }
    expect((await postForm(app, '/settings', admin, rules)).status).toBe(303)
    const saved = await db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', 'escalation.rules')
      .executeTakeFirst()
    expect(JSON.parse(saved?.value ?? '{}').high).toEqual({
      warnAtPercent: 80,
      curatorAfterMinutes: 30,
      headAfterMinutes: 90,
    })

    const refused = await postForm(app, '/settings', admin, { ...rules, 'low.headAfterMinutes': '10' })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Руководителю — позже, чем куратору')

    expect(
      (await postForm(app, '/settings', admin, { key: 'escalation.head_of_it', value: String(admin.user.id) })).status,
    ).toBe(303)
    expect((await postForm(app, '/settings', admin, { key: 'escalation.head_of_it', value: '' })).status).toBe(303)
    const head = await db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', 'escalation.head_of_it')
      .executeTakeFirst()
    expect(head?.value).toBe('null')
  })
})
