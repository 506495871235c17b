import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { LoginThrottle } from './login-throttle.ts'
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts'
import { revokeUserSessions } from './sessions.ts'
import { findUser } from './user-store.ts'

export interface ChangePasswordInput {
  current: string
  next: string
  /** The session the change is made from: it stays, every other one of the person ends. */
  keepSessionId?: string
}

const WRONG_CURRENT = 'Текущий пароль указан неверно'
const TOO_MANY = 'Слишком много неверных попыток ввести текущий пароль. Подождите несколько минут и повторите'

const defaultThrottle = new LoginThrottle()

/**
 * A person changes their own password (COMPLIANCE.md §5): the current one must be right, the new one
 * pass `passwordProblem`; their other sessions end, as someone who knew the old password may hold one.
 * Guesses at the current password (someone at an unlocked screen) are throttled like logins, per person
 * and address and per person (login-throttle.ts); the person is signed in, so the refusal may say so.
 */
export async function changePassword(
  db: Db,
  actor: Actor,
  input: ChangePasswordInput,
  throttle: LoginThrottle = defaultThrottle,
): Promise<{ revoked: number }> {
  const user = actor.id === null ? undefined : await findUser(db, actor.id)
  if (user?.status !== 'active') throw new DomainError('forbidden', 'Нет прав менять пароль')
  if (user.login === null || user.password_hash === null) {
    throw new DomainError('invalid_transition', 'Для вашей учётной записи вход по паролю не настроен')
  }
  const keys = throttle.passwordKeys(actor.ip, user.id)
  if ((await throttle.isBlocked(db, keys)) || !(await throttle.reserve(db, keys))) {
    await throttle.refusals.record(db, {
      action: 'auth.password_change',
      actor,
      windowKey: `password:${user.id}:${actor.ip ?? 'unknown'}`,
      subjectId: user.id,
      description: `Отказ в смене пароля пользователя № ${user.id}: слишком много неверных попыток текущего пароля`,
    })
    throw new DomainError('rate_limited', TOO_MANY)
  }
  if (!(await verifyPassword(user.password_hash, input.current))) {
    await auditDenied(db, actor, {
      action: 'auth.password_change',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Отказ в смене пароля пользователя № ${user.id}: неверный текущий пароль`,
      details: { reason: 'wrong_password' },
    })
    throw new DomainError('validation', WRONG_CURRENT)
  }
  await throttle.release(db, keys)
  const problem = await passwordProblem(input.next, { login: user.login })
  if (problem) throw new DomainError('validation', problem)
  if (input.next === input.current) throw new DomainError('validation', 'Новый пароль совпадает с текущим')
  // Hashing takes tens of milliseconds: done before the transaction, which then holds no lock meanwhile.
  const passwordHash = await hashPassword(input.next)
  return transact(db, async (tx) => {
    await tx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now() })
      .where('id', '=', user.id)
      .execute()
    const revoked = await revokeUserSessions(tx, user.id, { except: input.keepSessionId })
    await audit(tx, actor, {
      action: 'auth.password_change',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Пользователь № ${user.id} сменил пароль`,
      details: { sessionsRevoked: revoked },
    })
    return { revoked }
  })
}
