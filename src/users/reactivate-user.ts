import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { latestConsent } from './consent.ts'
import { findUser } from './user-store.ts'

export interface ReactivateUserInput {
  userId: number
}

/** Gives a deactivated account back its access (admin); sessions revoked at deactivation stay revoked. */
export async function reactivateUser(db: Db, actor: Actor, input: ReactivateUserInput): Promise<User> {
  await authorize(
    db,
    actor,
    'user.manage',
    {
      action: 'user.reactivate',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано во включении пользователя № ${input.userId}`,
    },
    'Нет прав включать пользователей',
  )
  return transact(db, async (tx) => {
    const user = await findUser(tx, input.userId)
    if (!user) throw new DomainError('not_found', 'Пользователь не найден')
    // A pseudonymised person is «Субъект № N»: there is nobody left to give access to.
    if (user.pseudonymised_at !== null) {
      throw new DomainError('invalid_transition', 'Данные пользователя уничтожены, учётную запись нельзя включить')
    }
    // Withdrawn consent ends processing (152-ФЗ ст. 9 ч. 2); only a new consent may bring the person back.
    const consent = await latestConsent(tx, user.id)
    if (consent?.status === 'withdrawn') {
      throw new DomainError(
        'invalid_transition',
        'Пользователь отозвал согласие на обработку ПДн, нужно новое согласие',
      )
    }
    const reactivated = await tx
      .updateTable('users')
      .set({ status: 'active', deactivated_at: null, updated_at: now() })
      .where('id', '=', user.id)
      .where('status', '=', 'deactivated')
      .returningAll()
      .executeTakeFirst()
    if (!reactivated) throw new DomainError('invalid_transition', 'Включить можно только отключённую учётную запись')
    await audit(tx, actor, {
      action: 'user.reactivate',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Включена учётная запись пользователя № ${user.id}`,
      details: { from: 'deactivated', to: 'active' },
    })
    return reactivated
  })
}
