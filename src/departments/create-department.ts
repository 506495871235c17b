import { audit } from '#src/audit/journal.ts'
import type { Db, Department } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { integerIn, NAME_MAX, requiredText } from '#src/users/fields.ts'
import { refuseDuplicate } from '#src/users/unique.ts'
import { departmentNamed } from './department-store.ts'

export interface CreateDepartmentInput {
  name: string
  sortOrder?: number
}

export const SORT_ORDER_LIMIT = 1_000_000

/** Adds a department to the list people pick from (curator or admin). */
export async function createDepartment(db: Db, actor: Actor, input: CreateDepartmentInput): Promise<Department> {
  await authorize(
    db,
    actor,
    'department.manage',
    { action: 'department.create', objectType: 'department', description: 'Отказано в создании отделения' },
    'Нет прав изменять список отделений',
  )
  const name = requiredText(input.name, { label: 'Название', max: NAME_MAX })
  const sortOrder = integerIn(input.sortOrder ?? 0, -SORT_ORDER_LIMIT, SORT_ORDER_LIMIT, 'Порядок')
  return refuseDuplicate('Отделение с таким названием уже есть', () =>
    transact(db, async (tx) => {
      if (await departmentNamed(tx, name)) throw new DomainError('conflict', 'Отделение с таким названием уже есть')
      const at = now()
      const department = await tx
        .insertInto('departments')
        .values({ name, sort_order: sortOrder, created_at: at, updated_at: at })
        .returningAll()
        .executeTakeFirstOrThrow()
      await audit(tx, actor, {
        action: 'department.create',
        objectType: 'department',
        objectId: department.id,
        description: `Создано отделение № ${department.id}`,
        details: { name, sortOrder },
      })
      return department
    }),
  )
}
