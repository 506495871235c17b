import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { createArticle } from '#src/knowledge/create-article.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory } from '../../test/support/factories.ts'
import { tempDirs } from '../../test/support/temp-dirs.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, type WebUser, webUser } from '../../test/support/web.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
const tempDir = tempDirs('kb-web-')
beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db, testConfig({ dataDir: tempDir() })).app
})

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)

/** The article form as a browser sends it with pictures (multipart). */
async function postMultipart(
  url: string,
  who: WebUser,
  fields: Record<string, string>,
  files: Array<{ name: string; type: string; bytes: Uint8Array }> = [],
) {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.set(name, value)
  form.set('_csrf', who.csrf)
  for (const file of files) form.append('files', new File([file.bytes], file.name, { type: file.type }))
  const response = await app.request(url, { method: 'POST', body: form, headers: { cookie: who.cookie } })
  return { status: response.status, location: response.headers.get('location'), text: await response.text() }
}

describe('/kb', () => {
  test('an executor writes an article with a picture; a requester reads it, the picture served from our origin', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const category = await buildCategory(db, { name: 'Принтеры' })
    const form = await getPage(app, '/kb/new', executor)
    expect(form.status).toBe(200)
    expect(form.text).toContain('enctype="multipart/form-data"')
    expect(inlineProblems(form.text)).toEqual([])

    const created = await postMultipart(
      '/kb',
      executor,
      {
        title: 'Принтер не печатает',
        body: '## Что проверить\n\n1. Бумагу\n2. Картридж\n\n![Лоток](лоток.png)\n\n<b>не HTML</b>',
        category: String(category.id),
        visibility: 'public',
      },
      [{ name: 'лоток.png', type: 'image/png', bytes: PNG }],
    )
    expect(created.status).toBe(303)
    const id = Number(created.location?.match(/^\/kb\/(\d+)\?done=created$/)?.[1])
    expect(id).toBeGreaterThan(0)
    const image = await db
      .selectFrom('article_images')
      .selectAll()
      .where('article_id', '=', id)
      .executeTakeFirstOrThrow()
    expect(image).toMatchObject({ file_name: 'лоток.png', mime_type: 'image/png' })

    const requester = await webUser(db, { role: 'requester' })
    const page = await getPage(app, `/kb/${id}`, requester)
    expect(page.status).toBe(200)
    expect(page.text).toContain('<h2>Что проверить</h2>')
    expect(page.text).toContain(`<img src="/kb/${id}/images/${image.id}" alt="Лоток"`)
    expect(page.text).toContain('&lt;b&gt;не HTML&lt;/b&gt;')
    expect(page.text).not.toContain('/kb/new')
    expect(inlineProblems(page.text)).toEqual([])
    const picture = await app.request(`/kb/${id}/images/${image.id}`, { headers: { cookie: requester.cookie } })
    expect(picture.status).toBe(200)
    expect(picture.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await picture.arrayBuffer()).equals(PNG)).toBe(true)

    const list = await getPage(app, '/kb?q=принтеры', requester)
    expect(list.text).toContain(`href="/kb/${id}"`)
    expect(list.text).toContain('База знаний')
  })

  test('bad input is said in Russian beside the form and saves nothing; a non-image is refused', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const before = await db.selectFrom('articles').select('id').execute()
    const empty = await postMultipart('/kb', executor, { title: '', body: 'Текст', category: '', visibility: 'public' })
    expect(empty.status).toBe(422)
    expect(empty.text).toContain('Введите заголовок статьи')
    const program = await postMultipart(
      '/kb',
      executor,
      { title: 'Драйвер', body: 'Текст', category: '', visibility: 'public' },
      [{ name: 'схема.png', type: 'image/png', bytes: new TextEncoder().encode('MZ not an image') }],
    )
    expect(program.status).toBe(422)
    expect(program.text).toContain('не картинка')
    expect(await db.selectFrom('articles').select('id').execute()).toEqual(before)
  })

  test('internal articles: hidden from a requester (404, journaled); writing pages are staff only', async () => {
    const curator = await webUser(db, { role: 'curator' })
    const requester = await webUser(db, { role: 'requester' })
    const internal = await createArticle(db, actorFromUser(curator.user, 'web'), {
      title: 'Сервисный пароль МФУ',
      body: 'Только для ИТ',
      visibility: 'internal',
    })
    expect((await getPage(app, `/kb/${internal.id}`, requester)).status).toBe(404)
    expect((await getPage(app, '/kb?q=сервисный', requester)).text).not.toContain('Сервисный пароль')
    expect((await getPage(app, '/kb?q=сервисный', curator)).text).toContain('Сервисный пароль')
    expect((await getPage(app, '/kb/new', requester)).status).toBe(404)
    const refused = await postForm(app, `/kb/${internal.id}/delete`, requester)
    expect(refused.status).toBe(404)
    const denied = await db
      .selectFrom('audit_log')
      .select(['action', 'object_id'])
      .where('result', '=', 'denied')
      .where('actor_id', '=', requester.user.id)
      .execute()
    expect(denied).toEqual(
      expect.arrayContaining([
        { action: 'article.view', object_id: String(internal.id) },
        { action: 'article.manage', object_id: null },
      ]),
    )
  })

  test('«Помогло» under an article counts once a day; «Не помогло» opens a new ticket in its category', async () => {
    const curator = await webUser(db, { role: 'curator' })
    const requester = await webUser(db, { role: 'requester' })
    const scanners = await buildCategory(db, { name: 'Сканеры' })
    const article = await createArticle(db, actorFromUser(curator.user, 'web'), {
      title: 'Сканер не видит компьютер',
      body: 'Переподключите кабель USB.',
      categoryId: scanners.id,
      visibility: 'public',
    })
    const counts = () =>
      db
        .selectFrom('articles')
        .select(['helpful_count', 'not_helpful_count'])
        .where('id', '=', article.id)
        .executeTakeFirstOrThrow()
    const page = await getPage(app, `/kb/${article.id}`, requester)
    expect(page.text).toContain(`action="/kb/${article.id}/feedback"`)

    const helped = await postForm(app, `/kb/${article.id}/feedback`, requester, { helpful: '1' })
    expect(helped.status).toBe(303)
    expect(helped.location).toBe(`/kb/${article.id}?done=thanks`)
    expect((await getPage(app, helped.location ?? '', requester)).text).toContain('Спасибо! Рады, что статья помогла.')
    await postForm(app, `/kb/${article.id}/feedback`, requester, { helpful: '1' })
    expect(await counts()).toEqual({ helpful_count: 1, not_helpful_count: 0 })

    const other = await webUser(db, { role: 'requester' })
    const notHelped = await postForm(app, `/kb/${article.id}/feedback`, other, { helpful: '0' })
    expect(notHelped.location).toBe(`/tickets/new?category=${scanners.id}`)
    expect(await counts()).toEqual({ helpful_count: 1, not_helpful_count: 1 })
    const form = await getPage(app, notHelped.location ?? '', other)
    expect(form.text).toMatch(new RegExp(`<option value="${scanners.id}" selected="">Сканеры</option>`))

    const internal = await createArticle(db, actorFromUser(curator.user, 'web'), {
      title: 'Только для ИТ',
      body: 'Внутреннее',
      visibility: 'internal',
    })
    expect((await postForm(app, `/kb/${internal.id}/feedback`, other, { helpful: '1' })).status).toBe(404)
  })

  test('editing changes the text and removes a picture; deleting archives the article', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const made = await postMultipart(
      '/kb',
      executor,
      { title: 'Сканер не видит сеть', body: 'Перезагрузите сканер.', category: '', visibility: 'public' },
      [{ name: 'a.png', type: 'image/png', bytes: PNG }],
    )
    const id = Number(made.location?.match(/^\/kb\/(\d+)/)?.[1])
    const image = await db
      .selectFrom('article_images')
      .select('id')
      .where('article_id', '=', id)
      .executeTakeFirstOrThrow()
    const edit = await getPage(app, `/kb/${id}/edit`, executor)
    expect(edit.text).toContain(`name="remove_image_${image.id}"`)
    const saved = await postMultipart(`/kb/${id}`, executor, {
      title: 'Сканер не видит сеть',
      body: 'Проверьте кабель, затем перезагрузите сканер.',
      category: '',
      visibility: 'internal',
      [`remove_image_${image.id}`]: '1',
    })
    expect(saved).toMatchObject({ status: 303, location: `/kb/${id}?done=saved` })
    const row = await db.selectFrom('articles').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ visibility: 'internal', body: 'Проверьте кабель, затем перезагрузите сканер.' })
    expect(await db.selectFrom('article_images').select('id').where('article_id', '=', id).execute()).toEqual([])
    const gone = await postForm(app, `/kb/${id}/delete`, executor)
    expect(gone).toMatchObject({ status: 303, location: '/kb?done=deleted' })
    expect((await getPage(app, `/kb/${id}`, executor)).status).toBe(404)
  })

  test('the ticket page offers «Вставить статью» to staff; the picker lists links on the hospital’s address', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const article = await createArticle(db, actorFromUser(executor.user, 'web'), {
      title: 'Как подключить МФУ по сети',
      body: 'Пошагово.',
      visibility: 'public',
    })
    const ticket = await buildTicket(db)
    const page = await getPage(app, `/tickets/${ticket.id}`, executor)
    expect(page.text).toContain('Вставить статью')
    expect(page.text).toContain('kb-picker.js')
    const picker = await getPage(app, '/kb/picker?kb_q=мфу', executor, { 'hx-request': 'true' })
    expect(picker.status).toBe(200)
    expect(picker.text).toContain(`value="Как подключить МФУ по сети: http://helpdesk.test/kb/${article.id}"`)
    // An internal article says so: its link in a reply would open nothing for the requester.
    const internal = await createArticle(db, actorFromUser(executor.user, 'web'), {
      title: 'МФУ: сервисное меню',
      body: 'Для ИТ.',
      visibility: 'internal',
    })
    const both = await getPage(app, '/kb/picker?kb_q=мфу', executor, { 'hx-request': 'true' })
    expect(both.text).toContain(`МФУ: сервисное меню · Только сотрудникам ИТ</option>`)
    expect(both.text).toContain(`>Как подключить МФУ по сети</option>`)
    expect(internal.visibility).toBe('internal')
    const requester = await webUser(db, { role: 'requester' })
    expect((await getPage(app, '/kb/picker', requester)).status).toBe(404)
  })
})
