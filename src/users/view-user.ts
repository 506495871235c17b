import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { findUser } from './user-store.ts'

export interface ViewUserInput {
  userId: number
}

/**
 * A person's profile for staff (executors, curators, admins), journaled as a read of their ПДн.
 * The row includes the password hash and TOTP secret: edges show `publicUser(user)`.
 */
export async function viewUser(db: Db, actor: Actor, input: ViewUserInput): Promise<User> {
  await authorize(
    db,
    actor,
    'user.view',
    {
      action: 'user.view',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано в просмотре данных пользователя № ${input.userId}`,
    },
    'Нет прав просматривать данные пользователей',
  )
  const user = await findUser(db, input.userId)
  if (!user) throw new DomainError('not_found', 'Пользователь не найден')
  // Journaled with the reads that arrive with it (group commit); returned only once the row is durable.
  await audit(db, actor, {
    action: 'user.view',
    objectType: 'user',
    objectId: user.id,
    subjectId: user.id,
    pdn: true,
    description: `Просмотр данных пользователя № ${user.id}`,
  })
  return user
}
