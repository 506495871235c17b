import { describe, expect, test } from 'vitest'
import type { Priority } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildGroup } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { findCategory, listCategories } from './category-store.ts'
import { createCategory } from './create-category.ts'
import { updateCategory } from './update-category.ts'

describe('createCategory', () => {
  test.each(['curator', 'admin'] as const)('a %s creates a category with its routing and deadlines', async (role) => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role })
    const group = await buildGroup(db, 'Оргтехника')
    const parent = await buildCategory(db, { name: 'Оборудование' })

    const category = await createCategory(db, actor, {
      name: ' Принтер ',
      description: 'Не печатает, замялась бумага',
      parentId: parent.id,
      defaultGroupId: group.id,
      defaultPriority: 'high',
      responseMinutes: 30,
      resolutionMinutes: 240,
      sortOrder: 2,
    })

    expect(category).toMatchObject({
      name: 'Принтер',
      parent_id: parent.id,
      default_group_id: group.id,
      default_priority: 'high',
      response_minutes: 30,
      resolution_minutes: 240,
      sort_order: 2,
      active: 1,
    })
    expect(await findCategory(db, category.id)).toEqual(category)
    expect((await auditRows(db)).at(-1)).toMatchObject({
      action: 'category.create',
      actor_id: user.id,
      object_type: 'category',
      object_id: String(category.id),
      pdn_related: 0,
    })
  })

  test('defaults: normal priority, the priority deadlines, top level', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const category = await createCategory(db, actor, { name: 'Сеть' })
    expect(category).toMatchObject({
      default_priority: 'normal',
      response_minutes: null,
      resolution_minutes: null,
      parent_id: null,
      default_group_id: null,
      description: null,
    })
  })

  test.each(['executor', 'requester'] as const)('a %s may not; the attempt is journaled', async (role) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role })
    const [denied] = await expectRefusal(db, 'forbidden', () => createCategory(db, actor, { name: 'Сеть' }))
    expect(denied).toMatchObject({ action: 'category.create' })
  })

  test.each([
    ['an empty name', { name: ' ' }],
    ['an unknown priority', { defaultPriority: 'urgent' as Priority }],
    ['zero minutes', { responseMinutes: 0 }],
    ['negative minutes', { resolutionMinutes: -5 }],
    ['fractional minutes', { responseMinutes: 1.5 }],
    ['an unknown parent', { parentId: 999_999 }],
    ['an unknown group', { defaultGroupId: 999_999 }],
  ])('%s is refused as invalid', async (_name, change) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    await expectRefusal(db, 'validation', () => createCategory(db, actor, { name: 'Сеть', ...change }))
  })

  test('categories have one level: a subcategory cannot be a parent', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const top = await buildCategory(db)
    const child = await buildCategory(db, { parentId: top.id })
    await expectRefusal(db, 'validation', () => createCategory(db, actor, { name: 'Внук', parentId: child.id }))
  })

  test('a disabled group cannot receive a new category', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const group = await buildGroup(db)
    await db.updateTable('executor_groups').set({ active: 0 }).where('id', '=', group.id).execute()
    await expectRefusal(db, 'validation', () => createCategory(db, actor, { name: 'Сеть', defaultGroupId: group.id }))
  })

  test('a sibling with the same name is a conflict; the same name under another parent is not', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const hardware = await buildCategory(db, { name: 'Оборудование' })
    const software = await buildCategory(db, { name: 'Программы' })
    await buildCategory(db, { name: 'Другое', parentId: hardware.id })
    await expectRefusal(db, 'conflict', () => createCategory(db, actor, { name: 'другое', parentId: hardware.id }))
    await expectRefusal(db, 'conflict', () => createCategory(db, actor, { name: 'ОБОРУДОВАНИЕ' }))
    expect((await createCategory(db, actor, { name: 'Другое', parentId: software.id })).parent_id).toBe(software.id)
  })
})

describe('updateCategory', () => {
  test('a curator edits, moves and disables a category; only what changed is journaled', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const parent = await buildCategory(db, { name: 'Оборудование' })
    const category = await buildCategory(db, { name: 'Сканер', responseMinutes: 60 })

    const updated = await updateCategory(db, actor, {
      id: category.id,
      name: 'Сканер',
      parentId: parent.id,
      defaultPriority: 'low',
      responseMinutes: null,
      active: false,
    })

    expect(updated).toMatchObject({ parent_id: parent.id, default_priority: 'low', response_minutes: null, active: 0 })
    const last = (await auditRows(db)).at(-1)
    expect(last).toMatchObject({ action: 'category.update', object_id: String(category.id) })
    expect(JSON.parse(last?.details ?? '{}')).toEqual({
      changes: { parent_id: parent.id, default_priority: 'low', response_minutes: null, active: 0 },
    })
  })

  test('resubmitting the same values changes and journals nothing', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const category = await buildCategory(db, { name: 'Сеть' })
    expect(await updateCategory(db, actor, { id: category.id, name: 'Сеть', active: true, parentId: null })).toEqual(
      category,
    )
    expect(await auditRows(db)).toEqual([])
  })

  test('a category with subcategories cannot be put under another one, nor under itself', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const top = await buildCategory(db)
    const other = await buildCategory(db)
    await buildCategory(db, { parentId: top.id })
    await expectRefusal(db, 'validation', () => updateCategory(db, actor, { id: top.id, parentId: other.id }))
    await expectRefusal(db, 'validation', () => updateCategory(db, actor, { id: other.id, parentId: other.id }))
  })

  test('moving next to a sibling of the same name is a conflict', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const parent = await buildCategory(db)
    await buildCategory(db, { name: 'Другое', parentId: parent.id })
    const loose = await buildCategory(db, { name: 'другое' })
    await expectRefusal(db, 'conflict', () => updateCategory(db, actor, { id: loose.id, parentId: parent.id }))
  })

  test('refusals: forbidden, not found, invalid', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const executor = await buildActor(db, { role: 'executor' })
    const category = await buildCategory(db)
    const [denied] = await expectRefusal(db, 'forbidden', () =>
      updateCategory(db, executor.actor, { id: category.id, active: false }),
    )
    expect(denied).toMatchObject({ action: 'category.update', object_id: String(category.id) })
    await expectRefusal(db, 'not_found', () => updateCategory(db, actor, { id: 999_999, active: false }))
    await expectRefusal(db, 'validation', () => updateCategory(db, actor, { id: category.id, resolutionMinutes: 0 }))
    await expectRefusal(db, 'validation', () => updateCategory(db, actor, { id: category.id, defaultGroupId: 999_999 }))
  })
})

describe('listCategories', () => {
  test('lists by sort order, then name; activeOnly leaves out disabled ones', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    await createCategory(db, actor, { name: 'Сеть' })
    await createCategory(db, actor, { name: 'Принтер' })
    await createCategory(db, actor, { name: 'МИС', sortOrder: -10 })
    const old = await createCategory(db, actor, { name: 'Факс' })
    await updateCategory(db, actor, { id: old.id, active: false })
    expect((await listCategories(db)).map((c) => c.name)).toEqual(['МИС', 'Принтер', 'Сеть', 'Факс'])
    expect((await listCategories(db, { activeOnly: true })).map((c) => c.name)).toEqual(['МИС', 'Принтер', 'Сеть'])
  })
})
