import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db, Role } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { WRONG_TOTP_CODE } from './confirm-totp.ts'
import { checkSecondFactor } from './totp.ts'
import { requireUser } from './user-store.ts'

export interface DisableTotpInput {
  code: string
  secretKey: string
  /** AUTH_REQUIRE_2FA: these roles may not turn it off. */
  requiredRoles: readonly Role[]
}

/** Turns one's own 2FA off with a current code (or a recovery code), where the policy allows. */
export async function disableTotp(db: Db, actor: Actor, input: DisableTotpInput): Promise<void> {
  if (actor.id === null || actor.status !== 'active') throw new DomainError('forbidden', 'Нет доступа')
  const userId = actor.id
  const ok = await transact(db, async (tx) => {
    const user = await requireUser(tx, userId)
    if (user.totp_enabled !== 1) throw new DomainError('conflict', 'Двухфакторная защита не включена')
    if (input.requiredRoles.includes(user.role)) {
      throw new DomainError('forbidden', 'Для Вашей роли двухфакторная защита обязательна: отключить её нельзя')
    }
    if (!(await checkSecondFactor(tx, user, input.secretKey, input.code))) return false
    await tx
      .updateTable('users')
      .set({ totp_enabled: 0, totp_secret: null, totp_last_step: null, updated_at: now() })
      .where('id', '=', user.id)
      .execute()
    await tx.deleteFrom('totp_recovery_codes').where('user_id', '=', user.id).execute()
    await audit(tx, actor, {
      action: 'auth.totp_disable',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Отключена двухфакторная защита пользователя № ${user.id}`,
    })
    return true
  })
  if (!ok) {
    await auditDenied(db, actor, {
      action: 'auth.totp_disable',
      objectType: 'user',
      objectId: userId,
      subjectId: userId,
      description: `Неверный код при отключении двухфакторной защиты пользователя № ${userId}`,
    })
    throw new DomainError('validation', WRONG_TOTP_CODE, { fields: [{ path: 'code', message: WRONG_TOTP_CODE }] })
  }
}
