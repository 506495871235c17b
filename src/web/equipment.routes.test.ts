import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { createEquipment } from '#src/equipment/create-equipment.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment } from '../../test/support/factories.ts'
import { pdfText } from '../../test/support/pdf.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
})

let counter = 0
const inventory = () => `02020${String(++counter).padStart(5, '0')}`

async function deviceBy(inventoryNumber: string) {
  return db.selectFrom('equipment').selectAll().where('inventory_number', '=', inventoryNumber).executeTakeFirst()
}

describe('/equipment', () => {
  test('an executor adds a device, finds it, opens its card; a bad form changes nothing and says why', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const department = await buildDepartment(db)
    const number = inventory()

    const bad = await postForm(app, '/equipment', executor, { inventory_number: '12 34', kind: 'Принтер' })
    expect(bad.status).toBe(422)
    expect(bad.text).toContain('Инвентарный номер: буквы, цифры')
    expect(await deviceBy('12 34')).toBeUndefined()

    const created = await postForm(app, '/equipment', executor, {
      inventory_number: number,
      kind: 'Принтер',
      model: 'HP LaserJet M404dn',
      department: String(department.id),
      room: '214',
      status: 'in_service',
    })
    expect(created.status).toBe(303)
    const device = await deviceBy(number)
    expect(device).toMatchObject({ kind: 'Принтер', department_id: department.id, room: '214' })
    expect(created.location).toBe(`/equipment/${device?.id}?done=created`)

    const list = await getPage(app, `/equipment?q=${encodeURIComponent('m404')}`, executor)
    expect(list.status).toBe(200)
    expect(list.text).toContain(number)
    expect(inlineProblems(list.text)).toEqual([])
    const card = await getPage(app, created.location ?? '', executor)
    expect(card.text).toContain('Оборудование добавлено')
    expect(card.text).toContain('Заявок не было.')
    // An executor does not write off: no button, and the form's address is a 404.
    expect(card.text).not.toContain('Списать оборудование')
    expect((await postForm(app, `/equipment/${device?.id}/write-off`, executor)).status).toBe(404)
    expect((await deviceBy(number))?.status).toBe('in_service')
  })

  test('saving the edit form changes the device and journals the change, not a read of the card', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const owner = await webUser(db, { role: 'executor' })
    const device = await createEquipment(db, actorFromUser(executor.user, 'web'), {
      inventoryNumber: inventory(),
      kind: 'Принтер',
      responsibleId: owner.user.id,
    })
    const journal = (action: string) =>
      db
        .selectFrom('audit_log')
        .select('id')
        .where('action', '=', action)
        .where('object_id', '=', String(device.id))
        .execute()
    const form = await getPage(app, `/equipment/${device.id}/edit`, executor)
    expect(form.text).toContain(`value="${owner.user.full_name}"`)
    const views = (await journal('equipment.view')).length
    const saved = await postForm(app, `/equipment/${device.id}`, executor, {
      inventory_number: device.inventory_number,
      kind: 'Принтер',
      room: '118',
      responsible: owner.user.full_name,
      status: 'in_repair',
    })
    expect(saved.status).toBe(303)
    expect(await deviceBy(device.inventory_number)).toMatchObject({
      room: '118',
      status: 'in_repair',
      responsible_id: owner.user.id,
    })
    expect(await journal('equipment.update')).toHaveLength(1)
    expect(await journal('equipment.view')).toHaveLength(views)

    const refused = await postForm(app, `/equipment/${device.id}`, executor, {
      inventory_number: device.inventory_number,
      kind: ' ',
      responsible: owner.user.full_name,
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Укажите тип')
    expect(await journal('equipment.view')).toHaveLength(views)
    expect((await deviceBy(device.inventory_number))?.kind).toBe('Принтер')
  })

  test('a requester never sees the registry: 404, journaled', async () => {
    const requester = await webUser(db, { role: 'requester' })
    const page = await getPage(app, '/equipment', requester)
    expect(page.status).toBe(404)
    const denied = await db
      .selectFrom('audit_log')
      .select(['action', 'result'])
      .where('actor_id', '=', requester.user.id)
      .execute()
    expect(denied).toContainEqual({ action: 'equipment.use', result: 'denied' })
  })

  test('a curator imports the accounting export after its preview, prints stickers and writes a device off', async () => {
    const curator = await webUser(db, { role: 'curator' })
    const [a, b] = [inventory(), inventory()]
    const file = new File(
      [`Инвентарный номер;Тип;Модель;Кабинет\r\n${a};МФУ;Kyocera M2040;101\r\n${b};Монитор;Dell P2419H;102\r\n`],
      'учёт.csv',
      { type: 'text/csv' },
    )
    const form = new FormData()
    form.set('_csrf', curator.csrf)
    form.set('file', file)
    const preview = await app.request('/equipment/import/preview', {
      method: 'POST',
      body: form,
      headers: { cookie: curator.cookie },
    })
    const html = await preview.text()
    expect(preview.status).toBe(200)
    expect(html).toContain('Импортировать')
    expect(await deviceBy(a)).toBeUndefined()
    const key = /name="key" value="([^"]+)"/.exec(html)?.[1] ?? ''
    const done = await postForm(app, '/equipment/import/confirm', curator, { key })
    expect(done.status).toBe(200)
    expect(done.text).toContain('Импорт выполнен')
    const mfu = await deviceBy(a)
    expect(mfu).toMatchObject({ kind: 'МФУ', model: 'Kyocera M2040', room: '101' })

    const pdf = await app.request(`/equipment/stickers.pdf?layout=65&id=${mfu?.id}`, {
      headers: { cookie: curator.cookie },
    })
    expect(pdf.status).toBe(200)
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    expect(pdfText(new Uint8Array(await pdf.arrayBuffer()))).toContain(`№ ${a}`)

    const started = await app.request(`/equipment/stickers.pdf?layout=65&start=65&id=${mfu?.id}`, {
      headers: { cookie: curator.cookie },
    })
    expect(started.status).toBe(200)
    const beyond = await app.request(`/equipment/stickers.pdf?layout=24&start=30&id=${mfu?.id}`, {
      headers: { cookie: curator.cookie },
    })
    expect(beyond.status).toBe(422)
    expect(await beyond.text()).toContain('Номер первой наклейки на листе — от 1 до 24')
    const typed = await app.request(`/equipment/stickers.pdf?layout=24&start=abc&id=${mfu?.id}`, {
      headers: { cookie: curator.cookie },
    })
    expect(typed.status).toBe(422)

    const off = await postForm(app, `/equipment/${mfu?.id}/write-off`, curator)
    expect(off.status).toBe(303)
    expect((await deviceBy(a))?.status).toBe('written_off')
  })

  test('a file with a bad row is shown with its line and nothing is imported', async () => {
    const curator = await webUser(db, { role: 'curator' })
    const good = inventory()
    const form = new FormData()
    form.set('_csrf', curator.csrf)
    form.set(
      'file',
      new File([`Инвентарный номер;Тип;Состояние\r\n${good};МФУ;\r\n${inventory()};Принтер;пропал\r\n`], 'x.csv'),
    )
    const preview = await app.request('/equipment/import/preview', {
      method: 'POST',
      body: form,
      headers: { cookie: curator.cookie },
    })
    const html = await preview.text()
    expect(preview.status).toBe(422)
    expect(html).toContain('Неизвестное состояние «пропал»')
    expect(html).not.toContain('name="key"')
    expect(await deviceBy(good)).toBeUndefined()
  })

  test('«Новая заявка» from a sticker names the device; the ticket is linked and shows on the device’s card', async () => {
    const staff = await webUser(db, { role: 'executor' })
    const nurse = await webUser(db, { role: 'requester' })
    const department = await buildDepartment(db)
    const category = await buildCategory(db)
    const device = await createEquipment(db, actorFromUser(staff.user, 'web'), {
      inventoryNumber: inventory(),
      kind: 'Принтер',
      departmentId: department.id,
      room: 'Пост 3',
    })
    const form = await getPage(app, `/tickets/new?equipment=${device.id}`, nurse)
    expect(form.text).toContain(`инв. № ${device.inventory_number}`)
    expect(form.text).toContain(`name="equipment" value="${device.id}"`)
    const filed = new FormData()
    filed.set('_csrf', nurse.csrf)
    filed.set('description', 'Зажевал бумагу')
    filed.set('category', String(category.id))
    filed.set('equipment', String(device.id))
    const sent = await app.request('/tickets/new', { method: 'POST', body: filed, headers: { cookie: nurse.cookie } })
    expect(sent.status).toBe(303)
    const ticket = await db
      .selectFrom('tickets')
      .selectAll()
      .where('requester_id', '=', nurse.user.id)
      .executeTakeFirstOrThrow()
    expect(ticket).toMatchObject({ equipment_id: device.id, department_id: department.id, location: 'Пост 3' })
    const card = await getPage(app, `/equipment/${device.id}`, staff)
    expect(card.text).toContain(`/tickets/${ticket.id}`)
    expect(card.text).toContain('Зажевал бумагу')
  })

  test('staff set the device on the ticket page by inventory number; an unknown number is refused beside the panel', async () => {
    const staff = await webUser(db, { role: 'executor' })
    const device = await createEquipment(db, actorFromUser(staff.user, 'web'), {
      inventoryNumber: inventory(),
      kind: 'Сканер',
    })
    const ticket = await buildTicket(db)
    const wrong = await postForm(app, `/tickets/${ticket.id}/equipment`, staff, { inventory_number: 'НЕТ-1' })
    expect(wrong.status).toBe(422)
    expect(wrong.text).toContain('Оборудование с инвентарным номером НЕТ-1 не найдено')
    const ok = await postForm(app, `/tickets/${ticket.id}/equipment`, staff, {
      inventory_number: device.inventory_number,
    })
    expect(ok.status).toBe(303)
    const page = await getPage(app, `/tickets/${ticket.id}`, staff)
    expect(page.text).toContain(`href="/equipment/${device.id}"`)
    expect(page.text).toContain('указал(а) оборудование')
  })

  test('«Оборудование: отказы» shows the period and the tables; a reversed period is refused', async () => {
    const staff = await webUser(db, { role: 'executor' })
    const page = await getPage(app, '/equipment/failures?from=2026-01-01&to=2026-12-31', staff)
    expect(page.status).toBe(200)
    expect(page.text).toContain('По моделям')
    const reversed = await getPage(app, '/equipment/failures?from=2026-12-31&to=2026-01-01', staff)
    expect(reversed.status).toBe(422)
    expect(reversed.text).toContain('Начало периода позже его конца')
  })
})
