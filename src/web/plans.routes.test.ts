import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testApp } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildGroup } from '../../test/support/factories.ts'
import { getPage, inlineProblems, postForm, type WebUser, webUser } from '../../test/support/web.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
})

async function planTitled(title: string) {
  return db.selectFrom('plans').selectAll().where('title', '=', title).executeTakeFirst()
}

async function setting() {
  const executor = await webUser(db, { role: 'executor' })
  const group = await buildGroup(db, undefined, [executor.user.id])
  const category = await buildCategory(db)
  return { executor, group, category }
}

function planForm(s: Awaited<ReturnType<typeof setting>>, fields: Record<string, string> = {}) {
  return {
    title: 'Обход картриджей — {{месяц}}',
    description: 'Заменить картриджи в отделениях',
    category_id: String(s.category.id),
    group_id: String(s.group.id),
    priority: 'normal',
    kind: 'monthly',
    time: '09:00',
    weekday: '1',
    day: '1',
    ...fields,
  }
}

describe('/plans', () => {
  test('a curator makes a monthly plan, sees the next runs before saving, runs it now: the ticket goes to the group', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const curator = await webUser(db, { role: 'curator' })
    const s = await setting()
    const blank = await getPage(app, '/plans/new', curator)
    expect(blank.status).toBe(200)
    expect(inlineProblems(blank.text)).toEqual([])
    // The preset's next five runs, before anything is saved; raw cron is not offered to a curator.
    expect(blank.text).toContain('1-го числа каждого месяца в 09:00')
    expect(blank.text).toContain('01.04.2026 09:00')
    expect(blank.text).toContain('01.08.2026 09:00')
    expect(blank.text).not.toContain('value="cron"')

    // The preview as htmx swaps it when the schedule changes.
    const preview = await postForm(app, '/plans/preview', curator, planForm(s, { kind: 'weekly', time: '10:30' }), {
      headers: { 'hx-request': 'true' },
    })
    expect(preview.status).toBe(200)
    expect(preview.text).toContain('По понедельникам в 10:30')
    expect(preview.text).toContain('09.03.2026 10:30')
    expect(preview.text).not.toContain('<html')
    const badTime = await postForm(app, '/plans/preview', curator, planForm(s, { time: '25:00' }))
    expect(badTime.text).toContain('Время — в виде ЧЧ:ММ')

    const created = await postForm(app, '/plans', curator, planForm(s))
    expect(created.status).toBe(303)
    const plan = await planTitled('Обход картриджей — {{месяц}}')
    expect(plan).toMatchObject({ schedule: '0 9 1 * *', next_run_at: '2026-04-01T06:00:00.000Z', group_id: s.group.id })
    expect(created.location).toBe(`/plans/${plan?.id}?done=created`)

    const list = await getPage(app, '/plans', s.executor)
    expect(list.status).toBe(200)
    expect(list.text).toContain('Обход картриджей — {{месяц}}')
    expect(list.text).toContain('01.04.2026 09:00')
    // Executors see; they do not make.
    expect(list.text).not.toContain('/plans/new')

    const ran = await postForm(app, `/plans/${plan?.id}/run`, curator)
    expect(ran.status).toBe(303)
    expect(ran.location).toBe(`/plans/${plan?.id}?done=ran#runs`)
    const ticket = await db
      .selectFrom('tickets')
      .selectAll()
      .where('title', '=', 'Обход картриджей — март 2026')
      .executeTakeFirstOrThrow()
    expect(ticket.group_id).toBe(s.group.id)
    const page = await getPage(app, `/plans/${plan?.id}?done=ran`, curator)
    expect(page.text).toContain('Заявка создана и направлена группе')
    expect(page.text).toContain(`/tickets/${ticket.id}`)
    expect(page.text).toContain('вручную')
    const queue = await getPage(app, `/tickets?group=${s.group.id}`, s.executor)
    expect(queue.text).toContain('Обход картриджей — март 2026')
  })

  test('bad input is refused in Russian beside the form and changes nothing', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const curator = await webUser(db, { role: 'curator' })
    const s = await setting()
    const count = async () =>
      Number((await db.selectFrom('plans').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    const before = await count()
    const cases: Array<[Record<string, string>, string]> = [
      [{ title: '' }, 'Заполните поле «Название»'],
      [{ day: '31' }, 'День месяца — от 1 до 28'],
      [{ group_id: '' }, 'Выберите группу исполнителей'],
      // Past the databases' integer (a 500 on PostgreSQL), or not a plain id: no category to choose.
      [{ category_id: '9999999999' }, 'Выберите категорию'],
      [{ category_id: '01' }, 'Выберите категорию'],
      [{ description: 'Осмотр {{неделя}}' }, 'Неизвестная подстановка {{неделя}}'],
      // A curator keeps to the presets: raw cron is the admins'.
      [{ kind: 'cron', cron: '0 9 * * 1-5' }, 'Произвольное выражение cron задают администраторы'],
    ]
    for (const [fields, message] of cases) {
      const refused = await postForm(app, '/plans', curator, planForm(s, fields))
      expect(refused.status, message).toBe(422)
      expect(refused.text).toContain(message)
    }
    expect(await count()).toBe(before)
  })

  test('an admin writes raw cron; a curator edits and pauses a plan; an executor may only look', async () => {
    setTestClock('2026-03-02T08:00:00Z')
    const admin = await webUser(db, { role: 'admin' })
    const curator = await webUser(db, { role: 'curator' })
    const s = await setting()
    const form = await getPage(app, '/plans/new', admin)
    expect(form.text).toContain('value="cron"')
    const created = await postForm(
      app,
      '/plans',
      admin,
      planForm(s, { title: 'Копии сервера МИС', kind: 'cron', cron: '0 8 * * 1-5' }),
    )
    expect(created.status).toBe(303)
    const plan = await planTitled('Копии сервера МИС')
    expect(plan?.next_run_at).toBe('2026-03-03T05:00:00.000Z')

    const page = await getPage(app, `/plans/${plan?.id}`, curator)
    expect(page.text).toContain('По выражению cron «0 8 * * 1-5»')
    // The curator changes the title and keeps the admin's schedule.
    const saved = await postForm(
      app,
      `/plans/${plan?.id}`,
      curator,
      planForm(s, { title: 'Проверка копий МИС', kind: 'cron', cron: '0 8 * * 1-5' }),
    )
    expect(saved.status).toBe(303)
    expect(await planTitled('Проверка копий МИС')).toMatchObject({ schedule: '0 8 * * 1-5' })

    const paused = await postForm(app, `/plans/${plan?.id}/active`, curator, { active: '0' })
    expect(paused.location).toBe(`/plans/${plan?.id}?done=paused`)
    expect((await planTitled('Проверка копий МИС'))?.next_run_at).toBeNull()

    const executor = s.executor as WebUser
    const view = await getPage(app, `/plans/${plan?.id}`, executor)
    expect(view.status).toBe(200)
    expect(view.text).not.toContain('Запустить сейчас')
    expect((await getPage(app, '/plans/new', executor)).status).toBe(404)
    expect((await postForm(app, `/plans/${plan?.id}/run`, executor)).status).toBe(404)
    const requester = await webUser(db, { role: 'requester' })
    expect((await getPage(app, '/plans', requester)).status).toBe(404)
    expect(
      await db
        .selectFrom('plan_runs')
        .selectAll()
        .where('plan_id', '=', plan?.id ?? 0)
        .execute(),
    ).toEqual([])
  })
})
