import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { checkDutyGroup, checkDutyPerson, requireDutyManage } from './duty-access.ts'
import { checkShiftKind, checkShiftNote, checkShiftSpan } from './duty-rules.ts'
import { type DutyShiftRow, findShift, overlappingShift } from './duty-store.ts'

export interface ShiftInput {
  groupId: number
  userId: number
  /** ISO instants with their zone (`2026-03-02T20:00:00+03:00` or UTC `…Z`). */
  startsAt: string
  endsAt: string
  kind: string
  note?: string | null
}

/** Adds a duty shift to a group's roster (curators and admins). */
export async function createShift(db: Db, actor: Actor, input: ShiftInput): Promise<DutyShiftRow> {
  await requireDutyManage(db, actor, 'duty.create')
  const span = checkShiftSpan(input.startsAt, input.endsAt)
  const kind = checkShiftKind(input.kind)
  const note = checkShiftNote(input.note)
  return transact(db, async (tx) => {
    await checkDutyGroup(tx, input.groupId)
    await checkDutyPerson(tx, input.groupId, input.userId)
    await refuseOverlap(tx, { groupId: input.groupId, userId: input.userId, ...span })
    const at = now()
    const created = await tx
      .insertInto('duty_shifts')
      .values({
        group_id: input.groupId,
        user_id: input.userId,
        starts_at: span.startsAt,
        ends_at: span.endsAt,
        kind,
        note,
        created_by: actor.id,
        created_at: at,
        updated_by: actor.id,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'duty.create',
      objectType: 'duty_shift',
      objectId: created.id,
      description: `Добавлена смена дежурства № ${created.id}`,
      details: { groupId: input.groupId, userId: input.userId, ...span, kind },
    })
    const shift = await findShift(tx, created.id)
    if (!shift) throw new Error(`shift ${created.id} vanished in its own transaction`)
    return shift
  })
}

export async function refuseOverlap(
  tx: Parameters<typeof overlappingShift>[0],
  shift: Parameters<typeof overlappingShift>[1],
): Promise<void> {
  const other = await overlappingShift(tx, shift)
  if (other) {
    throw new DomainError('conflict', `У этого сотрудника уже есть смена в эти часы (№ ${other.id})`, {
      field: 'starts_at',
      shiftId: other.id,
    })
  }
}
