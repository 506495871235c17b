import { expect, test } from 'vitest'
import { createDepartment } from '#src/departments/create-department.ts'
import { DomainError } from '#src/errors.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { transact } from './transaction.ts'

test('inside an open transaction a refused use case rolls back only its own writes', async () => {
  const { db } = await testDatabase()
  const actor = systemActor('bot')
  await db.transaction().execute(async (tx) => {
    await createDepartment(tx, actor, { name: 'Хирургия № 1' })
    await expect(createDepartment(tx, actor, { name: 'Хирургия № 1' })).rejects.toBeInstanceOf(DomainError)
    await transact(tx, async (inner) => {
      await inner.insertInto('telegram_inbox').values({ update_id: 1, kind: 'message', received_at: 'x' }).execute()
    })
  })
  const names = await db.selectFrom('departments').select('name').execute()
  expect(names).toEqual([{ name: 'Хирургия № 1' }])
  expect(await db.selectFrom('telegram_inbox').select('update_id').execute()).toHaveLength(1)
})

test('a failure of the outer transaction takes the nested use case with it', async () => {
  const { db } = await testDatabase()
  await expect(
    db.transaction().execute(async (tx) => {
      await createDepartment(tx, systemActor('bot'), { name: 'Кардиология' })
      throw new Error('update failed')
    }),
  ).rejects.toThrow('update failed')
  expect(await db.selectFrom('departments').select('id').execute()).toHaveLength(0)
})

test('use cases nested three deep: a refused inner one rolls back to its own savepoint, not to an outer one', async () => {
  // Every level's savepoint has the same name (savepoint.ts): each must still undo its own writes only.
  const { db } = await testDatabase()
  const actor = systemActor('bot')
  await db.transaction().execute(async (tx) => {
    await transact(tx, async (outer) => {
      await createDepartment(outer, actor, { name: 'Внешний уровень' })
      await transact(outer, async (middle) => {
        await createDepartment(middle, actor, { name: 'Средний уровень' })
        await expect(
          transact(middle, async (inner) => {
            await createDepartment(inner, actor, { name: 'Внутренний уровень' })
            throw new DomainError('conflict', 'отказ')
          }),
        ).rejects.toThrow('отказ')
        await createDepartment(middle, actor, { name: 'После отказа' })
      })
    })
  })
  const names = (await db.selectFrom('departments').select('name').orderBy('id').execute()).map((row) => row.name)
  expect(names).toEqual(['Внешний уровень', 'Средний уровень', 'После отказа'])
})
