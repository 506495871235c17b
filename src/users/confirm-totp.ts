import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { checkTotpCode, issueRecoveryCodes } from './totp.ts'
import { requireUser } from './user-store.ts'

export const WRONG_TOTP_CODE = 'Неверный или уже использованный код из приложения'

/**
 * Confirms one's pending enrolment with a code from the app (proof that the phone holds the secret) and
 * returns ten recovery codes, shown once: only their digests are kept.
 */
export async function confirmTotp(db: Db, actor: Actor, secretKey: string, code: string): Promise<string[]> {
  if (actor.id === null || actor.status !== 'active') throw new DomainError('forbidden', 'Нет доступа')
  const userId = actor.id
  const outcome = await transact(db, async (tx) => {
    const user = await requireUser(tx, userId)
    if (user.totp_enabled === 1) throw new DomainError('conflict', 'Двухфакторная защита уже включена')
    if (user.totp_secret === null) {
      throw new DomainError('conflict', 'Сначала начните подключение: получите ключ для приложения')
    }
    if (!(await checkTotpCode(tx, user, secretKey, code))) return null
    await tx.updateTable('users').set({ totp_enabled: 1, updated_at: now() }).where('id', '=', user.id).execute()
    const codes = await issueRecoveryCodes(tx, user.id)
    await audit(tx, actor, {
      action: 'auth.totp_enroll',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Включена двухфакторная защита пользователя № ${user.id}`,
    })
    return codes
  })
  if (outcome === null) {
    await auditDenied(db, actor, {
      action: 'auth.totp_enroll',
      objectType: 'user',
      objectId: userId,
      subjectId: userId,
      description: `Неверный код при подключении двухфакторной защиты пользователя № ${userId}`,
    })
    throw new DomainError('validation', WRONG_TOTP_CODE, { fields: [{ path: 'code', message: WRONG_TOTP_CODE }] })
  }
  return outcome
}
