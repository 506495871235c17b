import { audit } from '#src/audit/journal.ts'
import type { Db, Department } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { integerIn, NAME_MAX, requiredText } from '#src/users/fields.ts'
import { refuseDuplicate } from '#src/users/unique.ts'
import { SORT_ORDER_LIMIT } from './create-department.ts'
import { departmentNamed, findDepartment } from './department-store.ts'

export interface UpdateDepartmentInput {
  id: number
  name?: string
  /** False hides it from new registrations; people already in it keep it. */
  active?: boolean
  sortOrder?: number
}

/** Renames, reorders, disables or enables a department (curator or admin). */
export async function updateDepartment(db: Db, actor: Actor, input: UpdateDepartmentInput): Promise<Department> {
  await authorize(
    db,
    actor,
    'department.manage',
    {
      action: 'department.update',
      objectType: 'department',
      objectId: input.id,
      description: `Отказано в изменении отделения № ${input.id}`,
    },
    'Нет прав изменять список отделений',
  )
  const name = input.name === undefined ? undefined : requiredText(input.name, { label: 'Название', max: NAME_MAX })
  const sortOrder =
    input.sortOrder === undefined
      ? undefined
      : integerIn(input.sortOrder, -SORT_ORDER_LIMIT, SORT_ORDER_LIMIT, 'Порядок')
  return refuseDuplicate('Отделение с таким названием уже есть', () =>
    transact(db, async (tx) => {
      const department = await findDepartment(tx, input.id)
      if (!department) throw new DomainError('not_found', 'Отделение не найдено')
      if (name !== undefined && (await departmentNamed(tx, name, department.id))) {
        throw new DomainError('conflict', 'Отделение с таким названием уже есть')
      }
      const changes = {
        ...(name !== undefined && name !== department.name ? { name } : {}),
        ...(input.active !== undefined && Number(input.active) !== Number(department.active)
          ? { active: input.active ? (1 as const) : (0 as const) }
          : {}),
        ...(sortOrder !== undefined && sortOrder !== department.sort_order ? { sort_order: sortOrder } : {}),
      }
      if (Object.keys(changes).length === 0) return department
      const updated = await tx
        .updateTable('departments')
        .set({ ...changes, updated_at: now() })
        .where('id', '=', department.id)
        .returningAll()
        .executeTakeFirstOrThrow()
      await audit(tx, actor, {
        action: 'department.update',
        objectType: 'department',
        objectId: department.id,
        description: `Изменено отделение № ${department.id}`,
        details: { changes },
      })
      return updated
    }),
  )
}
