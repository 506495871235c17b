import { afterEach, describe, expect, test } from 'vitest'
import { equipmentStartTexts, newTicketTexts } from '#src/bot/texts.ts'
import { callback } from '#src/notify/callback-data.ts'
import { testApp } from '../support/api.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { lastSaid as last, ticketPeople } from '../support/bot-people.ts'
import { buildDepartment } from '../support/factories.ts'
import { pdfText } from '../support/pdf.ts'
import { getPage, postForm, webUser } from '../support/web.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * «Оборудование» end to end (issue 14): a curator imports the accounting export on the web and prints the QR
 * stickers; a nurse scans one — the bot opens with `/start eq_<id>` — and files «Новая заявка» about the device;
 * the ticket carries the device, its department and room, and shows on the device's page.
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

const NURSE_CHAT = 7401
const EXECUTOR_CHAT = 5401
const BOT = 'kgkbsmp_help_bot'

describe.each(botDialects)('a device from its sticker to its ticket (%s)', (dialect) => {
  test('import → stickers → /start eq_<id> → the ticket about the device, on the device’s page', async () => {
    h = await botHarness({ db: await databaseFor(dialect), config: { telegramBotUsername: BOT } })
    const { app } = testApp(h.db, h.config)
    const people = await ticketPeople(
      h.db,
      { requester: NURSE_CHAT, executors: [EXECUTOR_CHAT] },
      { group: 'Оргтехника', category: 'Принтеры' },
    )
    const department = await buildDepartment(h.db, 'Приёмное отделение')
    const curator = await webUser(h.db, { role: 'curator' })

    // 1. The accounting export, checked, then imported.
    const csv = [
      'Инв. №;Наименование;Модель;Подразделение;Кабинет',
      `0101340012;Принтер;HP LaserJet M404dn;${department.name};Пост 1`,
      `0101340013;МФУ;Kyocera M2040dn;${department.name};112`,
    ].join('\r\n')
    const form = new FormData()
    form.set('_csrf', curator.csrf)
    form.set('file', new File([csv], 'учёт.csv', { type: 'text/csv' }))
    const preview = await app.request('/equipment/import/preview', {
      method: 'POST',
      body: form,
      headers: { cookie: curator.cookie },
    })
    const previewHtml = await preview.text()
    expect(preview.status).toBe(200)
    const key = /name="key" value="([^"]+)"/.exec(previewHtml)?.[1] ?? ''
    const imported = await postForm(app, '/equipment/import/confirm', curator, { key })
    expect(imported.text).toContain('Импорт выполнен')
    const printer = await h.db
      .selectFrom('equipment')
      .selectAll()
      .where('inventory_number', '=', '0101340012')
      .executeTakeFirstOrThrow()

    // 2. The stickers: both numbers, and the QR's link opens the bot about the device.
    const response = await app.request(`/equipment/stickers.pdf?layout=24&department=${department.id}`, {
      headers: { cookie: curator.cookie },
    })
    expect(response.status).toBe(200)
    const pdf = Buffer.from(await response.arrayBuffer())
    const text = pdfText(pdf)
    expect(text).toContain('№ 0101340012')
    expect(text).toContain('№ 0101340013')
    expect(text.match(/Сообщить о/g)).toHaveLength(2)
    const links = [...pdf.toString('latin1').matchAll(/\/URI \(([^)]+)\)/g)].map((m) => m[1])
    const link = `https://t.me/${BOT}?start=eq_${printer.id}`
    expect(links).toContain(link)

    // 3. The nurse scans it: Telegram sends `/start eq_<id>` to the bot.
    h.poll()
    const nurse = h.fake.user(NURSE_CHAT)
    nurse.command(`/start ${new URL(link).searchParams.get('start')}`)
    await h.settle()
    const texts = nurse.botMessages().map((m) => m.text ?? '')
    expect(texts).toContain(
      equipmentStartTexts.about('Принтер HP LaserJet M404dn (инв. № 0101340012)', `${department.name}, каб. Пост 1`),
    )
    nurse.press(last(nurse).message_id, callback.category(people.categoryId))
    await h.settle()
    expect(last(nurse).text).toBe(newTicketTexts.askDescription)
    nurse.send('Зажевал бумагу, горит оранжевая лампа')
    await h.settle()
    nurse.press(last(nurse).message_id, callback.urgency('normal'))
    await h.settle()
    const confirmation = nurse.botMessages().find((m) => m.text?.includes('✅ Заявка создана.'))
    expect(confirmation?.text).toContain('Оборудование: Принтер HP LaserJet M404dn (инв. № 0101340012).')

    const ticket = await h.db
      .selectFrom('tickets')
      .selectAll()
      .where('requester_id', '=', people.requester.id)
      .executeTakeFirstOrThrow()
    expect(ticket).toMatchObject({ equipment_id: printer.id, department_id: department.id, location: 'Пост 1' })

    // 4. On the device's page, among its tickets.
    const card = await getPage(app, `/equipment/${printer.id}`, curator)
    expect(card.text).toContain(`href="/tickets/${ticket.id}"`)
    expect(card.text).toContain('Зажевал бумагу')

    // Someone not registered scans it: told to scan again once admitted, and the registration begins.
    const stranger = h.fake.user(NURSE_CHAT + 1)
    stranger.command(`/start eq_${printer.id}`)
    await h.settle()
    const heard = stranger.botMessages().map((m) => m.text ?? '')
    expect(heard[0]).toBe(equipmentStartTexts.afterRegistration)
    expect(heard).toHaveLength(2)
    expect(heard[1]).toMatch(/соглас/i)
    expect(await h.db.selectFrom('tickets').select('id').where('equipment_id', '=', printer.id).execute()).toHaveLength(
      1,
    )

    // A sticker of a device written off since files nothing: the nurse is told to file as usual.
    await postForm(app, `/equipment/${printer.id}/write-off`, curator)
    nurse.command(`/start eq_${printer.id}`)
    await h.settle()
    expect(last(nurse).text).toBe(equipmentStartTexts.notFound)
  })
})
