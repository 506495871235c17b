import { readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { renderPdf } from '#src/documents/pdf.ts'
import { setSetting } from '#src/settings/settings.ts'
import { systemActor } from '#src/users/actor.ts'
import { currentConsentText, publishConsentText } from '#src/users/consent.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { CookieBrowser, csrfOf } from '../../test/support/cookie-browser.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildConsent, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { pdfText } from '../../test/support/pdf.ts'
import { appWithDataFolder, removeDataFolders } from '../../test/support/uploads.ts'
import { getPage, inlineProblems, postForm, type WebUser, webUser } from '../../test/support/web.ts'

/** Issue 10: consent at the first web sign-in, consent versions, paper consent and withdrawal, the form. */

afterAll(removeDataFolders)

const PASSWORD = 'длинный-пароль-42'
const BROWSER = 'TestBrowser/1.0 (consent)'
type App = ReturnType<typeof testApp>['app']

/** A browser that signs in with the test password, as the consent pages need. */
class Browser extends CookieBrowser {
  constructor(app: App) {
    super(app, BROWSER)
  }
  async signIn(login: string) {
    const form = await this.request('/login')
    return this.post('/login?next=%2Ftickets', { _csrf: csrfOf(form.text), login, password: PASSWORD })
  }
}

async function withPassword(db: Db, login: string) {
  return buildUser(db, { login, passwordHash: await hashPassword(PASSWORD) })
}

async function recordsOf(db: Db, userId: number) {
  return db.selectFrom('consent_records').selectAll().where('user_id', '=', userId).orderBy('id').execute()
}

async function statusOf(db: Db, userId: number) {
  return (await db.selectFrom('users').select('status').where('id', '=', userId).executeTakeFirstOrThrow()).status
}

describe('consent at the web sign-in', () => {
  test('an account without consent is led to /consent first; «Согласен» records IP and user agent', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, testConfig())
    const user = await withPassword(db, 'n.petrova')
    const browser = new Browser(app)

    expect(await browser.signIn('n.petrova')).toMatchObject({ status: 303, location: '/tickets' })
    const list = await browser.request('/tickets?status=new')
    expect([list.status, list.location]).toEqual([303, `/consent?next=${encodeURIComponent('/tickets?status=new')}`])
    // Nothing changes meanwhile: a form elsewhere is refused.
    const elsewhere = await browser.post('/profile/language', { _csrf: csrfOf(list.text), language: 'en' })
    expect(elsewhere.status).toBe(403)

    const page = await browser.request(list.location ?? '')
    expect(page.status).toBe(200)
    expect(page.text).toContain('Цель обработки')
    expect(page.text).toContain('Согласен')
    expect(inlineProblems(page.text)).toEqual([])
    const text = await currentConsentText(db)
    const agreed = await browser.post(`/consent/agree?next=${encodeURIComponent('/tickets?status=new')}`, {
      _csrf: csrfOf(page.text),
      text: String(text.id),
    })
    expect([agreed.status, agreed.location]).toEqual([303, '/tickets?status=new'])
    expect((await browser.request('/tickets')).status).toBe(200)

    const records = await recordsOf(db, user.id)
    expect(records.map((r) => [r.status, r.channel, r.consent_text_id])).toEqual([['given', 'web', text.id]])
    expect(JSON.parse(records[0]?.evidence ?? '{}')).toEqual({ ip: null, user_agent: BROWSER })
    const journal = await db
      .selectFrom('audit_log')
      .select(['action', 'actor_id', 'subject_id', 'channel', 'pdn_related'])
      .where('action', '=', 'consent.give')
      .execute()
    expect(journal).toEqual([
      { action: 'consent.give', actor_id: user.id, subject_id: user.id, channel: 'web', pdn_related: 1 },
    ])

    // The next sign-in goes straight through; the page stays readable and says when.
    const again = new Browser(app)
    await again.signIn('n.petrova')
    expect((await again.request('/tickets')).status).toBe(200)
    const read = await again.request('/consent')
    expect(read.text).toContain('Вы дали согласие на этот текст')
    expect(read.text).not.toContain('action="/consent/agree')
  })

  test('after a new version a person asked again who refuses withdraws their consent: the account goes off', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, testConfig())
    const user = await withPassword(db, 'i.orlov')
    await buildConsent(db, user.id)
    const v2 = await publishConsentText(db, systemActor(), { text: 'Согласие, версия 2.\n\nЦель обработки: заявки.' })
    const browser = new Browser(app)
    await browser.signIn('i.orlov')
    const page = await browser.request('/consent')
    expect(page.text).toContain('Текст согласия изменился')
    expect(page.text).toContain('Согласие, версия 2.')

    // A page of an older version is refused: the person agrees only to the text they read.
    const stale = await browser.post('/consent/agree', { _csrf: csrfOf(page.text), text: String(v2.id - 1) })
    expect(stale.status).toBe(409)
    expect((await recordsOf(db, user.id)).map((r) => r.status)).toEqual(['given'])

    const refused = await browser.post('/consent/refuse', { _csrf: csrfOf(page.text), text: String(v2.id) })
    expect(refused.status).toBe(200)
    expect(refused.text).toContain('Согласие не дано')
    expect(await statusOf(db, user.id)).toBe('deactivated')
    expect((await recordsOf(db, user.id)).map((r) => [r.status, r.channel])).toEqual([
      ['given', 'bot'],
      ['withdrawn', 'web'],
    ])
    expect((await browser.request('/tickets')).location).toBe(`/login?next=${encodeURIComponent('/tickets')}`)
  })

  test('refusing with no consent to withdraw only signs out; nothing is recorded', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, testConfig())
    const user = await withPassword(db, 'a.sokolova')
    const browser = new Browser(app)
    await browser.signIn('a.sokolova')
    const page = await browser.request('/consent')
    const refused = await browser.post('/consent/refuse', { _csrf: csrfOf(page.text) })
    expect(refused.text).toContain('Вы вышли из системы')
    expect(await statusOf(db, user.id)).toBe('active')
    expect(await recordsOf(db, user.id)).toEqual([])
    expect(browser.jar.has('helpdesk_session')).toBe(false)
  })
})

describe('«Согласие на обработку ПДн» in the settings', () => {
  test('a curator publishes a new version; the history lists both; others are told the page does not exist', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, testConfig())
    const curator = await webUser(db, { role: 'curator' })
    const executor = await webUser(db, { role: 'executor' })

    const page = await getPage(app, '/settings/consent', curator)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Действующий текст: версия 1')
    expect(page.text).toContain('Опубликовать новую версию')
    expect(inlineProblems(page.text)).toEqual([])
    expect((await getPage(app, '/settings/consent', executor)).status).toBe(404)
    expect((await postForm(app, '/settings/consent', executor, { text: 'Захват' })).status).toBe(404)

    const empty = await postForm(app, '/settings/consent', curator, { text: '   ' })
    expect(empty.status).toBe(422)
    expect(empty.text).toContain('Текст согласия пуст')

    const published = await postForm(app, '/settings/consent', curator, { text: 'Новый текст согласия.' })
    expect([published.status, published.location]).toEqual([303, '/settings/consent?done=published'])
    const after = await getPage(app, '/settings/consent?done=published', curator)
    expect(after.text).toContain('Действующий текст: версия 2')
    expect(after.text).toContain('Новая версия опубликована')
    expect(after.text).toContain(curator.user.full_name)
    expect((await currentConsentText(db)).text).toBe('Новый текст согласия.')
    const journal = await db
      .selectFrom('audit_log')
      .select(['action', 'actor_id', 'result'])
      .where('action', '=', 'consent.text_publish')
      .orderBy('id')
      .execute()
    expect(journal.map((r) => [r.actor_id, r.result])).toEqual([
      [null, 'success'],
      [curator.user.id, 'success'],
    ])
    const denied = await db
      .selectFrom('audit_log')
      .select(['action', 'result'])
      .where('actor_id', '=', executor.user.id)
      .execute()
    expect(denied).toEqual([
      { action: 'consent.manage', result: 'denied' },
      { action: 'consent.manage', result: 'denied' },
    ])
  })
})

/** A multipart form post as a browser sends it. */
async function postMultipart(app: App, target: string, who: WebUser, fields: Record<string, string | File>) {
  const body = new FormData()
  body.set('_csrf', who.csrf)
  for (const [name, value] of Object.entries(fields)) body.set(name, value)
  const response = await app.request(target, { method: 'POST', body, headers: { cookie: who.cookie } })
  return { status: response.status, location: response.headers.get('location'), text: await response.text() }
}

function storedFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'files')
  try {
    return readdirSync(root).flatMap((folder) => readdirSync(path.join(root, folder)))
  } catch {
    return []
  }
}

describe('a person’s consents on their page (admin)', () => {
  test('«Бумажное согласие» with a PDF scan: recorded on paper, the scan downloads; a fake PDF is refused and not kept', async () => {
    const { db, app, dataDir } = await appWithDataFolder()
    const admin = await webUser(db, { role: 'admin' })
    const curator = await webUser(db, { role: 'curator' })
    const person = await buildUser(db)
    const scanBytes = await renderPdf({ title: 'Скан', author: 'Тест', createdAt: new Date(0) }, (pdf) =>
      pdf.paragraph('Подпись'),
    )

    const page = await getPage(app, `/users/${person.id}/consent`, admin)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Согласия нет')
    expect(inlineProblems(page.text)).toEqual([])
    expect((await getPage(app, `/users/${person.id}`, admin)).text).toContain(`/users/${person.id}/consent/form.pdf`)
    expect((await getPage(app, `/users/${person.id}/consent`, curator)).status).toBe(404)

    const fake = await postMultipart(app, `/users/${person.id}/consent/paper`, admin, {
      signed_on: '2026-11-20',
      scan: new File(['<html><script>alert(1)</script></html>'], 'скан.pdf', { type: 'application/pdf' }),
    })
    expect(fake.status).toBe(422)
    expect(fake.text).toContain('PDF, JPEG или PNG')
    const future = await postMultipart(app, `/users/${person.id}/consent/paper`, admin, {
      signed_on: '2099-01-01',
      scan: new File([new Uint8Array(scanBytes)], 'скан.pdf', { type: 'application/pdf' }),
    })
    expect(future.status).toBe(422)
    expect(storedFiles(dataDir)).toEqual([])
    expect(await recordsOf(db, person.id)).toEqual([])

    const done = await postMultipart(app, `/users/${person.id}/consent/paper`, admin, {
      signed_on: '2026-11-20',
      scan: new File([new Uint8Array(scanBytes)], 'Согласие Иванова.PDF', { type: 'application/octet-stream' }),
    })
    expect([done.status, done.location]).toEqual([303, `/users/${person.id}/consent?done=paper`])
    const [record] = await recordsOf(db, person.id)
    expect(record).toMatchObject({
      status: 'given',
      channel: 'paper',
      evidence_file_name: 'Согласие Иванова.pdf',
      evidence_file_type: 'application/pdf',
    })
    expect(JSON.parse(record?.evidence ?? '{}')).toEqual({ signed_on: '2026-11-20', recorded_by: admin.user.id })
    expect(storedFiles(dataDir)).toEqual([record?.evidence_file])

    const scan = await app.request(`/users/${person.id}/consent/${record?.id}/scan`, {
      headers: { cookie: admin.cookie },
    })
    expect(scan.status).toBe(200)
    expect(scan.headers.get('content-disposition')).toContain('attachment')
    expect(Buffer.from(await scan.arrayBuffer()).equals(scanBytes)).toBe(true)
    const journal = await db
      .selectFrom('audit_log')
      .select(['action', 'subject_id', 'pdn_related', 'result'])
      .where('action', 'in', ['consent.give', 'consent.scan_view', 'consent.view'])
      .where('result', '=', 'success')
      .orderBy('id')
      .execute()
    // The page, then the two refusals shown on it, then the record and the download.
    expect(journal.map((r) => r.action)).toEqual([
      'consent.view',
      'consent.view',
      'consent.view',
      'consent.give',
      'consent.scan_view',
    ])
    expect(journal.every((r) => r.subject_id === person.id && r.pdn_related === 1)).toBe(true)
    const shown = await getPage(app, `/users/${person.id}/consent?done=paper`, admin)
    expect(shown.text).toContain('Бумажное согласие записано')
    expect(shown.text).toContain('подписано: 2026-11-20')
  })

  test('a withdrawal on the person’s written statement: account off, reason and scan kept, curators told', async () => {
    const { db, app, dataDir } = await appWithDataFolder()
    const admin = await webUser(db, { role: 'admin' })
    await buildUser(db, { role: 'curator' })
    const person = await webUser(db)
    await buildConsent(db, person.user.id)
    const png = new Uint8Array([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8,
      2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde,
    ])

    const noReason = await postMultipart(app, `/users/${person.user.id}/consent/withdraw`, admin, {
      reason: ' ',
      withdrawn_on: '2026-11-25',
    })
    expect(noReason.status).toBe(422)
    expect(await statusOf(db, person.user.id)).toBe('active')

    const done = await postMultipart(app, `/users/${person.user.id}/consent/withdraw`, admin, {
      reason: 'Заявление от 25.11.2026, вх. № 17',
      withdrawn_on: '2026-11-25',
      scan: new File([png], 'заявление.jpg', { type: 'image/jpeg' }),
    })
    expect([done.status, done.location]).toEqual([303, `/users/${person.user.id}/consent?done=withdrawn`])
    expect(await statusOf(db, person.user.id)).toBe('deactivated')
    expect((await getPage(app, '/tickets', person)).status).toBe(303)
    const records = await recordsOf(db, person.user.id)
    expect(records.map((r) => [r.status, r.channel, r.evidence_file_type])).toEqual([
      ['given', 'bot', null],
      ['withdrawn', 'paper', 'image/png'],
    ])
    expect(records[1]?.evidence_file_name).toBe('заявление.png')
    expect(JSON.parse(records[1]?.evidence ?? '{}')).toEqual({
      reason: 'Заявление от 25.11.2026, вх. № 17',
      withdrawn_on: '2026-11-25',
      recorded_by: admin.user.id,
    })
    expect(storedFiles(dataDir)).toHaveLength(1)
    const notices = await db.selectFrom('outbox').select('kind').where('kind', '=', 'consent_withdrawn').execute()
    expect(notices.length).toBeGreaterThan(0)
    const journal = await db
      .selectFrom('audit_log')
      .select(['description', 'details'])
      .where('action', '=', 'consent.withdraw')
      .executeTakeFirstOrThrow()
    // The journal holds ids, never the statement's text.
    expect(`${journal.description} ${journal.details}`).not.toContain('вх. № 17')
  })

  test('«Бланк согласия (PDF)»: the operator’s requisites, the person, purposes, data, actions, term, withdrawal', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, testConfig())
    const admin = await webUser(db, { role: 'admin' })
    await setSetting(db, systemActor(), 'org.requisites', {
      name: 'ОБУЗ «Тестовая больница»',
      shortName: 'ОБУЗ ТБ',
      inn: '4629012345',
      ogrn: '1024600000000',
      address: '305000, г. Курск, ул. Тестовая, д. 1',
      responsible: 'Заместитель главного врача Орлов И. И.',
    })
    const department = await buildDepartment(db, 'Кардиология')
    const person = await buildUser(db, { fullName: 'Смирнова Анна Петровна', departmentId: department.id })

    const response = await app.request(`/users/${person.id}/consent/form.pdf`, { headers: { cookie: admin.cookie } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/pdf')
    const text = pdfText(Buffer.from(await response.arrayBuffer())).replace(/\s+/g, ' ')
    for (const expected of [
      'Согласие на обработку персональных данных',
      'ч. 4 ст. 9',
      'Смирнова Анна Петровна',
      'Кардиология',
      'ОБУЗ «Тестовая больница»',
      '305000, г. Курск, ул. Тестовая, д. 1',
      'ИНН 4629012345',
      'Цель обработки',
      'Перечень персональных данных',
      'Действия с персональными данными',
      'Срок действия',
      'Отзыв согласия',
      'удостоверяющий личность',
    ]) {
      expect(text).toContain(expected)
    }
    const journal = await db
      .selectFrom('audit_log')
      .select(['subject_id', 'pdn_related'])
      .where('action', '=', 'consent.form_print')
      .execute()
    expect(journal).toEqual([{ subject_id: person.id, pdn_related: 1 }])
  })
})
