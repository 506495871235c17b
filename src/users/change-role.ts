import { audit } from '#src/audit/journal.ts'
import { type Db, type Role, roles, type User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { findUser } from './user-store.ts'

export interface ChangeRoleInput {
  userId: number
  role: Role
}

/**
 * Gives a person another role (admin). A requester cannot belong to executor groups, so a demotion to
 * requester also takes them out of their groups. Setting the role they already have changes nothing.
 */
export async function changeRole(db: Db, actor: Actor, input: ChangeRoleInput): Promise<User> {
  await authorize(
    db,
    actor,
    'user.manage',
    {
      action: 'user.role_change',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано в смене роли пользователя № ${input.userId}`,
      details: { role: input.role },
    },
    'Нет прав менять роли',
  )
  if (!(roles as readonly string[]).includes(input.role)) throw new DomainError('validation', 'Неизвестная роль')
  return transact(db, async (tx) => {
    const user = await findUser(tx, input.userId)
    if (!user) throw new DomainError('not_found', 'Пользователь не найден')
    if (user.role === input.role) return user
    // An admin is the top role, so any change of one's own role is a demotion that cannot be undone alone.
    if (user.id === actor.id) throw new DomainError('conflict', 'Нельзя изменить собственную роль')
    const changed = await tx
      .updateTable('users')
      .set({ role: input.role, updated_at: now() })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    const left =
      input.role === 'requester'
        ? Number(
            (await tx.deleteFrom('group_members').where('user_id', '=', user.id).executeTakeFirst()).numDeletedRows,
          )
        : 0
    await audit(tx, actor, {
      action: 'user.role_change',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Изменена роль пользователя № ${user.id}: ${user.role} → ${input.role}`,
      details: { from: user.role, to: input.role, groupsLeft: left },
    })
    return changed
  })
}
