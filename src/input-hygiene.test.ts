import { describe, expect, test } from 'vitest'
import { parseId as parseCliId, UsageError } from '#src/cli/context.ts'
import type { Db } from '#src/db/schema.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { apiUser, call, expectCleanError, testApp } from '../test/support/api.ts'
import { testDatabase } from '../test/support/database.ts'
import { buildCategory, buildDepartment, buildUser } from '../test/support/factories.ts'
import { buildTicket } from '../test/support/ticket-factory.ts'
import { getPage, postForm, webUser } from '../test/support/web.ts'

/**
 * The «Low» input findings of issue 8, through the real app on both databases: where a person may be
 * sent after the login, ids and dates out of range, text that is not well-formed UTF-16, asset names that
 * are properties of every object, and disabled catalogue entries shown to requesters.
 */

type App = ReturnType<typeof testApp>['app']

async function tickets(db: Db) {
  return db.selectFrom('tickets').select(['id', 'title']).orderBy('id').execute()
}

describe('where the login sends a person (next)', () => {
  const PASSWORD = 'длинный-пароль-42'
  // Browsers drop tabs and line breaks from a URL: `/\t/evil.example` is `//evil.example`, another site.
  const foreign = [
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\nSet-Cookie:x',
    '//evil.example',
    '/\\evil.example',
    '/a\\..\\..\\evil',
    'https://evil.example/',
    'javascript:alert(1)',
    '/ /evil.example',
    `/tickets?q=${'a'.repeat(2_100)}`,
  ]

  async function login(app: App, next: string) {
    const form = await getPage(app, '/login')
    const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? ''
    const response = await app.request(`/login?next=${encodeURIComponent(next)}`, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: token, login: 'ivanov', password: PASSWORD }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    })
    return { status: response.status, location: response.headers.get('location') }
  }

  test('only a clean path of this site is kept, on the form and after the login', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    await buildUser(db, { login: 'ivanov', passwordHash: await hashPassword(PASSWORD) })
    for (const next of foreign) {
      const page = await getPage(app, `/login?next=${encodeURIComponent(next)}`)
      expect(page.status, JSON.stringify(next)).toBe(200)
      expect(page.text, JSON.stringify(next)).toContain('action="/login?next=%2Ftickets"')
    }
    for (const next of ['/\t/evil.example', '/\r\nSet-Cookie:x', '/tickets/5?tab=files']) {
      const expected = next.startsWith('/tickets') ? next : '/tickets'
      expect(await login(app, next), JSON.stringify(next)).toEqual({ status: 303, location: expected })
    }
  })
})

describe('ids out of range', () => {
  const outOfRange = ['2147483648', '99999999999', '-1', '0', '1e3', '0x10']

  test('web filters ignore them; the list, its exports and the report answer as without them', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    await buildTicket(db, { title: 'Принтер не печатает' })
    // What is not digits never passed; past the integer column's range was a 500 on PostgreSQL.
    for (const v of ['2147483648', '99999999999']) {
      for (const path of [
        `/tickets?department=${v}&assignee=${v}&category=${v}&group=${v}&page=${v}`,
        `/tickets/export.csv?department=${v}&category=${v}`,
        `/stats?department=${v}&category=${v}&group=${v}`,
        `/registrations?confirmed=${v}`,
      ]) {
        const page = await getPage(app, path, curator)
        expect(page.status, path).toBe(200)
        if (path.startsWith('/tickets')) expect(page.text, path).toContain('Принтер не печатает')
        // Ignored, not merely survived: the answer is the one without the filters.
        const unfiltered = await getPage(app, path.slice(0, path.indexOf('?')), curator)
        // A form's once-token is new on every page (once-form.ts): the rest must be the same.
        const once = (text: string) => text.replace(/name="_once" value="[^"]*"/g, 'name="_once"')
        expect(once(page.text), path).toBe(once(unfiltered.text))
      }
    }
  })

  test('a group form with a member id out of range is refused on the form; nothing is stored', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    for (const member of ['2147483648', '99999999999', '1e3', '-1']) {
      const page = await postForm(app, '/groups', curator, { name: 'Сеть', description: '', member })
      expect(page.status, member).toBe(422)
      expect(page.text, member).toContain('Неизвестный участник')
    }
    expect(await db.selectFrom('executor_groups').select('id').execute()).toEqual([])
  })

  test('the API refuses them in queries and bodies (422) and in paths (404)', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await apiUser(db, { role: 'curator' })
    const category = await buildCategory(db)
    for (const value of outOfRange) {
      const v = encodeURIComponent(value)
      for (const path of [`/api/v1/tickets?department_id=${v}`, `/api/v1/tickets?assignee_id=${v}`]) {
        expectCleanError(await call(app, 'GET', path, { headers: curator.headers }), 422, 'validation')
      }
      expectCleanError(await call(app, 'GET', `/api/v1/tickets/${v}`, { headers: curator.headers }), 404, 'not_found')
    }
    const body = { title: 'Нет сети', description: 'Во всём крыле', category_id: category.id, requester_id: 2147483648 }
    const filed = await call(app, 'POST', '/api/v1/tickets', { headers: curator.headers, body })
    expectCleanError(filed, 422, 'validation')
    expect(await tickets(db)).toEqual([])
  })
})

test('the console refuses an id past the integer columns before it opens the database', () => {
  for (const value of ['2147483648', '99999999999', '1e3', '0x10', '-1', '0']) {
    expect(() => parseCliId(value, '--id'), value).toThrow(UsageError)
  }
  expect(parseCliId('2147483647', '--id')).toBe(2_147_483_647)
})

describe('dates out of range in the other filters', () => {
  test('the ticket list drops them (the filter makes no sense); the API refuses them', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const api = await apiUser(db, { role: 'curator' })
    await buildTicket(db, { title: 'Сломался сканер', createdAt: '2026-03-02T08:00:00.000Z' })
    for (const query of ['from=9999-12-31', 'to=0999-01-01', 'from=2026-02-30&to=1999-12-31', 'from=%2B010000-01-01']) {
      const page = await getPage(app, `/tickets?${query}`, curator)
      expect(page.status, query).toBe(200)
      expect(page.text, query).toContain('Сломался сканер')
    }
    for (const value of [
      '9999-12-31',
      '0999-01-01',
      '2026-02-30',
      '2101-01-01',
      '2026-03-01T24:00:00Z',
      '2026-03-01T10:00:00+25:00',
      '9999-12-31T00:00:00Z',
    ]) {
      const path = `/api/v1/tickets?created_from=${encodeURIComponent(value)}`
      expectCleanError(await call(app, 'GET', path, { headers: api.headers }), 422, 'validation')
    }
    // A moment with its zone still filters as before.
    const since = await call(
      app,
      'GET',
      `/api/v1/tickets?created_from=${encodeURIComponent('2026-03-02T11:00:00+03:00')}`,
      {
        headers: api.headers,
      },
    )
    expect(since.body).toMatchObject({ total: 1 })
    const after = await call(
      app,
      'GET',
      `/api/v1/tickets?created_from=${encodeURIComponent('2026-03-02T11:00:01+03:00')}`,
      {
        headers: api.headers,
      },
    )
    expect(after.body).toMatchObject({ total: 0 })
  })

  test('the journal, on the web and in the API, names a date out of range instead of reading with it', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const api = await apiUser(db, { role: 'admin' })
    for (const value of ['9999-12-31', '1999-12-31', '2026-02-30']) {
      const page = await getPage(app, `/audit?from=${value}`, admin)
      expect(page.status, value).toBe(422)
      expect(page.text, value).toContain(`Неверная дата: ${value}`)
      const path = `/api/v1/audit?date_to=${value}`
      expectCleanError(await call(app, 'GET', path, { headers: api.headers }), 422, 'validation')
    }
  })
})

describe('text that is not well-formed UTF-16', () => {
  test('the API refuses a lone surrogate in any text with 422 validation, and stores nothing', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await apiUser(db)
    const category = await buildCategory(db)
    // JSON.stringify would escape a lone surrogate the same way: the request carries `\uD800` as text.
    for (const [title, description] of [
      ['Принтер \\uD800', 'Не печатает'],
      ['Принтер', 'Не печатает \\uDC00 совсем'],
      ['Принтер', 'Половина пары \\uD83D'],
    ]) {
      const body = `{"title":"${title}","description":"${description}","category_id":${category.id}}`
      const result = await call(app, 'POST', '/api/v1/tickets', { headers: requester.headers, body })
      expectCleanError(result, 422, 'validation')
    }
    expect(await tickets(db)).toEqual([])
    // A whole pair (an emoji) is text like any other.
    const body = `{"title":"Принтер \\uD83D\\uDE00","description":"Не печатает","category_id":${category.id}}`
    expect((await call(app, 'POST', '/api/v1/tickets', { headers: requester.headers, body })).status).toBe(201)
    expect((await tickets(db)).map((t) => t.title)).toEqual(['Принтер 😀'])
  })

  test('a web form cuts overlong text before an emoji, never through it', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await webUser(db)
    const category = await buildCategory(db)
    // 199 letters and an emoji: 201 UTF-16 units, cut to the title's 200 — once half an emoji.
    const title = `${'ж'.repeat(199)}😀`
    const page = await postForm(app, '/tickets/new', requester, {
      title,
      description: 'Не печатает',
      category: String(category.id),
      priority: 'normal',
    })
    expect(page.status).toBe(303)
    const stored = (await tickets(db)).map((t) => t.title)
    expect(stored).toEqual(['ж'.repeat(199)])
  })
})

describe('static assets', () => {
  test('a name that is a property of every object is not an asset', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    for (const name of [
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      '..%2fpackage.json',
      '..%2F..%2Fsecrets.json',
    ]) {
      const response = await app.request(`/static/${name}`)
      expect(response.status, name).toBe(404)
    }
    expect((await app.request('/static/app.css')).status).toBe(200)
  })
})

describe('disabled categories and departments', () => {
  async function scene(db: Db) {
    await buildCategory(db, { name: 'Действующая категория' })
    const retired = await buildCategory(db, { name: 'Списанная категория' })
    await db.updateTable('categories').set({ active: 0 }).where('id', '=', retired.id).execute()
    await buildDepartment(db, 'Действующее отделение')
    const closed = await buildDepartment(db, 'Закрытое отделение')
    await db.updateTable('departments').set({ active: 0 }).where('id', '=', closed.id).execute()
  }

  const names = (result: { body: unknown }) =>
    ((result.body as { items: Array<{ name: string }> }).items ?? []).map((i) => i.name).sort()

  test('a requester never sees the disabled ones, even asking with active_only=false; staff may ask', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    await scene(db)
    const requester = await apiUser(db)
    const executor = await apiUser(db, { role: 'executor' })
    const curator = await apiUser(db, { role: 'curator' })
    const list = async (who: typeof requester, path: string) =>
      names(await call(app, 'GET', path, { headers: who.headers }))
    for (const query of ['', '?active_only=false', '?active_only=0']) {
      expect(await list(requester, `/api/v1/categories${query}`), query).toEqual(['Действующая категория'])
      expect(await list(requester, `/api/v1/departments${query}`), query).toEqual(['Действующее отделение'])
    }
    expect(await list(executor, '/api/v1/categories')).toEqual(['Действующая категория'])
    expect(await list(executor, '/api/v1/categories?active_only=false')).toEqual([
      'Действующая категория',
      'Списанная категория',
    ])
    expect(await list(executor, '/api/v1/departments?active_only=false')).toEqual([
      'Действующее отделение',
      'Закрытое отделение',
    ])
    expect(await list(curator, '/api/v1/departments')).toEqual(['Действующее отделение', 'Закрытое отделение'])
  })

  test('the ticket list offers a requester no retired category to filter by; staff keep them', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    await scene(db)
    // A requester's «Мои заявки» has no staff filters at all (issue 13), so no category is offered.
    const requesterPage = await getPage(app, '/tickets', await webUser(db))
    expect(requesterPage.status).toBe(200)
    expect(requesterPage.text).not.toContain('Списанная категория')
    expect(requesterPage.text).not.toContain('name="category"')
    const executorPage = await getPage(app, '/tickets', await webUser(db, { role: 'executor' }))
    expect(executorPage.text).toContain('Списанная категория')
  })
})
