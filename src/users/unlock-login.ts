import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { loginSubject, userSubject } from './login-throttle.ts'
import { findUser } from './user-store.ts'

export interface UnlockLoginInput {
  userId: number
}

/**
 * Lets a person try their password again at once (admin): forgets the failed attempts counted for their
 * login from every address and for their current password on /profile. An address's own count (someone
 * trying many logins from there) stays.
 */
export async function unlockLogin(db: Db, actor: Actor, input: UnlockLoginInput): Promise<{ cleared: number }> {
  await authorize(
    db,
    actor,
    'user.manage',
    {
      action: 'user.unlock',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      description: `Отказано в снятии ограничения входа пользователя № ${input.userId}`,
    },
    'Нет прав снимать ограничение входа',
  )
  return transact(db, async (tx) => {
    const user = await findUser(tx, input.userId)
    if (!user) throw new DomainError('not_found', 'Пользователь не найден')
    const subjects = [userSubject(user.id), ...(user.login === null ? [] : [loginSubject(user.login)])]
    const deleted = await tx.deleteFrom('login_throttle').where('subject', 'in', subjects).executeTakeFirst()
    const cleared = Number(deleted.numDeletedRows)
    await audit(tx, actor, {
      action: 'user.unlock',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Снято ограничение входа пользователя № ${user.id}`,
      details: { cleared },
    })
    return { cleared }
  })
}
