import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { can } from './permissions.ts'
import { revokeUserSessions } from './sessions.ts'
import { requireUser } from './user-store.ts'

export interface RevokeSessionsInput {
  userId: number
  /** One session (its stored id); without it, every live session of the person. */
  sessionId?: string
}

/**
 * Ends web sessions (COMPLIANCE.md §5: list and revoke sessions): an admin ends anyone's, a person their
 * own. The next request of a revoked session goes to the login page. Returns how many were live.
 */
export async function revokeSessions(db: Db, actor: Actor, input: RevokeSessionsInput): Promise<number> {
  const own = actor.id !== null && actor.id === input.userId && actor.status === 'active'
  if (!own && !can(actor, 'user.manage')) {
    await auditDenied(db, actor, {
      action: 'auth.session_revoke',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      description: `Отказано в завершении сеансов пользователя № ${input.userId}`,
    })
    throw new DomainError('forbidden', 'Нет прав завершать чужие сеансы')
  }
  return transact(db, async (tx) => {
    const user = await requireUser(tx, input.userId)
    const ended = await revokeUserSessions(tx, user.id, { only: input.sessionId })
    // A session of someone else, or one already ended: nothing to do, and nothing to journal.
    if (input.sessionId !== undefined && ended === 0) throw new DomainError('not_found', 'Сеанс не найден')
    await audit(tx, actor, {
      action: 'auth.session_revoke',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description:
        input.sessionId === undefined
          ? `Завершены все сеансы пользователя № ${user.id}: ${ended}`
          : `Завершён сеанс пользователя № ${user.id}`,
      details: { count: ended, all: input.sessionId === undefined },
    })
    return ended
  })
}
