import type { DutyShift, Role, Tx } from '#src/db/schema.ts'

/** A shift with the names the roster shows: the group's and the person's (name and role only). */
export interface DutyShiftRow extends DutyShift {
  group_name: string
  person_name: string
  person_role: Role
}

function shiftsWithNames(db: Tx) {
  return db
    .selectFrom('duty_shifts')
    .innerJoin('executor_groups', 'executor_groups.id', 'duty_shifts.group_id')
    .innerJoin('users', 'users.id', 'duty_shifts.user_id')
    .selectAll('duty_shifts')
    .select(['executor_groups.name as group_name', 'users.full_name as person_name', 'users.role as person_role'])
}

export async function findShift(db: Tx, id: number): Promise<DutyShiftRow | undefined> {
  return shiftsWithNames(db).where('duty_shifts.id', '=', id).executeTakeFirst()
}

/** Shifts that overlap [from, to), by start; of one group when asked. */
export async function shiftsBetween(db: Tx, from: string, to: string, groupId?: number): Promise<DutyShiftRow[]> {
  let query = shiftsWithNames(db).where('duty_shifts.starts_at', '<', to).where('duty_shifts.ends_at', '>', from)
  if (groupId !== undefined) query = query.where('duty_shifts.group_id', '=', groupId)
  return query.orderBy('duty_shifts.starts_at').orderBy('duty_shifts.id').execute()
}

/** Shifts covering the instant, of active people in active groups (who is on duty now). */
export async function shiftsAt(db: Tx, at: string, groupId?: number): Promise<DutyShiftRow[]> {
  let query = shiftsWithNames(db)
    .where('duty_shifts.starts_at', '<=', at)
    .where('duty_shifts.ends_at', '>', at)
    .where('users.status', '=', 'active')
    .where('executor_groups.active', '=', 1)
  if (groupId !== undefined) query = query.where('duty_shifts.group_id', '=', groupId)
  return query.orderBy('executor_groups.name').orderBy('duty_shifts.starts_at').orderBy('duty_shifts.id').execute()
}

/** Another shift of the same person in the same group that overlaps this span, if any. */
export async function overlappingShift(
  db: Tx,
  shift: { groupId: number; userId: number; startsAt: string; endsAt: string; exceptId?: number },
): Promise<DutyShift | undefined> {
  let query = db
    .selectFrom('duty_shifts')
    .selectAll()
    .where('group_id', '=', shift.groupId)
    .where('user_id', '=', shift.userId)
    .where('starts_at', '<', shift.endsAt)
    .where('ends_at', '>', shift.startsAt)
  if (shift.exceptId !== undefined) query = query.where('id', '!=', shift.exceptId)
  return query.executeTakeFirst()
}

/** Who may be put on duty: active IT staff (executors, curators, admins), by name; name and role only. */
export async function dutyCandidates(db: Tx): Promise<Array<{ id: number; name: string; role: Role }>> {
  const rows = await db
    .selectFrom('users')
    .select(['id', 'full_name', 'role'])
    .where('status', '=', 'active')
    .where('role', 'in', ['executor', 'curator', 'admin'])
    .execute()
  const collator = new Intl.Collator('ru', { sensitivity: 'base' })
  return rows
    .map((r) => ({ id: r.id, name: r.full_name, role: r.role }))
    .sort((a, b) => collator.compare(a.name, b.name) || a.id - b.id)
}
