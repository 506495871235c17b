import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import { loadShift, requireDutyManage } from './duty-access.ts'

/** Removes a shift from the roster (curators and admins); the journal keeps who, whose and when it was. */
export async function deleteShift(db: Db, actor: Actor, input: { id: number }): Promise<void> {
  await requireDutyManage(db, actor, 'duty.delete', input.id)
  await transact(db, async (tx) => {
    const shift = await loadShift(tx, input.id)
    await tx.deleteFrom('duty_shifts').where('id', '=', shift.id).execute()
    await audit(tx, actor, {
      action: 'duty.delete',
      objectType: 'duty_shift',
      objectId: shift.id,
      description: `Удалена смена дежурства № ${shift.id}`,
      details: {
        groupId: shift.group_id,
        userId: shift.user_id,
        startsAt: shift.starts_at,
        endsAt: shift.ends_at,
        kind: shift.kind,
      },
    })
  })
}
