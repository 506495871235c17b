import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { newTotpSecret, otpauthUrl, sealSecret } from './totp.ts'
import { requireUser } from './user-store.ts'

export interface TotpEnrollment {
  /** Base32, for typing into the app by hand. */
  secret: string
  otpauthUrl: string
}

/**
 * Starts (or restarts) one's own TOTP enrolment: a new secret, stored sealed and pending until a code
 * confirms it. A person who already has 2FA on must turn it off first, so that a stolen session cannot
 * silently swap the second factor.
 */
export async function beginTotp(db: Db, actor: Actor, secretKey: string): Promise<TotpEnrollment> {
  if (actor.id === null || actor.status !== 'active') throw new DomainError('forbidden', 'Нет доступа')
  const userId = actor.id
  return transact(db, async (tx) => {
    const user = await requireUser(tx, userId)
    if (user.totp_enabled === 1) {
      throw new DomainError(
        'conflict',
        'Двухфакторная защита уже включена: чтобы сменить приложение, сначала отключите её',
      )
    }
    const secret = newTotpSecret()
    await tx
      .updateTable('users')
      .set({ totp_secret: sealSecret(secretKey, secret), totp_last_step: null, updated_at: now() })
      .where('id', '=', user.id)
      .execute()
    await audit(tx, actor, {
      action: 'auth.totp_enroll_begin',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Начато подключение двухфакторной защиты пользователя № ${user.id}`,
    })
    return { secret, otpauthUrl: otpauthUrl(user, secret) }
  })
}
