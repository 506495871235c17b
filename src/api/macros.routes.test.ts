import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { type ApiUser, apiUser, call, expectCleanError, idOf, testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildGroup, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { responseSchemas } from './openapi.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
let executor: ApiUser
let curator: ApiUser

beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
  executor = await apiUser(db, { role: 'executor', fullName: 'Сидоров Пётр Ильич' })
  curator = await apiUser(db, { role: 'curator' })
})

const items = (body: unknown) => (body as { items: Array<{ id: number; title: string }> }).items

describe('/api/v1/macros', () => {
  test('a staff member keeps a personal macro: create, read, change, list, remove', async () => {
    const created = await call(app, 'POST', '/api/v1/macros', {
      headers: executor.headers,
      body: { title: 'Привет', body: 'Здравствуйте, {{заявитель.имя}}!', scope: 'personal' },
    })
    expect(created.status).toBe(201)
    responseSchemas.Macro.parse(created.body)
    expect(created.body).toMatchObject({
      scope: 'personal',
      owner_id: executor.user.id,
      internal: false,
      editable: true,
      set_status: null,
    })
    const id = idOf(created)

    const read = await call(app, 'GET', `/api/v1/macros/${id}`, { headers: executor.headers })
    expect(read.status).toBe(200)
    const changed = await call(app, 'PATCH', `/api/v1/macros/${id}`, {
      headers: executor.headers,
      body: { title: 'Приветствие', set_status: 'waiting', set_priority: 'high' },
    })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ title: 'Приветствие', set_status: 'waiting', set_priority: 'high' })
    const list = await call(app, 'GET', '/api/v1/macros', { headers: executor.headers })
    expect(list.status).toBe(200)
    for (const item of items(list.body)) responseSchemas.Macro.parse(item)
    expect(items(list.body).map((m) => m.title)).toContain('Приветствие')

    expect((await call(app, 'DELETE', `/api/v1/macros/${id}`, { headers: executor.headers })).status).toBe(204)
    expect((await call(app, 'GET', `/api/v1/macros/${id}`, { headers: executor.headers })).status).toBe(404)
    const after = await call(app, 'GET', '/api/v1/macros', { headers: executor.headers })
    expect(items(after.body).map((m) => m.id)).not.toContain(id)
  })

  test('an unknown placeholder is a 422 with a Russian message; an unknown field too', async () => {
    const bad = await call(app, 'POST', '/api/v1/macros', {
      headers: executor.headers,
      body: { title: 'Плохой', body: 'Добрый день, {{заявитель.отчество}}', scope: 'personal' },
    })
    expectCleanError(bad, 422, 'validation')
    expect(bad.text).toContain('Неизвестная подстановка')
    const extra = await call(app, 'POST', '/api/v1/macros', {
      headers: executor.headers,
      body: { title: 'Лишнее', body: 'Текст', scope: 'personal', owner_id: 1 },
    })
    expectCleanError(extra, 422, 'validation')
  })

  test('a requester is refused (403); an executor may not create a shared macro (403); a colleague’s is 404', async () => {
    const requester = await apiUser(db)
    expectCleanError(await call(app, 'GET', '/api/v1/macros', { headers: requester.headers }), 403, 'forbidden')
    expectCleanError(
      await call(app, 'POST', '/api/v1/macros', {
        headers: executor.headers,
        body: { title: 'Всем', body: 'Текст', scope: 'global' },
      }),
      403,
      'forbidden',
    )
    const other = await apiUser(db, { role: 'executor' })
    const mine = idOf(
      await call(app, 'POST', '/api/v1/macros', {
        headers: other.headers,
        body: { title: 'Чужое', body: 'Текст', scope: 'personal' },
      }),
    )
    expectCleanError(await call(app, 'GET', `/api/v1/macros/${mine}`, { headers: executor.headers }), 404, 'not_found')
    expectCleanError(
      await call(app, 'DELETE', `/api/v1/macros/${mine}`, { headers: executor.headers }),
      404,
      'not_found',
    )
  })

  test("a group's macro made by a curator is listed for the group's members, not for others", async () => {
    const member = await apiUser(db, { role: 'executor' })
    const group = await buildGroup(db, undefined, [member.user.id])
    const created = await call(app, 'POST', '/api/v1/macros', {
      headers: curator.headers,
      body: { title: 'Для группы', body: 'Текст', scope: 'group', group_id: group.id },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ scope: 'group', group_id: group.id, group_name: group.name })
    const id = idOf(created)
    const memberList = await call(app, 'GET', '/api/v1/macros', { headers: member.headers })
    expect(items(memberList.body).find((m) => m.id === id)).toMatchObject({ editable: false })
    const outsiderList = await call(app, 'GET', '/api/v1/macros', { headers: executor.headers })
    expect(items(outsiderList.body).map((m) => m.id)).not.toContain(id)
  })

  test('group_id without scope is refused (422), nothing changed; with scope it moves the macro', async () => {
    const first = await buildGroup(db)
    const second = await buildGroup(db)
    const id = idOf(
      await call(app, 'POST', '/api/v1/macros', {
        headers: curator.headers,
        body: { title: 'Переезжает', body: 'Текст', scope: 'group', group_id: first.id },
      }),
    )
    const alone = await call(app, 'PATCH', `/api/v1/macros/${id}`, {
      headers: curator.headers,
      body: { group_id: second.id },
    })
    expectCleanError(alone, 422, 'validation')
    expect(alone.text).toContain('Группу указывают только вместе с полем scope')
    const kept = await call(app, 'GET', `/api/v1/macros/${id}`, { headers: curator.headers })
    expect(kept.body).toMatchObject({ group_id: first.id })
    const moved = await call(app, 'PATCH', `/api/v1/macros/${id}`, {
      headers: curator.headers,
      body: { scope: 'group', group_id: second.id },
    })
    expect(moved.status).toBe(200)
    expect(moved.body).toMatchObject({ scope: 'group', group_id: second.id })
  })

  test('a macro shared with a group disabled since is changed with its scope and group as they are', async () => {
    const group = await buildGroup(db)
    const id = idOf(
      await call(app, 'POST', '/api/v1/macros', {
        headers: curator.headers,
        body: { title: 'Для группы, что отключат', body: 'Текст', scope: 'group', group_id: group.id },
      }),
    )
    await db.updateTable('executor_groups').set({ active: 0 }).where('id', '=', group.id).execute()
    const changed = await call(app, 'PATCH', `/api/v1/macros/${id}`, {
      headers: curator.headers,
      body: { title: 'Новое название', scope: 'group', group_id: group.id },
    })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ title: 'Новое название', scope: 'group', group_id: group.id })
  })

  test('preview fills the placeholders for a ticket; apply posts the reply and sets the status in one go', async () => {
    const requester = await buildUser(db, { fullName: 'Иванова Мария Петровна' })
    const ticket = await buildTicket(db, { requesterId: requester.id, status: 'in_progress' })
    const id = idOf(
      await call(app, 'POST', '/api/v1/macros', {
        headers: executor.headers,
        body: {
          title: 'Ждём',
          body: 'Здравствуйте, {{заявитель.имя}}! Заявка № {{заявка.номер}}. {{исполнитель.имя}}',
          scope: 'personal',
          set_status: 'waiting',
        },
      }),
    )
    const text = `Здравствуйте, Мария Петровна! Заявка № ${ticket.id}. Пётр Ильич`
    const preview = await call(app, 'POST', `/api/v1/macros/${id}/preview?ticket_id=${ticket.id}`, {
      headers: executor.headers,
    })
    expect(preview.status).toBe(200)
    expect(preview.body).toEqual({
      macro_id: id,
      ticket_id: ticket.id,
      text,
      internal: false,
      set_status: 'waiting',
      set_priority: null,
    })
    expectCleanError(
      await call(app, 'POST', `/api/v1/macros/${id}/preview?ticket_id=9999999`, { headers: executor.headers }),
      404,
      'not_found',
    )

    const applied = await call(app, 'POST', `/api/v1/macros/${id}/apply`, {
      headers: executor.headers,
      body: { ticket_id: ticket.id },
    })
    expect(applied.status).toBe(201)
    const body = applied.body as { message: unknown; ticket: unknown }
    responseSchemas.Message.parse(body.message)
    responseSchemas.Ticket.parse(body.ticket)
    expect(body).toMatchObject({ message: { body: text, kind: 'external' }, ticket: { status: 'waiting' } })

    // Waiting already: a second use posts the reply and leaves the status as it is.
    const again = await call(app, 'POST', `/api/v1/macros/${id}/apply`, {
      headers: executor.headers,
      body: { ticket_id: ticket.id, body: 'Напоминаю о заявке', internal: true },
    })
    expect(again.body).toMatchObject({ message: { body: 'Напоминаю о заявке', kind: 'internal' } })
    const journal = await db
      .selectFrom('audit_log')
      .select('action')
      .where('object_type', '=', 'ticket')
      .where('object_id', '=', String(ticket.id))
      .orderBy('id')
      .execute()
    expect(journal.map((row) => row.action)).toEqual([
      'ticket.macro_preview',
      'ticket.message',
      'ticket.set_status',
      'ticket.macro',
      'ticket.note',
      'ticket.macro',
    ])
  })

  test('applying to a ticket whose status cannot move is a 409 and posts nothing', async () => {
    const ticket = await buildTicket(db, { status: 'cancelled' })
    const id = idOf(
      await call(app, 'POST', '/api/v1/macros', {
        headers: executor.headers,
        body: { title: 'В работу', body: 'Берём', scope: 'personal', set_status: 'in_progress' },
      }),
    )
    expectCleanError(
      await call(app, 'POST', `/api/v1/macros/${id}/apply`, {
        headers: executor.headers,
        body: { ticket_id: ticket.id },
      }),
      409,
      'invalid_transition',
    )
    const messages = await db.selectFrom('ticket_messages').select('id').where('ticket_id', '=', ticket.id).execute()
    expect(messages).toEqual([])
  })
})
