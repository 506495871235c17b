import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

let db: Db
let app: ReturnType<typeof testApp>['app']
beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
})

/** A department headed by a doctor (signed in on the web), its nurse, and a category requiring approval. */
async function setting() {
  const executor = await buildUser(db, { role: 'executor' })
  const group = await buildGroup(db, undefined, [executor.id])
  const department = await buildDepartment(db)
  const head = await webUser(db, { departmentId: department.id, fullName: 'Заведующая Петрова' })
  await db.updateTable('departments').set({ head_user_id: head.user.id }).where('id', '=', department.id).execute()
  const nurse = await buildUser(db, { departmentId: department.id, fullName: 'Медсестра Сидорова' })
  const category = await buildCategory(db, { name: 'Доступ к МИС', defaultGroupId: group.id })
  await db.updateTable('categories').set({ requires_approval: 1 }).where('id', '=', category.id).execute()
  const file = (description: string) =>
    createTicket(db, actorFromUser(nurse, 'web'), { description, categoryId: category.id })
  return { executor, group, department, head, nurse, category, file }
}

async function statusOf(id: number) {
  return (await db.selectFrom('tickets').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status
}

describe('«На согласовании» on the web', () => {
  test('the head sees what awaits them, with the navigation’s entry; approving sends it to IT', async () => {
    const s = await setting()
    const ticket = await s.file('Доступ к МИС для медсестры Сидоровой')
    const page = await getPage(app, '/approvals', s.head)
    expect(page.status).toBe(200)
    expect(inlineProblems(page.text)).toEqual([])
    expect(page.text).toContain('Доступ к МИС для медсестры Сидоровой')
    expect(page.text).toContain('Медсестра Сидорова')
    expect(page.text).toContain(`action="/tickets/${ticket.id}/approve"`)
    expect(page.text).toMatch(/href="\/approvals"[^>]*>На согласовании<span class="nav-count"[^>]*> 1<\/span>/)

    const done = await postForm(app, `/tickets/${ticket.id}/approve`, s.head)
    expect(done.status).toBe(303)
    expect(done.location).toBe(`/approvals?approved=${ticket.id}`)
    expect(await statusOf(ticket.id)).toBe('new')
    const after = await getPage(app, done.location ?? '', s.head)
    expect(after.text).toContain(`Заявка № ${ticket.id} согласована и передана в ИТ-отдел`)
    expect(after.text).toContain('Нет заявок, ждущих Вашего согласования')
    expect(after.text).not.toContain('href="/approvals"')
  })

  test('a decision twice, or a rejection without a reason, is said beside the list and changes nothing', async () => {
    const s = await setting()
    const ticket = await s.file('Доступ к ЭЦП')
    const empty = await postForm(app, `/tickets/${ticket.id}/reject`, s.head, { reason: ' ' })
    expect(empty.status).toBe(422)
    expect(empty.text).toContain('Заполните поле «Причина отказа»')
    expect(await statusOf(ticket.id)).toBe('approval')
    await postForm(app, `/tickets/${ticket.id}/reject`, s.head, { reason: 'Не нужен' })
    expect(await statusOf(ticket.id)).toBe('cancelled')
    const again = await postForm(app, `/tickets/${ticket.id}/approve`, s.head)
    expect(again.status).toBe(422)
    expect(again.text).toContain(`Заявка № ${ticket.id} уже не ждёт согласования: она в статусе «Отменена»`)
    expect(await statusOf(ticket.id)).toBe('cancelled')
  })

  test('someone who does not decide gets the 404 page and the ticket stays awaiting', async () => {
    const s = await setting()
    const ticket = await s.file('Доступ к VPN')
    const executor = await webUser(db, { role: 'executor' })
    const stranger = await webUser(db)
    for (const who of [executor, stranger]) {
      expect((await postForm(app, `/tickets/${ticket.id}/approve`, who)).status).toBe(404)
      expect((await postForm(app, `/tickets/${ticket.id}/reject`, who, { reason: 'нет' })).status).toBe(404)
      const list = await getPage(app, '/approvals', who)
      expect(list.text).not.toContain('Доступ к VPN')
    }
    expect(await statusOf(ticket.id)).toBe('approval')
  })

  test('the ticket page tells IT who decides; a curator deciding for a department without a head decides there', async () => {
    const s = await setting()
    const ticket = await s.file('Доступ к 1С')
    const executor = await webUser(db, { role: 'executor' })
    const seen = await getPage(app, `/tickets/${ticket.id}`, executor)
    expect(seen.text).toContain('Заявка ждёт согласования заведующего отделением')
    expect(seen.text).not.toContain(`action="/tickets/${ticket.id}/approve"`)

    await db.updateTable('departments').set({ head_user_id: null }).where('id', '=', s.department.id).execute()
    const curator = await webUser(db, { role: 'curator' })
    const page = await getPage(app, `/tickets/${ticket.id}`, curator)
    expect(page.text).toContain('Заявка ждёт согласования куратора ИТ')
    expect(page.text).toContain(`action="/tickets/${ticket.id}/approve"`)
    const done = await postForm(app, `/tickets/${ticket.id}/approve`, curator, { back: 'ticket' })
    expect(done.location).toBe(`/tickets/${ticket.id}`)
    const timeline = await getPage(app, `/tickets/${ticket.id}`, curator)
    expect(timeline.text).toContain('согласовал(а) заявку')
  })

  test('the requester sees «На согласовании» among her open tickets and may withdraw it', async () => {
    const s = await setting()
    const nurse = await webUser(db, { departmentId: s.department.id })
    const ticket = await createTicket(db, actorFromUser(nurse.user, 'web'), {
      description: 'Доступ к МИС, срочно',
      categoryId: s.category.id,
    })
    const list = await getPage(app, '/tickets', nurse)
    expect(list.text).toContain(`/tickets/${ticket.id}`)
    expect(list.text).toContain('На согласовании')
    const page = await getPage(app, `/tickets/${ticket.id}`, nurse)
    expect(page.text).toContain('Отменить заявку')
    const withdrawn = await postForm(app, `/tickets/${ticket.id}/status`, nurse, {
      status: 'cancelled',
      reason: 'Уже не нужно',
    })
    expect(withdrawn.status).toBe(303)
    expect(await statusOf(ticket.id)).toBe('cancelled')
  })
})

describe('the department’s head and the category’s approval, set by a curator', () => {
  test('a curator names a head among the department’s people, and clears it', async () => {
    const curator = await webUser(db, { role: 'curator' })
    const department = await buildDepartment(db)
    const doctor = await buildUser(db, { departmentId: department.id, fullName: 'Доктор Айболит' })
    const page = await getPage(app, `/departments/${department.id}/head`, curator)
    expect(page.status).toBe(200)
    expect(page.text).toContain(`<option value="${doctor.id}">Доктор Айболит — Медсестра</option>`)
    const saved = await postForm(app, `/departments/${department.id}/head`, curator, { head: String(doctor.id) })
    expect(saved.status).toBe(303)
    const row = () => db.selectFrom('departments').selectAll().where('id', '=', department.id).executeTakeFirstOrThrow()
    expect((await row()).head_user_id).toBe(doctor.id)
    const journal = await db
      .selectFrom('audit_log')
      .select(['action', 'subject_id'])
      .where('action', '=', 'department.head')
      .where('object_id', '=', String(department.id))
      .execute()
    expect(journal).toEqual([{ action: 'department.head', subject_id: doctor.id }])
    const gone = await buildUser(db, { status: 'deactivated', departmentId: department.id })
    const refused = await postForm(app, `/departments/${department.id}/head`, curator, { head: String(gone.id) })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Заведующим можно назначить только активного пользователя')
    await postForm(app, `/departments/${department.id}/head`, curator, { head: '' })
    expect((await row()).head_user_id).toBeNull()
    const executor = await webUser(db, { role: 'executor' })
    expect((await getPage(app, `/departments/${department.id}/head`, executor)).status).toBe(404)
  })

  test('the category form’s checkbox makes its tickets wait for approval', async () => {
    const curator = await webUser(db, { role: 'curator' })
    const created = await postForm(app, '/categories', curator, {
      name: 'Доступ к ЕГИСЗ',
      description: '',
      parent: '',
      group: '',
      priority: 'normal',
      response: '',
      resolution: '',
      requires_approval: '1',
    })
    expect(created.status).toBe(303)
    const category = await db
      .selectFrom('categories')
      .selectAll()
      .where('name', '=', 'Доступ к ЕГИСЗ')
      .executeTakeFirstOrThrow()
    expect(category.requires_approval).toBe(1)
    const form = await getPage(app, `/categories/${category.id}/edit`, curator)
    expect(form.text).toMatch(/name="requires_approval" value="1" checked/)
  })
})
