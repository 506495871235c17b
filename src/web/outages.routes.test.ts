import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
})

async function setting() {
  const executor = await webUser(db, { role: 'executor' })
  const ward = await buildDepartment(db)
  const category = await buildCategory(db, { name: `МИС ${Math.random()}` })
  const ticket = await buildTicket(db, { categoryId: category.id, status: 'in_progress', title: 'Не открывается МИС' })
  return { executor, ward, category, ticket }
}

function outageForm(s: Awaited<ReturnType<typeof setting>>, fields: Record<string, string> = {}) {
  return {
    title: 'МИС не работает в корпусе 2',
    place: 'корпус 2',
    department_ids: String(s.ward.id),
    category_ids: String(s.category.id),
    announcement: '',
    ...fields,
  }
}

describe('«Массовый сбой» on the web', () => {
  test('an executor declares it from the ticket’s page; the outage’s page, the list and the dashboard show it', async () => {
    const s = await setting()
    await buildUser(db, { departmentId: s.ward.id })
    const card = await getPage(app, `/tickets/${s.ticket.id}`, s.executor)
    expect(card.text).toContain(`href="/tickets/${s.ticket.id}/outage"`)
    const form = await getPage(app, `/tickets/${s.ticket.id}/outage`, s.executor)
    expect(form.status).toBe(200)
    expect(inlineProblems(form.text)).toEqual([])
    expect(form.text).toContain('name="department_ids"')

    const declared = await postForm(app, `/tickets/${s.ticket.id}/outage`, s.executor, outageForm(s))
    expect(declared.status).toBe(303)
    const outage = await db
      .selectFrom('outages')
      .selectAll()
      .where('ticket_id', '=', s.ticket.id)
      .executeTakeFirstOrThrow()
    expect(declared.location).toBe(`/outages/${outage.id}?done=declared`)
    const page = await getPage(app, `/outages/${outage.id}`, s.executor)
    expect(page.text).toContain('МИС не работает в корпусе 2')
    expect(page.text).toContain(s.ward.name)
    expect(page.text).toContain('Объявление получили')
    expect(page.text).toContain(`action="/outages/${outage.id}/resolve"`)

    // The form again for the same ticket leads to its outage.
    const again = await getPage(app, `/tickets/${s.ticket.id}/outage`, s.executor)
    expect(again.status).toBe(303)

    const list = await getPage(app, '/outages', s.executor)
    expect(list.text).toContain(`href="/outages/${outage.id}"`)
    const home = await getPage(app, '/', s.executor)
    const top = home.text.indexOf('Идут массовые сбои')
    expect(top).toBeGreaterThan(-1)
    expect(top).toBeLessThan(home.text.indexOf('Мои открытые заявки'))
    expect(home.text).toContain(`href="/outages/${outage.id}"`)
  })

  test('a refused declaration keeps what was typed, beside the form, and writes nothing', async () => {
    const s = await setting()
    const refused = await postForm(
      app,
      `/tickets/${s.ticket.id}/outage`,
      s.executor,
      outageForm(s, { department_ids: '', place: 'корпус 7' }),
    )
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Выберите хотя бы одно: отделения')
    expect(refused.text).toContain('value="корпус 7"')
    expect(await db.selectFrom('outages').selectAll().where('ticket_id', '=', s.ticket.id).execute()).toHaveLength(0)
  })

  test('«Сбой устранён» resolves the parent and the outage; the dashboard no longer shows it', async () => {
    const s = await setting()
    await postForm(app, `/tickets/${s.ticket.id}/outage`, s.executor, outageForm(s))
    const outage = await db
      .selectFrom('outages')
      .selectAll()
      .where('ticket_id', '=', s.ticket.id)
      .executeTakeFirstOrThrow()
    const empty = await postForm(app, `/outages/${outage.id}/resolve`, s.executor, { resolution: ' ' })
    expect(empty.status).toBe(422)
    const resolved = await postForm(app, `/outages/${outage.id}/resolve`, s.executor, {
      resolution: 'Сервер перезапущен',
    })
    expect(resolved.status).toBe(303)
    const ticket = await db.selectFrom('tickets').selectAll().where('id', '=', s.ticket.id).executeTakeFirstOrThrow()
    expect(ticket).toMatchObject({ status: 'resolved', resolution: 'Сервер перезапущен' })
    const page = await getPage(app, `/outages/${outage.id}`, s.executor)
    expect(page.text).not.toContain(`action="/outages/${outage.id}/resolve"`)
    const home = await getPage(app, '/', s.executor)
    expect(home.text).not.toContain(`href="/outages/${outage.id}"`)
    // A resolved ticket offers no «Массовый сбой…».
    const card = await getPage(app, `/tickets/${s.ticket.id}`, s.executor)
    expect(card.text).not.toContain(`/tickets/${s.ticket.id}/outage`)
  })

  test('a requester sees no outages and is offered none on their ticket', async () => {
    const requester = await webUser(db)
    const own = await buildTicket(db, { requesterId: requester.user.id })
    expect((await getPage(app, '/outages', requester)).status).toBe(404)
    expect((await getPage(app, `/tickets/${own.id}/outage`, requester)).status).toBe(404)
    const card = await getPage(app, `/tickets/${own.id}`, requester)
    expect(card.text).not.toContain('/outage')
  })

  test('the profile’s «Объявления о массовых сбоях» turns the announcements off and on', async () => {
    const person = await webUser(db)
    const page = await getPage(app, '/profile/outage-notices', person)
    expect(page.text).toContain('name="on" value="1" checked')
    const off = await postForm(app, '/profile/outage-notices', person, {})
    expect(off.status).toBe(303)
    const opted = await db.selectFrom('outage_opt_outs').selectAll().where('user_id', '=', person.user.id).execute()
    expect(opted).toHaveLength(1)
    expect((await getPage(app, '/profile/outage-notices', person)).text).not.toContain('checked')
    await postForm(app, '/profile/outage-notices', person, { on: '1' })
    expect(
      await db.selectFrom('outage_opt_outs').selectAll().where('user_id', '=', person.user.id).execute(),
    ).toHaveLength(0)
  })
})
