import type { Updateable } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import type { Db, DutyShiftsTable } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import { refuseOverlap } from './create-shift.ts'
import { checkDutyGroup, checkDutyPerson, loadShift, requireDutyManage } from './duty-access.ts'
import { checkShiftKind, checkShiftNote, checkShiftSpan } from './duty-rules.ts'
import { type DutyShiftRow, findShift } from './duty-store.ts'

export interface UpdateShiftInput {
  id: number
  groupId?: number
  /** Another person: a swap, journaled with the old and the new person. */
  userId?: number
  startsAt?: string
  endsAt?: string
  kind?: string
  note?: string | null
}

/** Changes a shift (curators and admins): its times, kind, note, group, or its person (a swap). */
export async function updateShift(db: Db, actor: Actor, input: UpdateShiftInput): Promise<DutyShiftRow> {
  await requireDutyManage(db, actor, 'duty.update', input.id)
  const kind = input.kind === undefined ? undefined : checkShiftKind(input.kind)
  const note = input.note === undefined ? undefined : checkShiftNote(input.note)
  return transact(db, async (tx) => {
    const shift = await loadShift(tx, input.id)
    const span = checkShiftSpan(input.startsAt ?? shift.starts_at, input.endsAt ?? shift.ends_at)
    const groupId = input.groupId ?? shift.group_id
    const userId = input.userId ?? shift.user_id
    const change: Updateable<DutyShiftsTable> = {}
    if (groupId !== shift.group_id) change.group_id = groupId
    if (userId !== shift.user_id) change.user_id = userId
    if (span.startsAt !== shift.starts_at) change.starts_at = span.startsAt
    if (span.endsAt !== shift.ends_at) change.ends_at = span.endsAt
    if (kind !== undefined && kind !== shift.kind) change.kind = kind
    if (note !== undefined && note !== shift.note) change.note = note
    if (Object.keys(change).length === 0) return shift
    if (change.group_id !== undefined) await checkDutyGroup(tx, groupId)
    if (change.group_id !== undefined || change.user_id !== undefined) await checkDutyPerson(tx, groupId, userId)
    await refuseOverlap(tx, { groupId, userId, ...span, exceptId: shift.id })
    await tx
      .updateTable('duty_shifts')
      .set({ ...change, updated_by: actor.id, updated_at: now() })
      .where('id', '=', shift.id)
      .execute()
    const swap = change.user_id !== undefined
    await audit(tx, actor, {
      action: swap ? 'duty.swap' : 'duty.update',
      objectType: 'duty_shift',
      objectId: shift.id,
      description: swap ? `Замена в смене дежурства № ${shift.id}` : `Изменена смена дежурства № ${shift.id}`,
      details: {
        changed: Object.keys(change).filter((key) => key !== 'note'),
        ...(swap ? { userId: { from: shift.user_id, to: userId } } : {}),
        ...(change.starts_at !== undefined || change.ends_at !== undefined
          ? { from: { startsAt: shift.starts_at, endsAt: shift.ends_at }, to: span }
          : {}),
        ...(change.note !== undefined ? { note: true } : {}),
      },
    })
    const updated = await findShift(tx, shift.id)
    if (!updated) throw new Error(`shift ${shift.id} vanished in its own transaction`)
    return updated
  })
}
