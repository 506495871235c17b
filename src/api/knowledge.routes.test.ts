import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { type ApiUser, apiUser, call, expectCleanError, idOf, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory } from '../../test/support/factories.ts'
import { responseSchemas } from './openapi.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
let executor: ApiUser
let requester: ApiUser

beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
  executor = await apiUser(db, { role: 'executor' })
  requester = await apiUser(db, { role: 'requester' })
})

const items = (body: unknown) => (body as { items: Array<{ id: number; title: string }> }).items

describe('/api/v1/articles', () => {
  test('an executor writes, reads, changes, finds and removes an article', async () => {
    const category = await buildCategory(db, { name: 'Почта' })
    const created = await call(app, 'POST', '/api/v1/articles', {
      headers: executor.headers,
      body: {
        title: 'Не приходит почта',
        body: 'Проверьте **папку «Спам»** и [инструкцию](https://mail.example/help).',
        category_id: category.id,
        visibility: 'public',
      },
    })
    expect(created.status).toBe(201)
    responseSchemas.Article.parse(created.body)
    expect(created.body).toMatchObject({ category_name: 'Почта', helpful_count: 0, images: [] })
    expect((created.body as { html: string }).html).toContain('<strong>папку «Спам»</strong>')
    const id = idOf(created)

    const changed = await call(app, 'PATCH', `/api/v1/articles/${id}`, {
      headers: executor.headers,
      body: { title: 'Не приходят письма' },
    })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ title: 'Не приходят письма' })

    const found = await call(app, 'GET', `/api/v1/articles?q=${encodeURIComponent('письмо')}`, {
      headers: requester.headers,
    })
    expect(found.status).toBe(200)
    for (const item of items(found.body)) responseSchemas.ArticleSummary.parse(item)
    expect(items(found.body).map((a) => a.id)).toEqual([id])

    expect((await call(app, 'DELETE', `/api/v1/articles/${id}`, { headers: executor.headers })).status).toBe(204)
    expectCleanError(await call(app, 'GET', `/api/v1/articles/${id}`, { headers: executor.headers }), 404, 'not_found')
  })

  test('a requester reads public ones, may not write (403), and an internal one is 404', async () => {
    const internal = await call(app, 'POST', '/api/v1/articles', {
      headers: executor.headers,
      body: { title: 'Учётка администратора АРМ', body: 'Внутреннее', visibility: 'internal' },
    })
    const id = idOf(internal)
    expectCleanError(await call(app, 'GET', `/api/v1/articles/${id}`, { headers: requester.headers }), 404, 'not_found')
    const refused = await call(app, 'POST', '/api/v1/articles', {
      headers: requester.headers,
      body: { title: 'Моя', body: 'Текст', visibility: 'public' },
    })
    expectCleanError(refused, 403, 'forbidden')
    expect(await db.selectFrom('articles').select('id').where('title', '=', 'Моя').execute()).toEqual([])
  })

  test('bad input is a 422 in the project’s error shape and changes nothing', async () => {
    const before = await db.selectFrom('articles').select('id').execute()
    const unknownVisibility = await call(app, 'POST', '/api/v1/articles', {
      headers: executor.headers,
      body: { title: 'Т', body: 'Текст', visibility: 'secret' },
    })
    expectCleanError(unknownVisibility, 422, 'validation')
    const blank = await call(app, 'POST', '/api/v1/articles', {
      headers: executor.headers,
      body: { title: '   ', body: 'Текст', visibility: 'public' },
    })
    expectCleanError(blank, 422, 'validation')
    expect((blank.body as { error: { message: string } }).error.message).toBe('Введите заголовок статьи')
    const noCategory = await call(app, 'POST', '/api/v1/articles', {
      headers: executor.headers,
      body: { title: 'Т', body: 'Текст', visibility: 'public', category_id: 999_999 },
    })
    expectCleanError(noCategory, 422, 'validation')
    expect(await db.selectFrom('articles').select('id').execute()).toEqual(before)
  })

  test('feedback counts «помогло» and «не помогло»', async () => {
    const created = await call(app, 'POST', '/api/v1/articles', {
      headers: executor.headers,
      body: { title: 'Звук в наушниках', body: 'Проверьте разъём.', visibility: 'public' },
    })
    const id = idOf(created)
    const yes = await call(app, 'POST', `/api/v1/articles/${id}/feedback`, {
      headers: requester.headers,
      body: { helpful: true },
    })
    expect(yes.status).toBe(204)
    await call(app, 'POST', `/api/v1/articles/${id}/feedback`, { headers: requester.headers, body: { helpful: false } })
    const read = await call(app, 'GET', `/api/v1/articles/${id}`, { headers: requester.headers })
    expect(read.body).toMatchObject({ helpful_count: 1, not_helpful_count: 1 })
  })
})
