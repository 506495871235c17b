import { strFromU8, unzipSync } from 'fflate'
import { Api } from 'grammy'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { drainOutbox } from '#src/notify/deliver.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import { createTelegramChannel } from '#src/notify/telegram-channel.ts'
import { apiUser, call, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { type FakeTelegram, startFakeTelegram } from '../../test/support/fake-telegram.ts'
import { expectRefusal, journalOf, userRow } from '../../test/support/state.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, postForm, webUser } from '../../test/support/web.ts'
import { actorFromUser } from './actor.ts'
import { blockUser, unblockUser } from './block-user.ts'
import { BLOCKED_TEXT } from './blocking.ts'

/** The person's data that must not come out anywhere while they are blocked. */
const NAME = 'Журавлёва Инна Олеговна'
const PHONE = '+79051234567'

let tg: FakeTelegram
beforeEach(async () => {
  tg = await startFakeTelegram()
})
afterEach(async () => {
  await tg.close()
})

async function world(db: Db) {
  const person = await buildUser(db, { fullName: NAME, phone: PHONE, telegramChatId: '710000001' })
  const executor = await buildUser(db, { role: 'executor', telegramChatId: '710000002' })
  const ticket = await buildTicket(db, { requesterId: person.id, assigneeId: executor.id, title: 'Не работает сканер' })
  const message = await db
    .insertInto('ticket_messages')
    .values({
      ticket_id: ticket.id,
      author_id: person.id,
      kind: 'external',
      body: 'Сканер не видит бумагу',
      source: 'web',
      created_at: now(),
      delivery_status: null,
      telegram_message_id: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { person, executor, ticket, messageId: message.id }
}

describe('blocking a person’s data (152-ФЗ ст. 21)', () => {
  test('stops every channel: web pages, the API, CSV and XLSX exports, Telegram notices; unblocking brings it back', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const api = await apiUser(db, { role: 'admin' })
    const { person, executor, ticket, messageId } = await world(db)

    // Before: the name is there (the checks below can fail).
    expect((await getPage(app, `/tickets/${ticket.id}`, admin)).text).toContain(NAME)

    const blocked = await postForm(app, `/users/${person.id}/block`, admin, { reason: 'Заявление от 03.12.2026' })
    expect(blocked.status).toBe(303)
    const row = await userRow(db, person.id)
    expect(row).toMatchObject({ blocked_by: admin.user.id, block_reason: 'Заявление от 03.12.2026' })
    expect(await journalOf(db, 'user.block')).toMatchObject([
      { subject_id: person.id, actor_id: admin.user.id, pdn_related: 1 },
    ])

    const pages = [
      `/tickets/${ticket.id}`,
      '/tickets',
      `/users/${person.id}`,
      '/users',
      '/pdn/requests',
      '/tickets/export.csv',
      '/',
      `/people?q=${encodeURIComponent('Журавлёва')}`,
      '/audit',
    ]
    for (const path of pages) {
      const page = await getPage(app, path, admin)
      expect(page.status, path).toBe(200)
      expect(page.text, path).not.toContain(NAME)
      expect(page.text, path).not.toContain(PHONE.slice(2))
    }
    const ticketPage = await getPage(app, `/tickets/${ticket.id}`, admin)
    expect(ticketPage.text).toContain('Данные заявителя заблокированы')
    expect(ticketPage.text).not.toContain(person.room ?? 'no room')
    // Nor does the list: a search by the place finds the ticket, its row shows no line of the place.
    const byPlace = await getPage(app, `/tickets?status=all&q=${encodeURIComponent('Корпус')}`, admin)
    expect(byPlace.text).toContain('Не работает сканер')
    expect(byPlace.text).not.toContain('<mark>Корпус</mark>')
    expect((await getPage(app, '/tickets/export.csv', admin)).text).toContain(BLOCKED_TEXT)

    const xlsx = await app.request('/tickets/export.xlsx', { headers: { cookie: admin.cookie } })
    expect(xlsx.status).toBe(200)
    const bytes = new Uint8Array(await xlsx.arrayBuffer())
    const sheets = unzipSync(bytes)
    const xml = Object.values(sheets)
      .map((entry) => strFromU8(entry))
      .join('\n')
    expect(xml).toContain(BLOCKED_TEXT)
    expect(xml).not.toContain(NAME)

    const apiTicket = await call(app, 'GET', `/api/v1/tickets/${ticket.id}`, { headers: api.headers })
    expect(apiTicket.body).toMatchObject({
      requester: { id: person.id, full_name: BLOCKED_TEXT, phone: BLOCKED_TEXT, blocked: true },
    })
    const apiMessages = JSON.stringify(apiTicket.body)
    expect(apiMessages).not.toContain(NAME)
    const apiUserRow = await call(app, 'GET', `/api/v1/users/${person.id}`, { headers: api.headers })
    expect(apiUserRow.body).toMatchObject({
      id: person.id,
      full_name: BLOCKED_TEXT,
      phone: BLOCKED_TEXT,
      telegram_chat_id: BLOCKED_TEXT,
    })
    const apiList = await call(app, 'GET', '/api/v1/tickets', { headers: api.headers })
    expect(apiList.text).not.toContain(NAME)
    expect(apiList.text).toContain(BLOCKED_TEXT)
    expect(apiList.text).not.toContain(person.room ?? 'no room')

    // Telegram: a message of theirs told to the executor, and a notice to them, carry neither name nor text.
    const channel = createTelegramChannel({
      db,
      config: { baseUrl: 'https://helpdesk.example.org' },
      logger: pino({ level: 'silent' }),
      api: new Api(tg.token, { apiRoot: tg.apiRoot, timeoutSeconds: 5 }),
    })
    await notifyUsers(db, [executor.id], { kind: 'ticket_message', ticketId: ticket.id, messageId })
    await notifyUsers(db, [person.id], { kind: 'ticket_resolved', ticketId: ticket.id })
    expect(await drainOutbox(db, [channel], { perChatIntervalMs: 0, globalPerSecond: 1000 })).toMatchObject({ sent: 2 })
    const toExecutor = tg.botMessages('710000002').at(-1)?.text ?? ''
    expect(toExecutor).toContain(`Заявка № ${ticket.id}`)
    expect(toExecutor).not.toContain('Журавлёва')
    expect(toExecutor).not.toContain('Сканер не видит бумагу')
    expect(toExecutor).not.toContain('Не работает сканер')
    expect(tg.botMessages('710000001').at(-1)?.text ?? '').not.toContain('Не работает сканер')

    // Unblocked: shown again, journaled.
    expect((await postForm(app, `/users/${person.id}/unblock`, admin)).status).toBe(303)
    expect((await getPage(app, `/tickets/${ticket.id}`, admin)).text).toContain(NAME)
    expect(await journalOf(db, 'user.unblock')).toMatchObject([{ subject_id: person.id, actor_id: admin.user.id }])
    await notifyUsers(db, [executor.id], { kind: 'ticket_message', ticketId: ticket.id, messageId })
    await drainOutbox(db, [channel], { perChatIntervalMs: 0, globalPerSecond: 1000 })
    expect(tg.botMessages('710000002').at(-1)?.text ?? '').toContain('Журавлёва')
  })

  test('only an admin blocks; a reason is required; blocking twice or unblocking the unblocked is refused', async () => {
    const { db } = await testDatabase()
    const admin = await buildUser(db, { role: 'admin' })
    const curator = await buildUser(db, { role: 'curator' })
    const person = await buildUser(db)
    const actor = actorFromUser(admin, 'web')
    await expectRefusal(db, 'forbidden', () =>
      blockUser(db, actorFromUser(curator, 'web'), { userId: person.id, reason: 'x' }),
    )
    await expectRefusal(db, 'validation', () => blockUser(db, actor, { userId: person.id, reason: '  ' }))
    await expectRefusal(db, 'conflict', () => unblockUser(db, actor, { userId: person.id }))
    await blockUser(db, actor, { userId: person.id, reason: 'Проверка' })
    await expectRefusal(db, 'conflict', () => blockUser(db, actor, { userId: person.id, reason: 'Ещё раз' }))
    await expectRefusal(db, 'not_found', () => blockUser(db, actor, { userId: 999_999, reason: 'Нет такого' }))
  })
})
