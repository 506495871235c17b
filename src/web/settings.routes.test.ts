import ExcelJS from 'exceljs'
import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { getSetting, settingDefaults } from '#src/settings/settings.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { pdfText } from '../../test/support/pdf.ts'
import { getPage, inlineProblems, postForm, type WebUser, webUser } from '../../test/support/web.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
let admin: WebUser

beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db, testConfig()).app
  admin = await webUser(db, { role: 'admin', fullName: 'Настройкина Алла Игоревна' })
})

async function changes(key: string) {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('action', '=', 'settings.change')
    .where('object_id', '=', key)
    .orderBy('id')
    .execute()
  return rows.map((r) => JSON.parse(r.details ?? '{}'))
}

describe('«Настройки»', () => {
  test('the page shows every setting with its value, the 2FA policy read-only, and no inline script', async () => {
    const page = await getPage(app, '/settings', admin)
    expect(page.status).toBe(200)
    for (const text of [
      'ПДн не передаются в Telegram',
      'Сроки по приоритетам, минут',
      'Автозакрытие решённой заявки без ответа заявителя, дней',
      'Хранение журнала аудита, дней',
      'Закрытые заявки с ПДн хранятся, лет после закрытия',
      'Комиссия по уничтожению ПДн',
      'Реквизиты оператора ПДн',
      'Второй фактор ни для кого не обязателен.',
    ]) {
      expect(page.text).toContain(text)
    }
    expect(page.text).toContain('name="critical.responseMinutes" inputmode="numeric" value="15"')
    expect(page.text).toContain('AUTH_REQUIRE_2FA')
    // The policy comes from the environment (curators only here: the admin is not sent to enrol first).
    const curators = testApp(db, testConfig({ require2fa: ['curator'] })).app
    expect((await getPage(curators, '/settings', admin)).text).toContain('Второй фактор (TOTP) обязателен: кураторы.')
    expect(inlineProblems(page.text)).toEqual([])
    // The navigation's «ПДн» leads admins to the hub, which links here.
    expect(page.text).toContain('href="/pdn"')
    const hub = await getPage(app, '/pdn', admin)
    expect(hub.status).toBe(200)
    const links = [...hub.text.matchAll(/<h2><a href="([^"]+)"/g)].map((m) => m[1] ?? '')
    expect(links).toEqual([
      '/settings',
      '/settings/consent',
      '/pdn/requests',
      '/pdn/destruction',
      '/pdn/acts',
      '/pdn/access-list',
      '/audit?pdn=1',
    ])
    // Every page the hub links to answers the admin.
    for (const link of links) expect((await getPage(app, link, admin)).status, link).toBe(200)
  })

  test('saving the Telegram switch and a number changes them and journals old and new', async () => {
    const on = await postForm(app, '/settings', admin, { key: 'privacy.no_pdn_in_telegram', value: '1' })
    expect(on).toMatchObject({ status: 303, location: '/settings?done=saved#setting-privacy.no_pdn_in_telegram' })
    expect(await getSetting(db, 'privacy.no_pdn_in_telegram')).toBe(true)
    // An unticked box sends nothing: off.
    await postForm(app, '/settings', admin, { key: 'privacy.no_pdn_in_telegram' })
    expect(await getSetting(db, 'privacy.no_pdn_in_telegram')).toBe(false)
    expect(await changes('privacy.no_pdn_in_telegram')).toEqual([
      { old: false, new: true },
      { old: true, new: false },
    ])
    await postForm(app, '/settings', admin, { key: 'retention.closed_tickets_years', value: ' 6 ' })
    expect(await getSetting(db, 'retention.closed_tickets_years')).toBe(6)
    const [row] = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'settings.change')
      .where('object_id', '=', 'retention.closed_tickets_years')
      .execute()
    expect(row).toMatchObject({ actor_id: admin.user.id, channel: 'web' })
    const page = await getPage(app, '/settings?done=saved', admin)
    expect(page.text).toContain('Изменения сохранены')
  })

  test('a refused value is shown again as typed with the Russian reason beside its field; nothing is saved', async () => {
    const fields: Record<string, string> = { key: 'tickets.deadlines' }
    for (const [priority, d] of Object.entries(settingDefaults['tickets.deadlines'])) {
      fields[`${priority}.responseMinutes`] = String(d.responseMinutes)
      fields[`${priority}.resolutionMinutes`] = String(d.resolutionMinutes)
    }
    fields['high.responseMinutes'] = 'час'
    const refused = await postForm(app, '/settings', admin, fields)
    expect(refused.status).toBe(422)
    expect(refused.text).toMatch(
      /name="high\.responseMinutes" inputmode="numeric" value="час"[^>]*aria-invalid="true"\/?>\s*<p class="form-error" role="alert">Нужно целое число<\/p>/,
    )
    expect(await getSetting(db, 'tickets.deadlines')).toEqual(settingDefaults['tickets.deadlines'])

    const tooLong = await postForm(app, '/settings', admin, { key: 'retention.withdrawn_consent_days', value: '45' })
    expect(tooLong.status).toBe(422)
    expect(tooLong.text).toContain('Не больше 30')
    expect(await getSetting(db, 'retention.withdrawn_consent_days')).toBe(30)

    const inn = await postForm(app, '/settings', admin, {
      key: 'org.requisites',
      ...settingDefaults['org.requisites'],
      inn: '46290',
    })
    expect(inn.status).toBe(422)
    expect(inn.text).toContain('ИНН — 10 цифр (или оставьте поле пустым)')
    expect(inn.text).toContain('value="46290"')
    expect(await changes('org.requisites')).toEqual([])
    expect(await changes('tickets.deadlines')).toEqual([])
  })

  test('working hours: saved from the form; a bad time, end or zone is refused and nothing is saved', async () => {
    const fields = {
      key: 'tickets.working_hours',
      start: '09:00',
      end: '18:00',
      timeZone: 'Europe/Moscow',
      'clock.low': 'working',
      'clock.normal': 'always',
      'clock.high': 'always',
      'clock.critical': 'always',
    }
    const ends = await postForm(app, '/settings', admin, { ...fields, end: '08:00' })
    expect(ends.status).toBe(422)
    expect(ends.text).toContain('Конец рабочего дня — позже начала')
    const zone = await postForm(app, '/settings', admin, { ...fields, timeZone: 'Mars/Olympus' })
    expect(zone.status).toBe(422)
    expect(zone.text).toContain('Неизвестный часовой пояс')
    const time = await postForm(app, '/settings', admin, { ...fields, start: '9 утра' })
    expect(time.status).toBe(422)
    expect(time.text).toContain('Время в виде ЧЧ:ММ')
    expect(await changes('tickets.working_hours')).toEqual([])

    const saved = await postForm(app, '/settings', admin, fields)
    expect(saved.status).toBe(303)
    expect(await getSetting(db, 'tickets.working_hours')).toEqual({
      start: '09:00',
      end: '18:00',
      timeZone: 'Europe/Moscow',
      clock: { low: 'working', normal: 'always', high: 'always', critical: 'always' },
    })
    const page = await getPage(app, '/settings', admin)
    expect(page.text).toMatch(/name="start"[^>]*value="09:00"/)
    expect(page.text).toMatch(/<option value="always" selected="">Круглосуточно<\/option>/)
  })

  test('the commission: rows are added, removed, and a half-filled row is refused beside it', async () => {
    const added = await postForm(app, '/settings', admin, {
      key: 'pdn.commission',
      'name.0': 'Первый Член Комиссии',
      'position.0': 'Главный врач',
      'name.1': 'Второй Член Комиссии',
      'position.1': 'Юрисконсульт',
    })
    expect(added.status).toBe(303)
    expect(await getSetting(db, 'pdn.commission')).toEqual([
      { name: 'Первый Член Комиссии', position: 'Главный врач' },
      { name: 'Второй Член Комиссии', position: 'Юрисконсульт' },
    ])
    const page = await getPage(app, '/settings', admin)
    expect(page.text).toContain('value="Второй Член Комиссии"')
    expect(page.text).toContain('name="remove.1"')

    const removed = await postForm(app, '/settings', admin, {
      key: 'pdn.commission',
      'name.0': 'Первый Член Комиссии',
      'position.0': 'Главный врач',
      'name.1': 'Второй Член Комиссии',
      'position.1': 'Юрисконсульт',
      'remove.0': '1',
    })
    expect(removed.status).toBe(303)
    expect(await getSetting(db, 'pdn.commission')).toEqual([{ name: 'Второй Член Комиссии', position: 'Юрисконсульт' }])

    const half = await postForm(app, '/settings', admin, {
      key: 'pdn.commission',
      'name.0': 'Второй Член Комиссии',
      'position.0': 'Юрисконсульт',
      'name.2': 'Без Должности',
    })
    expect(half.status).toBe(422)
    expect(half.text).toMatch(
      /name="position\.1"[^>]*aria-invalid="true"\/?>\s*<p class="form-error" role="alert">Заполните поле/,
    )
    expect(await getSetting(db, 'pdn.commission')).toHaveLength(1)
    // The journal has positions, never names.
    const journal = (await changes('pdn.commission')).map((d) => JSON.stringify(d)).join('\n')
    expect(journal).toContain('Юрисконсульт')
    expect(journal).not.toContain('Член Комиссии')
  })

  test('anyone but an admin finds no such page, and cannot post a change', async () => {
    for (const role of ['curator', 'executor', 'requester'] as const) {
      const who = await webUser(db, { role })
      expect((await getPage(app, '/settings', who)).status).toBe(404)
      expect((await getPage(app, '/pdn', who)).status).toBe(404)
      expect((await getPage(app, '/pdn/access-list', who)).status).toBe(404)
      const post = await postForm(app, '/settings', who, { key: 'privacy.no_pdn_in_telegram', value: '1' })
      expect(post.status).toBe(404)
      expect((await getPage(app, '/tickets', who)).text).not.toContain('href="/pdn"')
    }
    expect(await getSetting(db, 'privacy.no_pdn_in_telegram')).toBe(false)
  })
})

describe('«Перечень лиц, имеющих доступ к ПДн» on the web', () => {
  test('the page lists staff; PDF and XLSX downloads carry them; each reading is journaled', async () => {
    const executor = await webUser(db, { role: 'executor', fullName: 'Веб Исполнитель Перечня' })
    const page = await getPage(app, '/pdn/access-list', admin)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Веб Исполнитель Перечня')
    expect(page.text).toContain('Настройкина Алла Игоревна')
    expect(page.text).toContain(`href="/users/${executor.user.id}"`)
    expect(page.text).toContain('href="/pdn/access-list/export.pdf"')

    const pdf = await app.request('/pdn/access-list/export.pdf', { headers: { cookie: admin.cookie } })
    expect(pdf.status).toBe(200)
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    expect(pdf.headers.get('content-disposition')).toMatch(
      /^attachment; filename="pdn-access-list-\d{4}-\d{2}-\d{2}\.pdf"$/,
    )
    const text = pdfText(new Uint8Array(await pdf.arrayBuffer())).replace(/\s+/g, ' ')
    expect(text).toContain('Перечень лиц, имеющих доступ к персональным данным')
    expect(text).toContain('Веб Исполнитель')

    const xlsx = await app.request('/pdn/access-list/export.xlsx', { headers: { cookie: admin.cookie } })
    expect(xlsx.status).toBe(200)
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load(await xlsx.arrayBuffer())
    const names = workbook.worksheets[0]?.getColumn(2).values ?? []
    expect(names).toContain('Веб Исполнитель Перечня')

    const reads = await db
      .selectFrom('audit_log')
      .select(['details', 'pdn_related', 'actor_id'])
      .where('action', '=', 'pdn.access_list')
      .where('result', '=', 'success')
      .orderBy('id')
      .execute()
    // The last three readings are this test's (the hub's test opened the page once before).
    expect(reads.slice(-3).map((r) => JSON.parse(r.details ?? '{}').format)).toEqual(['view', 'pdf', 'xlsx'])
    expect(reads.every((r) => r.pdn_related === 1 && r.actor_id === admin.user.id)).toBe(true)
  })
})
