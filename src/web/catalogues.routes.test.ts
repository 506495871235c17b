import { describe, expect, test } from 'vitest'
import { listCategories } from '#src/categories/category-store.ts'
import type { Db } from '#src/db/schema.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { listGroups } from '#src/groups/group-store.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { dataSnapshot } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

async function journal(db: Db, action: string) {
  return db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()
}

/** Position of a text in the page's table (not the menu, which names sections such as «Оборудование»), to check the order of rows. */
function at(text: string, part: string): number {
  const index = text.indexOf(part, text.indexOf('<table'))
  expect(index, part).toBeGreaterThanOrEqual(0)
  return index
}

describe('/categories', () => {
  test('a curator creates a subcategory with its group, priority and deadlines; the table shows the tree', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const group = await buildGroup(db, 'Оргтехника')
    const parent = await buildCategory(db, { name: 'Оборудование' })
    await buildCategory(db, { name: 'Аптека' })

    const form = await getPage(app, '/categories/new', curator)
    expect(form.status).toBe(200)
    expect(form.text).toContain('Оргтехника')
    const created = await postForm(app, '/categories', curator, {
      name: 'Принтер',
      description: 'Не печатает, замялась бумага',
      parent: String(parent.id),
      group: String(group.id),
      priority: 'high',
      response: '30',
      resolution: '240',
    })
    expect(created.status).toBe(303)
    expect(created.location).toMatch(/^\/categories\?done=created#category-\d+$/)
    const row = (await listCategories(db)).find((c) => c.name === 'Принтер')
    expect(row).toMatchObject({
      parent_id: parent.id,
      default_group_id: group.id,
      default_priority: 'high',
      response_minutes: 30,
      resolution_minutes: 240,
      active: 1,
    })
    expect(await journal(db, 'category.create')).toMatchObject([{ actor_id: curator.user.id, channel: 'web' }])

    const page = await getPage(app, created.location ?? '', curator)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Создано')
    expect(page.text).toContain('30 мин / 4 ч')
    expect(page.text).toContain('Высокий')
    // Parents in order, each followed by its children.
    expect(at(page.text, 'Аптека')).toBeLessThan(at(page.text, 'Оборудование'))
    expect(at(page.text, 'Оборудование')).toBeLessThan(at(page.text, '>Принтер<'))
    expect(page.text).toContain('tree-child')
    expect(inlineProblems(page.text)).toEqual([])
  })

  test('a curator edits a category, disables and enables it', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const category = await buildCategory(db, { name: 'Сеть', responseMinutes: 60 })
    const edit = await getPage(app, `/categories/${category.id}/edit`, curator)
    expect(edit.status).toBe(200)
    expect(edit.text).toContain('value="Сеть"')
    expect(edit.text).toContain('value="60"')

    const saved = await postForm(app, `/categories/${category.id}`, curator, {
      name: 'Сеть и интернет',
      description: '',
      parent: '',
      group: '',
      priority: 'critical',
      response: '',
      resolution: '120',
    })
    expect(saved.status).toBe(303)
    expect((await listCategories(db))[0]).toMatchObject({
      name: 'Сеть и интернет',
      default_priority: 'critical',
      response_minutes: null,
      resolution_minutes: 120,
    })

    expect((await postForm(app, `/categories/${category.id}/active`, curator, { active: '0' })).location).toBe(
      `/categories?done=disabled#category-${category.id}`,
    )
    expect((await listCategories(db))[0]?.active).toBe(0)
    expect((await getPage(app, '/categories', curator)).text).toContain('Отключена')
    await postForm(app, `/categories/${category.id}/active`, curator, { active: '1' })
    expect((await listCategories(db))[0]?.active).toBe(1)
  })

  test('↑ and ↓ reorder siblings only', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const a = await buildCategory(db, { name: 'Альфа' })
    await buildCategory(db, { name: 'Бета' })
    const c = await buildCategory(db, { name: 'Гамма' })
    await buildCategory(db, { name: 'Дочерняя', parentId: a.id })
    const moved = await postForm(app, `/categories/${c.id}/move`, curator, { direction: 'up' })
    expect(moved.status).toBe(303)
    const top = async () => (await listCategories(db)).filter((x) => x.parent_id === null).map((x) => x.name)
    expect(await top()).toEqual(['Альфа', 'Гамма', 'Бета'])
    await postForm(app, `/categories/${a.id}/move`, curator, { direction: 'down' })
    expect(await top()).toEqual(['Гамма', 'Альфа', 'Бета'])
    // The first one cannot go higher: nothing changes.
    const before = await dataSnapshot(db)
    await postForm(app, `/categories/${c.id}/move`, curator, { direction: 'up' })
    expect(await dataSnapshot(db)).toEqual(before)
  })

  test.each([
    ['an empty name', { name: '  ' }, 'Поле «Название» не заполнено'],
    ['minutes that are not a number', { response: 'час' }, 'Срок реакции, минут'],
    ['zero minutes', { resolution: '0' }, 'Срок решения, минут'],
    ['an unknown group', { group: '999999' }, 'Группа исполнителей не найдена'],
    ['an unknown priority', { priority: 'urgent' }, 'Выберите приоритет'],
  ])('%s is refused in Russian beside the form; nothing changes', async (_name, change, message) => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const before = await dataSnapshot(db)
    const result = await postForm(app, '/categories', curator, {
      name: 'Принтер',
      priority: 'normal',
      parent: '',
      group: '',
      response: '',
      resolution: '',
      ...change,
    })
    expect(result.status).toBe(422)
    expect(result.text).toContain(message)
    expect(result.text).toContain('Новая категория')
    expect(await dataSnapshot(db)).toEqual(before)
  })

  test('a duplicate name among siblings is refused; an unknown category is 404', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    await buildCategory(db, { name: 'Сеть' })
    const other = await buildCategory(db, { name: 'МИС' })
    const result = await postForm(app, `/categories/${other.id}`, curator, { name: 'сеть', priority: 'normal' })
    expect(result.status).toBe(422)
    expect(result.text).toContain('Категория с таким названием здесь уже есть')
    expect(result.text).toContain('value="сеть"')
    expect((await getPage(app, '/categories/999999/edit', curator)).status).toBe(404)
    expect((await postForm(app, '/categories/999999/active', curator, { active: '0' })).status).toBe(404)
  })
})

describe('/departments', () => {
  test('a curator adds, renames, reorders and disables departments', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    await buildDepartment(db, 'Терапия')
    const created = await postForm(app, '/departments', curator, { name: 'Хирургия' })
    expect(created.status).toBe(303)
    const names = async () => (await listDepartments(db)).map((d) => d.name)
    expect(await names()).toEqual(['Терапия', 'Хирургия'])
    const surgery = (await listDepartments(db)).find((d) => d.name === 'Хирургия')
    if (!surgery) throw new Error('not created')

    await postForm(app, `/departments/${surgery.id}`, curator, { name: 'Хирургия № 1' })
    await postForm(app, `/departments/${surgery.id}/move`, curator, { direction: 'up' })
    expect(await names()).toEqual(['Хирургия № 1', 'Терапия'])
    await postForm(app, `/departments/${surgery.id}/active`, curator, { active: '0' })
    const page = await getPage(app, '/departments?done=disabled', curator)
    expect(page.status).toBe(200)
    expect(page.text).toContain('value="Хирургия № 1"')
    expect(page.text).toContain('Отключено')
    expect(inlineProblems(page.text)).toEqual([])
    expect((await journal(db, 'department.update')).length).toBeGreaterThanOrEqual(3)
  })

  test('a duplicate or empty name is refused in Russian beside its form; nothing changes', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    await buildDepartment(db, 'Терапия')
    const other = await buildDepartment(db, 'Хирургия')
    const before = await dataSnapshot(db)
    const duplicate = await postForm(app, '/departments', admin, { name: 'терапия' })
    expect(duplicate.status).toBe(422)
    expect(duplicate.text).toContain('Отделение с таким названием уже есть')
    const empty = await postForm(app, `/departments/${other.id}`, admin, { name: ' ' })
    expect(empty.status).toBe(422)
    expect(empty.text).toContain('Поле «Название» не заполнено')
    expect(await dataSnapshot(db)).toEqual(before)
  })
})

describe('/groups', () => {
  test('a curator creates a group with members, edits it and disables it; the list names the members', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator', fullName: 'Куратор Кира' })
    const executor = await buildUser(db, { role: 'executor', fullName: 'Исполнитель Иван' })
    const other = await buildUser(db, { role: 'executor', fullName: 'Исполнитель Пётр' })
    await buildUser(db, { role: 'requester', fullName: 'Заявитель Зоя' })

    const form = await getPage(app, '/groups/new', curator)
    expect(form.text).toContain('Исполнитель Иван')
    expect(form.text).toContain('Куратор Кира')
    expect(form.text).not.toContain('Заявитель Зоя')

    // Two ticked members: the same field twice, as a browser sends checkboxes.
    const body = new URLSearchParams({ name: 'Сети', description: 'Коммутаторы, Wi-Fi' })
    body.append('member', String(executor.id))
    body.append('member', String(curator.user.id))
    body.set('_csrf', curator.csrf)
    const response = await app.request('/groups', {
      method: 'POST',
      body: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: curator.cookie },
    })
    expect(response.status).toBe(303)
    const group = (await listGroups(db)).find((g) => g.name === 'Сети')
    expect(group?.memberIds).toEqual([curator.user.id, executor.id].sort((a, b) => a - b))
    if (!group) throw new Error('not created')

    const list = await getPage(app, '/groups', curator)
    expect(list.text).toContain('Исполнитель Иван')
    expect(list.text).toContain('Коммутаторы, Wi-Fi')
    expect(inlineProblems(list.text)).toEqual([])
    expect((await journal(db, 'group.list')).at(-1)).toMatchObject({ pdn_related: 1, actor_id: curator.user.id })

    const saved = await postForm(app, `/groups/${group.id}`, curator, {
      name: 'Сети и связь',
      description: '',
      member: String(other.id),
    })
    expect(saved.status).toBe(303)
    expect((await listGroups(db)).find((g) => g.id === group.id)).toMatchObject({
      name: 'Сети и связь',
      description: null,
      memberIds: [other.id],
    })
    await postForm(app, `/groups/${group.id}/active`, curator, { active: '0' })
    expect((await listGroups(db)).find((g) => g.id === group.id)?.active).toBe(0)
  })

  test('a requester cannot be made a member; an empty name is refused; nothing changes', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const requester = await buildUser(db, { role: 'requester' })
    const group = await buildGroup(db, 'МИС')
    const before = await dataSnapshot(db)
    const member = await postForm(app, '/groups', curator, { name: 'Сети', member: String(requester.id) })
    expect(member.status).toBe(422)
    expect(member.text).toContain('В группу можно включить только активных исполнителей')
    const empty = await postForm(app, `/groups/${group.id}`, curator, { name: '' })
    expect(empty.status).toBe(422)
    expect(empty.text).toContain('Поле «Название» не заполнено')
    const junk = await postForm(app, `/groups/${group.id}`, curator, { name: 'МИС', member: 'abc' })
    expect(junk.status).toBe(422)
    expect(await dataSnapshot(db)).toEqual(before)
  })
})

describe('who may manage the catalogues', () => {
  const pages = ['/categories', '/categories/new', '/departments', '/groups', '/groups/new']

  test.each(['curator', 'admin'] as const)('a %s opens every page', async (role) => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role })
    for (const path of pages) {
      const page = await getPage(app, path, who)
      expect(page.status, path).toBe(200)
      expect(inlineProblems(page.text), path).toEqual([])
    }
  })

  test.each(['requester', 'executor'] as const)(
    'a %s gets 404 for pages and changes; denials are journaled',
    async (role) => {
      const { db } = await testDatabase()
      const { app } = testApp(db)
      const who = await webUser(db, { role })
      const category = await buildCategory(db)
      const department = await buildDepartment(db)
      const group = await buildGroup(db)
      const before = await dataSnapshot(db)
      for (const path of [...pages, `/categories/${category.id}/edit`, `/groups/${group.id}/edit`]) {
        expect((await getPage(app, path, who)).status, path).toBe(404)
      }
      const posts: Array<[string, Record<string, string>]> = [
        ['/categories', { name: 'Сеть', priority: 'normal' }],
        [`/categories/${category.id}/active`, { active: '0' }],
        [`/categories/${category.id}/move`, { direction: 'up' }],
        ['/departments', { name: 'Хирургия' }],
        [`/departments/${department.id}`, { name: 'Другое' }],
        ['/groups', { name: 'Сети' }],
        [`/groups/${group.id}/active`, { active: '0' }],
      ]
      for (const [path, fields] of posts) expect((await postForm(app, path, who, fields)).status, path).toBe(404)
      expect(await dataSnapshot(db)).toEqual(before)
      const denied = await db.selectFrom('audit_log').select('action').where('result', '=', 'denied').execute()
      expect(denied).toHaveLength(pages.length + 2 + posts.length)
    },
  )

  test.each(['pending', 'deactivated'] as const)('a %s account’s session is sent to the login', async (status) => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    await db.updateTable('users').set({ status }).where('id', '=', curator.user.id).execute()
    const before = await dataSnapshot(db)
    for (const path of ['/categories', '/departments', '/groups']) {
      expect((await getPage(app, path, curator)).location, path).toBe(`/login?next=${encodeURIComponent(path)}`)
    }
    expect((await postForm(app, '/departments', curator, { name: 'Хирургия' })).status).toBe(401)
    expect(await dataSnapshot(db)).toEqual(before)
  })

  test('a change without the CSRF token is refused with 403 and changes nothing', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const category = await buildCategory(db)
    const before = await dataSnapshot(db)
    for (const [path, fields] of [
      ['/categories', { name: 'Сеть', priority: 'normal' }],
      [`/categories/${category.id}/active`, { active: '0' }],
      ['/departments', { name: 'Хирургия' }],
      ['/groups', { name: 'Сети' }],
    ] as const) {
      expect((await postForm(app, path, curator, fields, { csrf: null })).status, path).toBe(403)
    }
    expect(await dataSnapshot(db)).toEqual(before)
  })
})

describe('in English', () => {
  test('the pages and the 404 page follow the person’s language', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const requester = await webUser(db)
    await db.updateTable('users').set({ language: 'en' }).execute()
    await buildGroup(db, 'Сети')
    const groups = await getPage(app, '/groups', curator)
    expect(groups.text).toContain('Executor groups')
    expect(groups.text).toContain('New group')
    expect(groups.text).toContain('Active')
    const refused = await getPage(app, '/categories', requester)
    expect(refused.status).toBe(404)
    expect(refused.text).toContain('Page not found')
  })
})
