import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from './actor.ts'
import { can } from './permissions.ts'
import { revokeUserSessions } from './sessions.ts'
import { requireUser } from './user-store.ts'

/**
 * An admin clears someone's 2FA (a lost phone and lost recovery codes): secret and codes gone, every
 * session of the person ended (one may be the thief's), the person told in Telegram where linked.
 * Returns how many sessions were ended.
 */
export async function resetTotp(db: Db, actor: Actor, userId: number): Promise<number> {
  if (!can(actor, 'user.manage')) {
    await auditDenied(db, actor, {
      action: 'auth.totp_reset',
      objectType: 'user',
      objectId: userId,
      subjectId: userId,
      description: `Отказано в сбросе двухфакторной защиты пользователя № ${userId}`,
    })
    throw new DomainError('forbidden', 'Сбрасывать двухфакторную защиту может только администратор')
  }
  return transact(db, async (tx) => {
    const user = await requireUser(tx, userId)
    const had = user.totp_enabled === 1
    await tx
      .updateTable('users')
      .set({ totp_enabled: 0, totp_secret: null, totp_last_step: null, updated_at: now() })
      .where('id', '=', user.id)
      .execute()
    await tx.deleteFrom('totp_recovery_codes').where('user_id', '=', user.id).execute()
    const ended = await revokeUserSessions(tx, user.id)
    await audit(tx, actor, {
      action: 'auth.totp_reset',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Сброшена двухфакторная защита пользователя № ${user.id}, завершено сеансов: ${ended}`,
      details: { was_enabled: had, sessions: ended },
    })
    await notifyUsers(tx, [user.id], { kind: 'totp_reset' })
    return ended
  })
}
