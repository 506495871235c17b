import { audit } from '#src/audit/journal.ts'
import type { Db, Department } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'

export interface SetDepartmentHeadInput {
  departmentId: number
  /** The head (any active account, usually a doctor with the requester's role); null: none, the curators approve. */
  headUserId: number | null
}

/** Names (or clears) the head who approves a department's access requests (curator or admin, issue 14). */
export async function setDepartmentHead(db: Db, actor: Actor, input: SetDepartmentHeadInput): Promise<Department> {
  await authorize(
    db,
    actor,
    'department.manage',
    {
      action: 'department.head',
      objectType: 'department',
      objectId: input.departmentId,
      description: `Отказано в назначении заведующего отделения № ${input.departmentId}`,
    },
    'Нет прав изменять список отделений',
  )
  return transact(db, async (tx) => {
    const department = await tx
      .selectFrom('departments')
      .selectAll()
      .where('id', '=', input.departmentId)
      .executeTakeFirst()
    if (!department) throw new DomainError('not_found', 'Отделение не найдено')
    if (input.headUserId !== null) {
      const head = await tx.selectFrom('users').select('status').where('id', '=', input.headUserId).executeTakeFirst()
      if (head?.status !== 'active') {
        throw new DomainError('validation', 'Заведующим можно назначить только активного пользователя')
      }
    }
    if (department.head_user_id === input.headUserId) return department
    const updated = await tx
      .updateTable('departments')
      .set({ head_user_id: input.headUserId, updated_at: now() })
      .where('id', '=', department.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'department.head',
      objectType: 'department',
      objectId: department.id,
      subjectId: input.headUserId,
      description:
        input.headUserId === null
          ? `Отделение № ${department.id}: заведующий снят, согласуют кураторы`
          : `Отделение № ${department.id}: назначен заведующий (пользователь № ${input.headUserId})`,
      details: { from: department.head_user_id, to: input.headUserId },
    })
    return updated
  })
}
