import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { requiredText } from './fields.ts'
import { findUser } from './user-store.ts'

export interface RejectUserInput {
  userId: number
  /** Told to the person; required. */
  reason: string
}

export const REJECTION_REASON_MAX = 1000

/** Rejects a pending registration with a reason (curator or admin) and tells the person. */
export async function rejectUser(db: Db, actor: Actor, input: RejectUserInput): Promise<User> {
  await authorize(
    db,
    actor,
    'registration.decide',
    {
      action: 'user.reject',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано в отклонении регистрации пользователя № ${input.userId}`,
    },
    'Нет прав отклонять регистрации',
  )
  const reason = requiredText(input.reason, { label: 'Причина отклонения', max: REJECTION_REASON_MAX })
  return transact(db, async (tx) => {
    const user = await findUser(tx, input.userId)
    if (!user) throw new DomainError('not_found', 'Пользователь не найден')
    const rejected = await tx
      .updateTable('users')
      .set({ status: 'rejected', rejection_reason: reason, updated_at: now() })
      .where('id', '=', user.id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst()
    if (!rejected) throw new DomainError('invalid_transition', 'Отклонить можно только ожидающую регистрацию')
    // The reason stays in the user's row: free text may name people, and the journal holds ids only.
    await audit(tx, actor, {
      action: 'user.reject',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Отклонена регистрация пользователя № ${user.id}`,
      details: { from: 'pending', to: 'rejected' },
    })
    await notifyUsers(tx, [user.id], { kind: 'registration_rejected', data: { subjectId: user.id } })
    return rejected
  })
}
