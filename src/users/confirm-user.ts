import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { findUser } from './user-store.ts'

export interface ConfirmUserInput {
  userId: number
}

/** Confirms a pending registration (curator or admin) and tells the person. */
export async function confirmUser(db: Db, actor: Actor, input: ConfirmUserInput): Promise<User> {
  await authorize(
    db,
    actor,
    'registration.decide',
    {
      action: 'user.confirm',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано в подтверждении регистрации пользователя № ${input.userId}`,
    },
    'Нет прав подтверждать регистрации',
  )
  return transact(db, async (tx) => {
    const user = await findUser(tx, input.userId)
    if (!user) throw new DomainError('not_found', 'Пользователь не найден')
    const at = now()
    // The status condition makes two curators deciding at once safe: the second one changes nothing.
    const confirmed = await tx
      .updateTable('users')
      .set({ status: 'active', confirmed_at: at, confirmed_by: actor.id, rejection_reason: null, updated_at: at })
      .where('id', '=', user.id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst()
    if (!confirmed) throw new DomainError('invalid_transition', 'Подтвердить можно только ожидающую регистрацию')
    await audit(tx, actor, {
      action: 'user.confirm',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Подтверждена регистрация пользователя № ${user.id}`,
      details: { from: 'pending', to: 'active' },
    })
    await notifyUsers(tx, [user.id], { kind: 'registration_confirmed', data: { subjectId: user.id } })
    return confirmed
  })
}
