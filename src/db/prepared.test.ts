import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildDepartment, buildUser } from '../../test/support/factories.ts'
import { prepared } from './prepared.ts'
import { transact } from './transaction.ts'

describe('prepared queries', () => {
  test('compiled once, each call reads with its own values, constants of the shape kept', async () => {
    const { db } = await testDatabase()
    const surgery = await buildDepartment(db, 'Хирургия')
    const ivanov = await buildUser(db, { fullName: 'Иванов', departmentId: surgery.id })
    const petrov = await buildUser(db, { fullName: 'Петров', departmentId: surgery.id })
    const deactivated = await buildUser(db, { fullName: 'Сидоров', status: 'deactivated' })
    let builds = 0
    const activeById = prepared((q, p: { id: number }) => {
      builds++
      return q.selectFrom('users').select(['id', 'full_name']).where('id', '=', p.id).where('status', '=', 'active')
    })
    expect(await activeById.first(db, { id: ivanov.id })).toEqual({ id: ivanov.id, full_name: 'Иванов' })
    expect(await activeById.first(db, { id: petrov.id })).toEqual({ id: petrov.id, full_name: 'Петров' })
    // The constant 'active' stayed in the compiled query: the deactivated account is not found.
    expect(await activeById.first(db, { id: deactivated.id })).toBeUndefined()
    expect(builds).toBe(1)
  })

  test('several values, in any order of use, inside a transaction and out of one', async () => {
    const { db } = await testDatabase()
    const department = await buildDepartment(db, 'Терапия')
    const people = prepared((q, p: { department: number; name: string; after: number }) =>
      q
        .selectFrom('users')
        .select('full_name')
        .where('id', '>', p.after)
        .where('full_name', '=', p.name)
        .where('department_id', '=', p.department)
        .orderBy('id'),
    )
    const first = await buildUser(db, { fullName: 'Кузнецова', departmentId: department.id })
    await buildUser(db, { fullName: 'Кузнецова', departmentId: department.id })
    await buildUser(db, { fullName: 'Кузнецова' })
    const names = { department: department.id, name: 'Кузнецова' }
    expect(await people.execute(db, { ...names, after: 0 })).toHaveLength(2)
    expect(await transact(db, (tx) => people.execute(tx, { ...names, after: first.id }))).toHaveLength(1)
  })

  test('writes too: an update with its values', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db, { fullName: 'Смирнов' })
    const rename = prepared((q, p: { id: number; name: string }) =>
      q.updateTable('users').set({ full_name: p.name }).where('id', '=', p.id),
    )
    await rename.execute(db, { id: user.id, name: 'Смирнов-Яковлев' })
    const found = await db.selectFrom('users').select('full_name').where('id', '=', user.id).executeTakeFirst()
    expect(found?.full_name).toBe('Смирнов-Яковлев')
  })

  test('a value the builder computed with instead of passing it on is refused at the first call', async () => {
    const { db } = await testDatabase()
    const next = prepared((q, p: { id: number }) =>
      q
        .selectFrom('users')
        .select('id')
        .where('id', '=', Number(p.id) + 1),
    )
    await expect(next.first(db, { id: 1 })).rejects.toThrow(/id not passed on as values/)
  })
})
