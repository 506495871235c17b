import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { hasOptedOut } from './outage-store.ts'

/**
 * A person's own choice (the announcement's «Не присылать такие объявления», or the checkbox of the web profile):
 * no more outage announcements, or them again. Journaled when it changes. Returns whether they are now on.
 */
export async function setOutageNotices(db: Db, actor: Actor, input: { on: boolean }): Promise<boolean> {
  const userId = actor.id
  if (userId === null) throw new DomainError('validation', 'Объявления получают сотрудники, а не система')
  return transact(db, async (tx) => {
    const off = await hasOptedOut(tx, userId)
    if (off === !input.on) return input.on
    if (input.on) await tx.deleteFrom('outage_opt_outs').where('user_id', '=', userId).execute()
    else await tx.insertInto('outage_opt_outs').values({ user_id: userId, created_at: now() }).execute()
    await audit(tx, actor, {
      action: input.on ? 'outage.notices_on' : 'outage.notices_off',
      objectType: 'user',
      objectId: userId,
      subjectId: userId,
      description: input.on
        ? 'Пользователь снова получает объявления о массовых сбоях'
        : 'Пользователь отказался от объявлений о массовых сбоях',
    })
    return input.on
  })
}

/** Whether a person gets outage announcements (their web profile's checkbox). */
export async function outageNoticesOn(db: Db, userId: number): Promise<boolean> {
  return !(await hasOptedOut(db, userId))
}
