import { describe, expect, test } from 'vitest'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildDepartment } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, type WebUser, webUser } from '../../test/support/web.ts'

const STAFF = 'ФИО;Отделение;Табельный номер\nИванова Мария Петровна;Хирургия;000123\nПетров Пётр;Хирургия;000124\n'

async function upload(
  app: ReturnType<typeof testApp>['app'],
  who: WebUser,
  text: string,
  options: { csrf?: string | null; kind?: string } = {},
) {
  const body = new FormData()
  const token = options.csrf === undefined ? who.csrf : options.csrf
  if (token !== null) body.set('_csrf', token)
  body.set('kind', options.kind ?? 'users')
  body.set('file', new File([text], 'staff.csv', { type: 'text/csv' }))
  const response = await app.request('/users/import/preview', { method: 'POST', body, headers: { cookie: who.cookie } })
  return { status: response.status, text: await response.text() }
}

describe('«Пользователи → Импорт»', () => {
  test('upload → a preview by line → «Импортировать» imports exactly that file once', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    await buildDepartment(db, 'Хирургия')

    expect((await getPage(app, '/users', admin)).text).toContain('href="/users/import"')
    const page = await getPage(app, '/users/import', admin)
    expect(page.status).toBe(200)
    expect(page.text).toContain('enctype="multipart/form-data"')
    expect(inlineProblems(page.text)).toEqual([])

    const preview = await upload(app, admin, STAFF)
    expect(preview.status).toBe(200)
    expect(inlineProblems(preview.text)).toEqual([])
    expect(preview.text).toContain('Иванова Мария Петровна (таб. № 000123)')
    const key = /name="key" value="([A-Za-z0-9_-]{43})"/.exec(preview.text)?.[1] ?? ''
    expect(key).not.toBe('')
    expect(await db.selectFrom('users').select('id').where('employee_number', 'is not', null).execute()).toEqual([])

    const done = await postForm(app, '/users/import/confirm', admin, { key })
    expect(done.status).toBe(200)
    expect(done.text).toContain('Импорт выполнен')
    expect(await db.selectFrom('users').select('id').where('employee_number', 'is not', null).execute()).toHaveLength(2)
    expect(await journalOf(db, 'user.create')).toHaveLength(2)
    // The key is spent: a second confirmation imports nothing more.
    const twice = await postForm(app, '/users/import/confirm', admin, { key })
    expect(twice.status).toBe(422)
    expect(twice.text).toContain('загрузите его снова')
    expect(await db.selectFrom('import_uploads').select('id').execute()).toEqual([])
  })

  test('bad rows are shown with their lines and no «Импортировать»; wrong columns are named beside the form', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const bad = await upload(
      app,
      admin,
      'ФИО;Отделение;Табельный номер\nИванова;;1\nПетров;;1\nСидоров;Кардиология;2\n',
    )
    expect(bad.status).toBe(200)
    expect(bad.text).toContain('отделения «Кардиология» нет в справочнике')
    expect(bad.text).toContain('табельный номер 1 уже был в строке 2')
    expect(bad.text).not.toContain('name="key"')
    const columns = await upload(app, admin, 'ФИО;Паспорт\nИванов;1234\n')
    expect(columns.status).toBe(422)
    expect(columns.text).toContain('Неизвестный столбец «Паспорт» (столбец B)')
  })

  test('templates download as CSV and XLSX', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const csv = await app.request('/users/import/template/users.csv', { headers: { cookie: admin.cookie } })
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-disposition')).toContain('import-users.csv')
    const bytes = new Uint8Array(await csv.arrayBuffer())
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(new TextDecoder().decode(bytes).split('\r\n')[0]).toBe(
      'ФИО;Отделение;Должность;Телефон;Табельный номер;Telegram id;Кабинет',
    )
    const xlsx = await app.request('/users/import/template/categories.xlsx', { headers: { cookie: admin.cookie } })
    expect(xlsx.status).toBe(200)
    expect(new Uint8Array(await xlsx.arrayBuffer()).slice(0, 2)).toEqual(new Uint8Array([0x50, 0x4b]))
    expect((await getPage(app, '/users/import/template/passwords.csv', admin)).status).toBe(404)
  })

  test('a curator gets 404 (journaled); an upload without the CSRF token is refused', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    expect((await getPage(app, '/users/import', curator)).status).toBe(404)
    expect((await upload(app, curator, STAFF)).status).toBe(404)
    expect((await journalOf(db, 'user.create', 'denied')).length).toBeGreaterThanOrEqual(2)
    const admin = await webUser(db, { role: 'admin' })
    expect((await upload(app, admin, STAFF, { csrf: null })).status).toBe(403)
    expect((await upload(app, admin, STAFF, { csrf: 'forged' })).status).toBe(403)
    expect(await db.selectFrom('import_uploads').select('id').execute()).toEqual([])
  })
})
