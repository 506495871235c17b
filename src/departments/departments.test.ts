import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildDepartment } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { createDepartment } from './create-department.ts'
import { listDepartments } from './department-store.ts'
import { updateDepartment } from './update-department.ts'

describe('createDepartment', () => {
  test.each(['curator', 'admin'] as const)('a %s adds a department, journaled', async (role) => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role })
    const department = await createDepartment(db, actor, { name: '  Приёмное отделение ', sortOrder: 5 })
    expect(department).toMatchObject({ name: 'Приёмное отделение', sort_order: 5, active: 1 })
    expect((await auditRows(db)).at(-1)).toMatchObject({
      action: 'department.create',
      actor_id: user.id,
      object_type: 'department',
      object_id: String(department.id),
      pdn_related: 0,
    })
  })

  test.each(['executor', 'requester'] as const)('a %s may not; the attempt is journaled', async (role) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role })
    const [denied] = await expectRefusal(db, 'forbidden', () => createDepartment(db, actor, { name: 'Хирургия' }))
    expect(denied).toMatchObject({ action: 'department.create' })
  })

  test.each([
    ['an empty name', { name: '   ' }],
    ['a name over 200 characters', { name: 'Х'.repeat(201) }],
    ['a fractional sort order', { name: 'Хирургия', sortOrder: 1.5 }],
  ])('%s is refused as invalid', async (_name, input) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    await expectRefusal(db, 'validation', () => createDepartment(db, actor, input))
  })

  test('a name that exists, in any case, is a conflict', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    await buildDepartment(db, 'Хирургия')
    await expectRefusal(db, 'conflict', () => createDepartment(db, actor, { name: 'хирургия ' }))
  })
})

describe('createDepartment, at the same time', () => {
  test('two curators adding the same name at once: one department, one conflict', async () => {
    const { db } = await testDatabase()
    const a = await buildActor(db, { role: 'curator' })
    const b = await buildActor(db, { role: 'curator' })
    const results = await Promise.allSettled([
      createDepartment(db, a.actor, { name: 'Реанимация' }),
      createDepartment(db, b.actor, { name: 'Реанимация' }),
    ])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'conflict' } })
    expect(await listDepartments(db)).toHaveLength(1)
  })
})

describe('updateDepartment', () => {
  test('a curator renames, reorders and disables a department', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const department = await buildDepartment(db, 'Терапия')
    const updated = await updateDepartment(db, actor, {
      id: department.id,
      name: 'Терапия № 1',
      sortOrder: 3,
      active: false,
    })
    expect(updated).toMatchObject({ name: 'Терапия № 1', sort_order: 3, active: 0 })
    const last = (await auditRows(db)).at(-1)
    expect(last).toMatchObject({ action: 'department.update', object_id: String(department.id) })
    expect(JSON.parse(last?.details ?? '{}')).toEqual({ changes: { name: 'Терапия № 1', sort_order: 3, active: 0 } })
  })

  test('an update that changes nothing journals nothing', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const department = await buildDepartment(db, 'Терапия')
    expect(await updateDepartment(db, actor, { id: department.id, name: 'Терапия', active: true })).toEqual(department)
    expect(await auditRows(db)).toEqual([])
  })

  test('a department keeps its own name in another case', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const department = await buildDepartment(db, 'терапия')
    expect((await updateDepartment(db, actor, { id: department.id, name: 'Терапия' })).name).toBe('Терапия')
  })

  test('refusals: forbidden, not found, invalid, conflict', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const executor = await buildActor(db, { role: 'executor' })
    const department = await buildDepartment(db, 'Терапия')
    await buildDepartment(db, 'Хирургия')
    await expectRefusal(db, 'forbidden', () =>
      updateDepartment(db, executor.actor, { id: department.id, active: false }),
    )
    await expectRefusal(db, 'not_found', () => updateDepartment(db, actor, { id: 999_999, name: 'Х' }))
    await expectRefusal(db, 'validation', () => updateDepartment(db, actor, { id: department.id, name: '' }))
    await expectRefusal(db, 'conflict', () => updateDepartment(db, actor, { id: department.id, name: 'ХИРУРГИЯ' }))
  })
})

describe('listDepartments', () => {
  test('lists by sort order, then name in Russian order; activeOnly hides disabled ones', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const names = ['яслевое', 'Ёлочное', 'Анестезиология', 'ёмкое', 'Ежевичное']
    for (const name of names) await createDepartment(db, actor, { name })
    const first = await createDepartment(db, actor, { name: 'Юридический отдел', sortOrder: -1 })
    const hidden = await createDepartment(db, actor, { name: 'Архив' })
    await updateDepartment(db, actor, { id: hidden.id, active: false })

    expect((await listDepartments(db)).map((d) => d.name)).toEqual([
      first.name,
      'Анестезиология',
      'Архив',
      'Ежевичное',
      'Ёлочное',
      'ёмкое',
      'яслевое',
    ])
    expect((await listDepartments(db, { activeOnly: true })).map((d) => d.name)).not.toContain('Архив')
  })
})
