import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { activeUserIdsWithRoles, notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { findUser } from './user-store.ts'

export interface DeactivateUserInput {
  userId: number
}

/**
 * Deactivates an active account (admin): it can no longer log in or file заявки, its web sessions and
 * API tokens stop working at once, and curators are told. History stays attributed to the person.
 */
export async function deactivateUser(db: Db, actor: Actor, input: DeactivateUserInput): Promise<User> {
  await authorize(
    db,
    actor,
    'user.manage',
    {
      action: 'user.deactivate',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано в отключении пользователя № ${input.userId}`,
    },
    'Нет прав отключать пользователей',
  )
  return transact(db, async (tx) => {
    const user = await findUser(tx, input.userId)
    if (!user) throw new DomainError('not_found', 'Пользователь не найден')
    // Locking oneself out would leave the hospital without the admin who noticed the mistake.
    if (user.id === actor.id) throw new DomainError('conflict', 'Нельзя отключить собственную учётную запись')
    const at = now()
    const deactivated = await tx
      .updateTable('users')
      .set({ status: 'deactivated', deactivated_at: at, updated_at: at })
      .where('id', '=', user.id)
      .where('status', '=', 'active')
      .returningAll()
      .executeTakeFirst()
    if (!deactivated) throw new DomainError('invalid_transition', 'Отключить можно только активную учётную запись')
    const revoked = await revokeAccess(tx, user.id, at)
    await audit(tx, actor, {
      action: 'user.deactivate',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Отключена учётная запись пользователя № ${user.id}`,
      details: { from: 'active', to: 'deactivated', ...revoked },
    })
    const curators = await activeUserIdsWithRoles(tx, ['curator'])
    await notifyUsers(tx, curators, { kind: 'account_deactivated', data: { subjectId: user.id } })
    return deactivated
  })
}

export interface RevokedAccess {
  sessionsRevoked: number
  apiTokensRevoked: number
}

/** Ends every live web session and API token of a person at `at` (deactivation, withdrawn consent). */
export async function revokeAccess(tx: Db, userId: number, at: string): Promise<RevokedAccess> {
  const sessions = await tx
    .updateTable('sessions')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  const tokens = await tx
    .updateTable('api_tokens')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return { sessionsRevoked: Number(sessions.numUpdatedRows), apiTokensRevoked: Number(tokens.numUpdatedRows) }
}
