import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { unreadCount } from './notification-store.ts'
import { requireStaff } from './staff-only.ts'

/** One notification (`id`), or every one (`all`). */
export type ReadNotificationsInput = { id: number } | { all: true }

/**
 * «Прочитано»: marks one of the person's own notifications read, or all of them; returns the unread left.
 * Another person's notification, or none by that number, is `not_found` (the number tells nothing). Marking
 * again changes nothing. Not journaled: a person's own marks on their own list touch nobody's data.
 */
export async function readNotifications(db: Db, actor: Actor, input: ReadNotificationsInput): Promise<number> {
  const userId = await requireStaff(db, actor, 'notification.read')
  return transact(db, async (tx) => {
    const at = now()
    if ('id' in input) {
      const own = await tx
        .selectFrom('web_notifications')
        .select(['id', 'read_at'])
        .where('id', '=', input.id)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      if (!own) throw new DomainError('not_found', 'Уведомление не найдено')
      if (own.read_at === null) {
        await tx.updateTable('web_notifications').set({ read_at: at }).where('id', '=', own.id).execute()
      }
    } else {
      await tx
        .updateTable('web_notifications')
        .set({ read_at: at })
        .where('user_id', '=', userId)
        .where('read_at', 'is', null)
        .execute()
    }
    return unreadCount(tx, userId)
  })
}
