import type { Db } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { requireDutyView } from './duty-access.ts'
import { DUTY_RANGE_MAX_DAYS } from './duty-rules.ts'
import { type DutyShiftRow, shiftsBetween } from './duty-store.ts'

/** The roster between two instants (IT staff): shifts that overlap [from, to), by start; of one group if asked. */
export async function listShifts(
  db: Db,
  actor: Actor,
  input: { from: string; to: string; groupId?: number },
): Promise<DutyShiftRow[]> {
  await requireDutyView(db, actor, 'duty.list')
  if (!(input.from < input.to)) throw new DomainError('validation', 'Конец периода — позже начала')
  if (Date.parse(input.to) - Date.parse(input.from) > DUTY_RANGE_MAX_DAYS * 86_400_000) {
    throw new DomainError('validation', `Период — не длиннее ${DUTY_RANGE_MAX_DAYS} дней`)
  }
  return shiftsBetween(db, input.from, input.to, input.groupId)
}
