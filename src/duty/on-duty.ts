import type { Db, Role, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import type { Actor } from '#src/users/actor.ts'
import { requireDutyView } from './duty-access.ts'
import { shiftsAt } from './duty-store.ts'

/** A person on duty as anyone may be told: the name and the role, nothing else (no phone, no chat). */
export interface OnDutyPerson {
  userId: number
  name: string
  role: Role
  kind: 'day' | 'night' | 'other'
  endsAt: string
}

export interface OnDutyGroup {
  groupId: number
  groupName: string
  people: OnDutyPerson[]
}

/**
 * «Кто дежурит сейчас»: per active group with someone on duty at `at`, the people whose shift covers it (active
 * accounts only), groups by name. What the dashboard, the bot's `/duty` and the API show.
 */
export async function whoIsOnDuty(db: Tx, at: string = now()): Promise<OnDutyGroup[]> {
  const shifts = await shiftsAt(db, at)
  const groups: OnDutyGroup[] = []
  for (const shift of shifts) {
    let group = groups.find((g) => g.groupId === shift.group_id)
    if (!group) {
      group = { groupId: shift.group_id, groupName: shift.group_name, people: [] }
      groups.push(group)
    }
    if (group.people.some((p) => p.userId === shift.user_id)) continue
    group.people.push({
      userId: shift.user_id,
      name: shift.person_name,
      role: shift.person_role,
      kind: shift.kind,
      endsAt: shift.ends_at,
    })
  }
  return groups
}

/**
 * Ids of the group's duty people at `at`: its executors on duty first — a curator with a shift in the group is
 * the curator on duty, the next level — and the curators only when no one else is on duty there.
 */
export async function onDutyIds(db: Tx, groupId: number, at: string): Promise<number[]> {
  const shifts = await shiftsAt(db, at, groupId)
  const executors = shifts.filter((s) => s.person_role !== 'curator')
  return [...new Set((executors.length > 0 ? executors : shifts).map((s) => s.user_id))]
}

/** Ids of the curators (and admins standing in) on duty in any group at `at`. */
export async function curatorsOnDutyIds(db: Tx, at: string): Promise<number[]> {
  const shifts = await shiftsAt(db, at)
  return [...new Set(shifts.filter((s) => s.person_role === 'curator').map((s) => s.user_id))]
}

/** «Кто дежурит сейчас» for the web and the API: IT staff only (the bot's `/duty` answers any active person). */
export async function viewOnDuty(db: Db, actor: Actor): Promise<OnDutyGroup[]> {
  await requireDutyView(db, actor, 'duty.now')
  return whoIsOnDuty(db)
}
