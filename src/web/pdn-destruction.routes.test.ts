import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { setSetting } from '#src/settings/settings.ts'
import { systemActor } from '#src/users/actor.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildConsent, buildUser } from '../../test/support/factories.ts'
import { pdfText } from '../../test/support/pdf.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

const folders: string[] = []
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const COMMISSION = [
  { name: 'Петрова Анна Сергеевна', position: 'Заместитель главного врача' },
  { name: 'Сидоров Олег Ильич', position: 'Начальник отдела ИТ' },
]

async function setUp() {
  const { db } = await testDatabase()
  const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-destruction-web-'))
  folders.push(dataDir)
  const { app } = testApp(db, testConfig({ dataDir }))
  await setSetting(db, systemActor(), 'pdn.commission', COMMISSION)
  const admin = await webUser(db, { role: 'admin' })
  // A person who withdrew their consent: due at once, with the 30-day deadline.
  const person = await buildUser(db, { status: 'deactivated', fullName: 'Оглоблина Фёкла Саввична' })
  await buildConsent(db, person.id, 'withdrawn')
  return { db, app, admin, person }
}

describe('/pdn/destruction and /pdn/acts', () => {
  test('an admin sees who is due, approves with the commission, and downloads the act and the extract', async () => {
    const { db, app, admin, person } = await setUp()

    const list = await getPage(app, '/pdn/destruction', admin)
    expect(list.status).toBe(200)
    expect(list.text).toContain('Оглоблина Фёкла Саввична')
    expect(list.text).toContain('Отзыв согласия на обработку персональных данных')
    expect(list.text).toContain(`href="/pdn/destruction/${person.id}"`)
    expect(inlineProblems(list.text)).toEqual([])

    const form = await getPage(app, `/pdn/destruction/${person.id}`, admin)
    expect(form.status).toBe(200)
    expect(form.text).toContain('Уничтожить данные и составить акт')
    expect(form.text).toContain('Петрова Анна Сергеевна')
    expect(form.text).toContain('name="member_1"')

    const none = await postForm(app, `/pdn/destruction/${person.id}`, admin, { reason: 'Отзыв согласия' })
    expect(none.status).toBe(422)
    expect(none.text).toContain('Выберите членов комиссии, подписывающих акт')

    const done = await postForm(app, `/pdn/destruction/${person.id}`, admin, {
      reason: 'Отзыв согласия субъектом',
      member_0: '1',
      member_1: '1',
      delete_texts: '1',
    })
    expect(done.status).toBe(303)
    const act = await db.selectFrom('destruction_acts').selectAll().executeTakeFirstOrThrow()
    expect(done.location).toBe(`/pdn/acts?done=${act.id}#act-${act.id}`)
    expect(JSON.parse(act.commission)).toEqual(COMMISSION)
    expect(act.texts_deleted).toBe(1)

    const acts = await getPage(app, done.location ?? '', admin)
    expect(acts.text).toContain(`Данные уничтожены, составлен акт № ${act.id}`)
    expect(acts.text).toContain(`Субъект № ${person.id}`)
    expect(acts.text).not.toContain('Оглоблина')

    const pdf = await getPage(app, `/pdn/acts/${act.id}/act.pdf`, admin)
    expect(pdf.status).toBe(200)
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="act-${act.id}.pdf"`)
    const bytes = await app.request(`/pdn/acts/${act.id}/act.pdf`, { headers: { cookie: admin.cookie } })
    const text = pdfText(Buffer.from(await bytes.arrayBuffer()))
    expect(text).toContain(`Субъект № ${person.id}`)
    expect(text).toContain('Сидоров Олег Ильич')
    const extract = await app.request(`/pdn/acts/${act.id}/journal.pdf`, { headers: { cookie: admin.cookie } })
    expect(pdfText(Buffer.from(await extract.arrayBuffer()))).toContain('pdn.destroy')
    const downloads = await db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'pdn.act_download')
      .execute()
    expect(downloads).toHaveLength(3)

    expect((await getPage(app, '/pdn/destruction', admin)).text).toContain('Никто не ожидает уничтожения данных')
    expect((await getPage(app, `/pdn/destruction/${person.id}`, admin)).status).toBe(404)
  })

  test('a curator gets the 404 page and changes nothing', async () => {
    const { db, app, person } = await setUp()
    const curator = await webUser(db, { role: 'curator' })
    expect((await getPage(app, '/pdn/destruction', curator)).status).toBe(404)
    expect((await getPage(app, '/pdn/acts', curator)).status).toBe(404)
    const post = await postForm(app, `/pdn/destruction/${person.id}`, curator, { reason: 'x', member_0: '1' })
    expect(post.status).toBe(404)
    const user = await db.selectFrom('users').select('full_name').where('id', '=', person.id).executeTakeFirstOrThrow()
    expect(user.full_name).toBe('Оглоблина Фёкла Саввична')
  })
})
