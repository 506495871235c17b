import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { buildTicket, insertTickets } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

async function views(db: Db) {
  return db.selectFrom('saved_views').selectAll().orderBy('id').execute()
}

/** The saved view links of the list's navigation: name and count. */
function savedLinks(html: string): Array<[string, string]> {
  return [
    ...html.matchAll(
      /<a class="view view--saved[^"]*" href="[^"]*"[^>]*>([^<]*) <span class="view__count">([^<]*)<\/span>/g,
    ),
  ].map((m) => [m[1] ?? '', m[2] ?? ''])
}

describe('saved views on the web', () => {
  test('an executor saves the list’s filter; the view is in the navigation with its count, and current', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const printers = await buildCategory(db, { name: 'Принтеры' })
    await buildTicket(db, { categoryId: printers.id, priority: 'high' })
    await buildTicket(db, { categoryId: printers.id, priority: 'high' })
    await buildTicket(db, { categoryId: printers.id, priority: 'low' })

    const list = await getPage(app, `/tickets?category=${printers.id}&priority=high`, who)
    expect(list.text).toContain('Сохранить вид…')
    // The form carries the list as it is (without the page's cursor); no «общий» for an executor.
    expect(list.text).toContain(
      `name="query" value="/tickets?status=new&amp;status=in_progress&amp;status=waiting&amp;priority=high&amp;category=${printers.id}"`,
    )
    expect(list.text).not.toContain('name="shared"')

    const saved = await postForm(app, '/tickets/views', who, {
      name: 'Принтеры срочно',
      query: `/tickets?category=${printers.id}&priority=high&cursor=zzz`,
    })
    expect(saved.status).toBe(303)
    const expected = `status=new&status=in_progress&status=waiting&priority=high&category=${printers.id}`
    expect(saved.location).toBe(`/tickets?${expected}`)
    expect(await views(db)).toMatchObject([
      { name: 'Принтеры срочно', query: expected, owner_id: who.user.id, shared: 0 },
    ])

    const opened = await getPage(app, saved.location ?? '', who)
    expect(savedLinks(opened.text)).toEqual([['Принтеры срочно', '2']])
    expect(opened.text).toMatch(/class="view view--saved" href="[^"]+" aria-current="page"/)
    // The other lists show it too, not current; another executor does not see it.
    expect((await getPage(app, '/tickets', who)).text).not.toMatch(/view--saved" href="[^"]+" aria-current/)
    const colleague = await webUser(db, { role: 'executor' })
    expect(savedLinks((await getPage(app, '/tickets', colleague)).text)).toEqual([])
    expect(inlineProblems(opened.text)).toEqual([])
  })

  test('counts are capped as the ready views’ are: «более 1 000»', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const requester = await webUser(db)
    await insertTickets(db, 1001, requester.user.id)
    await postForm(app, '/tickets/views', who, { name: 'Все новые', query: 'status=new' })
    expect(savedLinks((await getPage(app, '/tickets', who)).text)).toEqual([['Все новые', 'более 1\u00a0000']])
  })

  test('a curator shares a view: executors see it in their navigation and on the views page, but cannot change it', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const executor = await webUser(db, { role: 'executor' })
    await buildTicket(db, { status: 'waiting' })
    expect((await getPage(app, '/tickets', curator)).text).toContain('name="shared"')
    const saved = await postForm(app, '/tickets/views', curator, {
      name: 'Ждут ответа',
      query: 'status=waiting',
      shared: '1',
    })
    expect(saved.status).toBe(303)
    const [view] = await views(db)
    expect(view).toMatchObject({ shared: 1, owner_id: curator.user.id })
    expect(savedLinks((await getPage(app, '/tickets', executor)).text)).toEqual([['Ждут ответа', '1']])

    const page = await getPage(app, '/tickets/views', executor)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Общие виды')
    expect(page.text).toContain('Ждут ответа')
    expect(page.text).toContain('Статус: Ожидает ответа')
    expect(page.text).not.toContain(`action="/tickets/views/${view?.id}/delete"`)
    expect(inlineProblems(page.text)).toEqual([])
    // A forged rename is refused (the web's 404 page) and journaled; the view stays as it was.
    const forged = await postForm(app, `/tickets/views/${view?.id}`, executor, { name: 'Моё' })
    expect(forged.status).toBe(404)
    expect((await views(db))[0]?.name).toBe('Ждут ответа')
    expect(await journalOf(db, 'saved_view.update', 'denied')).toMatchObject([{ actor_id: executor.user.id }])
    // An executor cannot share by forging the field either.
    const own = await postForm(app, '/tickets/views', executor, { name: 'Тайком', query: '', shared: '1' })
    expect(own.status).toBe(404)
    expect(await views(db)).toHaveLength(1)
  })

  test('on the views page a person renames, reorders, shares and deletes; refusals come back beside the form', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    await postForm(app, '/tickets/views', curator, { name: 'Первый', query: 'status=new' })
    await postForm(app, '/tickets/views', curator, { name: 'Второй', query: 'status=waiting' })
    const [first, second] = await views(db)

    const renamed = await postForm(app, `/tickets/views/${first?.id}`, curator, { name: 'Новые' })
    expect(renamed.status).toBe(303)
    expect(renamed.location).toBe(`/tickets/views?done=saved#view-${first?.id}`)
    const taken = await postForm(app, `/tickets/views/${second?.id}`, curator, { name: 'новые' })
    expect(taken.status).toBe(422)
    expect(taken.text).toContain('Вид с таким названием уже есть')

    await postForm(app, `/tickets/views/${second?.id}/move`, curator, { direction: 'up' })
    const page = await getPage(app, '/tickets/views?done=moved', curator)
    expect(page.text).toContain('Порядок изменён')
    expect(page.text.indexOf('>Второй<')).toBeLessThan(page.text.indexOf('>Новые<'))

    expect((await postForm(app, `/tickets/views/${second?.id}`, curator, { shared: '1' })).status).toBe(303)
    expect((await views(db)).find((v) => v.id === second?.id)?.shared).toBe(1)

    expect((await postForm(app, `/tickets/views/${first?.id}/delete`, curator)).status).toBe(303)
    expect((await views(db)).map((v) => v.id)).toEqual([second?.id])

    // A name too long: the save form comes back on this page with what was typed.
    const long = await postForm(app, '/tickets/views', curator, { name: 'д'.repeat(61), query: 'status=closed' })
    expect(long.status).toBe(422)
    expect(long.text).toContain('длиннее 60 символов')
    expect(long.text).toContain('name="query" value="status=closed"')
  })

  test('a requester keeps no views: the page is not there, and the attempt is journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    expect((await getPage(app, '/tickets/views', who)).status).toBe(404)
    expect((await postForm(app, '/tickets/views', who, { name: 'Мой', query: '' })).status).toBe(404)
    expect(await views(db)).toEqual([])
    expect(await journalOf(db, 'saved_view.manage', 'denied')).toHaveLength(2)
  })

  test('someone else’s personal view does not exist for a colleague', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const owner = await webUser(db, { role: 'executor' })
    const curator = await webUser(db, { role: 'curator' })
    await postForm(app, '/tickets/views', owner, { name: 'Личный', query: '' })
    const [view] = await views(db)
    expect((await postForm(app, `/tickets/views/${view?.id}/delete`, curator)).status).toBe(404)
    expect(await views(db)).toHaveLength(1)
  })
})
