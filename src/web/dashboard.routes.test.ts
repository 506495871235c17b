import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testApp } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildGroup } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, signIn, webUser } from '../../test/support/web.ts'

const PAST = '2026-03-01T00:00:00.000Z'

/** An executor in the «Сети» group, a colleague outside it, and tickets in and out of the group. */
async function scene(db: Db) {
  setTestClock('2026-03-20T09:00:00.000Z')
  const me = await webUser(db, { role: 'executor', fullName: 'Исполнитель Я' })
  const colleague = await webUser(db, { role: 'executor', fullName: 'Коллега Другой' })
  const network = await buildGroup(db, 'Сети', [me.user.id])
  const printers = await buildGroup(db, 'Оргтехника', [colleague.user.id])
  const ours = await buildCategory(db, { name: 'Сеть', defaultGroupId: network.id })
  const theirs = await buildCategory(db, { name: 'Принтеры', defaultGroupId: printers.id })
  await buildTicket(db, { title: 'Моя в работе', categoryId: ours.id, assigneeId: me.user.id, status: 'in_progress' })
  await buildTicket(db, { title: 'Ничья в моей группе', categoryId: ours.id })
  await buildTicket(db, { title: 'Ничья в чужой группе', categoryId: theirs.id })
  await buildTicket(db, {
    title: 'Моя просроченная',
    categoryId: ours.id,
    assigneeId: me.user.id,
    status: 'in_progress',
    resolutionDueAt: PAST,
  })
  await buildTicket(db, {
    title: 'Чужая просроченная',
    categoryId: theirs.id,
    assigneeId: colleague.user.id,
    status: 'in_progress',
    resolutionDueAt: PAST,
  })
  return { me, colleague, ours, theirs, network }
}

describe('the home page', () => {
  test('staff get the dashboard, a requester their tickets, a stranger the login', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    for (const role of ['executor', 'curator', 'admin'] as const) {
      const page = await getPage(app, '/', await webUser(db, { role }))
      expect(page.status, role).toBe(200)
      expect(page.text).toContain('Мои открытые заявки')
      expect(page.text).toContain('Что изменилось с последнего визита')
      expect(inlineProblems(page.text)).toEqual([])
    }
    const requester = await getPage(app, '/', await webUser(db))
    expect(requester.status).toBe(302)
    expect(requester.location).toBe('/tickets')
    const stranger = await getPage(app, '/')
    expect(stranger.status).toBe(303)
    expect(stranger.location).toBe('/login?next=%2F')
    // The login page under `/` is not behind the session.
    expect((await getPage(app, '/login')).status).toBe(200)
  })

  test('an executor sees their open tickets, the unassigned of their groups and their overdue ones; journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const { me } = await scene(db)
    const page = await getPage(app, '/', me)
    expect(page.status).toBe(200)
    const section = (id: string) => page.text.split(`id="${id}-heading"`)[1]?.split('</section>')[0] ?? ''
    expect(section('mine')).toContain('Моя в работе')
    expect(section('mine')).toContain('Моя просроченная')
    expect(section('mine')).not.toContain('Ничья')
    expect(section('unassigned')).toContain('Не назначенные в моих группах')
    expect(section('unassigned')).toContain('Ничья в моей группе')
    expect(section('unassigned')).not.toContain('Ничья в чужой группе')
    expect(section('overdue')).toContain('Моя просроченная')
    expect(section('overdue')).not.toContain('Чужая просроченная')
    expect(section('overdue')).toContain('просрочена на')
    const [entry] = await db.selectFrom('audit_log').selectAll().where('action', '=', 'dashboard.view').execute()
    expect(entry).toMatchObject({ actor_id: me.user.id, channel: 'web', pdn_related: 1 })
  })

  test('«Просроченные» counts what its link lists, for an executor (theirs and their groups’) and a curator', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const { me } = await scene(db)
    for (const who of [me, await webUser(db, { role: 'curator' })]) {
      const page = await getPage(app, '/', who)
      const section = page.text.split('id="overdue-heading"')[1]?.split('</section>')[0] ?? ''
      const count = Number(/class="view__count">(\d+)</.exec(section)?.[1])
      const href = /href="(\/tickets\?[^"]*overdue=1[^"]*)"/.exec(section)?.[1]?.replaceAll('&amp;', '&')
      expect(count).toBeGreaterThan(0)
      const list = await getPage(app, href ?? '', who)
      expect(list.text).toContain(`Найдено: ${count} `)
      // The executor's list says it is narrowed, and can be widened.
      if (who === me) expect(list.text).toContain('Мои и моих групп')
      else expect(list.text).toContain('Чужая просроченная')
    }
  })

  test('a curator sees every overdue ticket', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    await scene(db)
    const page = await getPage(app, '/', await webUser(db, { role: 'curator' }))
    const overdue = page.text.split('id="overdue-heading"')[1]?.split('</section>')[0] ?? ''
    expect(overdue).toContain('Моя просроченная')
    expect(overdue).toContain('Чужая просроченная')
  })

  test('each list is cut at 10 rows and links to the full filtered list', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const me = await webUser(db, { role: 'executor' })
    for (let i = 1; i <= 12; i++) {
      await buildTicket(db, { title: `Заявка номер ${i}`, assigneeId: me.user.id, status: 'in_progress' })
    }
    const page = await getPage(app, '/', me)
    const mine = page.text.split('id="mine-heading"')[1]?.split('</section>')[0] ?? ''
    expect(mine.match(/class="ticket-link"/g)?.length).toBe(10)
    expect(mine).toContain('Все 12 в списке заявок →')
    expect(mine).toContain(
      `href="/tickets?status=new&amp;status=in_progress&amp;status=waiting&amp;assignee=${me.user.id}"`,
    )
  })

  test('«what changed» shows others’ events on my tickets since my previous visit, and not my own', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const { me, colleague, ours } = await scene(db)
    const requester = await webUser(db, { fullName: 'Заявитель Сообщающий' })
    const mine = await buildTicket(db, {
      title: 'Моя с сообщением',
      requesterId: requester.user.id,
      categoryId: ours.id,
      assigneeId: me.user.id,
      status: 'in_progress',
    })
    const groupTicket = await buildTicket(db, { title: 'Групповая', categoryId: ours.id })
    const elsewhere = await buildTicket(db, { title: 'Совсем чужая' })

    const first = await getPage(app, '/', me)
    expect(first.text).toContain('За последние сутки')
    expect(first.text).toContain('Ничего нового')

    setTestClock('2026-03-20T10:00:00.000Z')
    const colleagueNow = await signIn(db, colleague.user)
    const requesterNow = await signIn(db, requester.user)
    expect((await postForm(app, `/tickets/${groupTicket.id}/take`, colleagueNow)).status).toBe(303)
    expect((await postForm(app, `/tickets/${elsewhere.id}/take`, colleagueNow)).status).toBe(303)
    expect(
      (await postForm(app, `/tickets/${mine.id}/messages`, requesterNow, { body: 'Всё ещё не работает' })).status,
    ).toBe(303)
    const meNow = await signIn(db, me.user)
    expect((await postForm(app, `/tickets/${mine.id}/messages`, meNow, { body: 'Иду', kind: 'external' })).status).toBe(
      303,
    )

    setTestClock('2026-03-20T11:00:00.000Z')
    const later = await signIn(db, me.user)
    const second = await getPage(app, '/', later)
    const changes = second.text.split('id="changes-heading"')[1]?.split('</section>')[0] ?? ''
    expect(changes).toContain('С 20.03.2026 12:00')
    expect(changes).toContain('Коллега Другой')
    expect(changes).toContain('взял(а) заявку в работу')
    expect(changes).toContain(`№ ${groupTicket.id} · Групповая`)
    expect(changes).toContain('Заявитель Сообщающий')
    expect(changes).toContain('написал(а) сообщение')
    expect(changes).not.toContain('Совсем чужая')
    expect(changes).not.toContain('Исполнитель Я')

    // A reload within the same visit keeps the list; the next visit starts after this one.
    setTestClock('2026-03-20T11:10:00.000Z')
    expect((await getPage(app, '/', later)).text).toContain('взял(а) заявку в работу')
    setTestClock('2026-03-20T11:45:00.000Z')
    const next = await getPage(app, '/', await signIn(db, me.user))
    expect(next.text).toContain('С 20.03.2026 14:10')
    expect(next.text).toContain('Ничего нового')
  })

  test('a requester’s ticket list still works and the navigation offers «Главная» to staff only', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await webUser(db)
    const staff = await webUser(db, { role: 'executor' })
    expect((await getPage(app, '/tickets', requester)).text).not.toContain('href="/"')
    expect((await getPage(app, '/tickets', staff)).text).toContain('href="/"')
  })
})
