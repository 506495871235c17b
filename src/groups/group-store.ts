import type { ExecutorGroup, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'

export interface GroupWithMembers extends ExecutorGroup {
  memberIds: number[]
}

/** All executor groups, active and disabled, by name, each with its members' ids. */
export async function listGroups(db: Tx): Promise<GroupWithMembers[]> {
  const groups = await db.selectFrom('executor_groups').selectAll().execute()
  const members = await db.selectFrom('group_members').select(['group_id', 'user_id']).orderBy('user_id').execute()
  const collator = new Intl.Collator('ru', { sensitivity: 'base', numeric: true })
  return groups
    .sort((a, b) => collator.compare(a.name, b.name) || a.id - b.id)
    .map((g) => ({ ...g, memberIds: members.filter((m) => m.group_id === g.id).map((m) => m.user_id) }))
}

/** Ids of the group's members, ascending (whatever their status: routing checks that itself). */
export async function groupMemberIds(db: Tx, groupId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('group_members')
    .select('user_id')
    .where('group_id', '=', groupId)
    .orderBy('user_id')
    .execute()
  return rows.map((r) => r.user_id)
}

/** The executor groups the person is a member of, ascending. */
export async function memberGroupIds(db: Tx, userId: number | null): Promise<number[]> {
  if (userId === null) return []
  const rows = await db
    .selectFrom('group_members')
    .select('group_id')
    .where('user_id', '=', userId)
    .orderBy('group_id')
    .execute()
  return rows.map((r) => r.group_id)
}

export async function findGroup(db: Tx, id: number): Promise<ExecutorGroup | undefined> {
  return db.selectFrom('executor_groups').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The group (other than `exceptId`) whose name differs from this one only in case, if any. */
export async function groupNamed(db: Tx, name: string, exceptId?: number): Promise<ExecutorGroup | undefined> {
  const lower = name.toLocaleLowerCase('ru')
  const all = await db.selectFrom('executor_groups').selectAll().execute()
  return all.find((g) => g.id !== exceptId && g.name.toLocaleLowerCase('ru') === lower)
}

/**
 * Members must be able to work on заявки: active executors, curators or admins. Returns the ids
 * without duplicates, ascending; refuses the whole list if any new id does not qualify. Present members
 * (`current`) may stay whatever their status: a deactivated colleague must not block renaming the group.
 */
export async function checkedMemberIds(
  db: Tx,
  ids: readonly number[],
  current: readonly number[] = [],
): Promise<number[]> {
  const unique = [...new Set(ids)].sort((a, b) => a - b)
  const added = unique.filter((id) => !current.includes(id))
  if (added.length === 0) return unique
  const eligible = await db
    .selectFrom('users')
    .select('id')
    .where('id', 'in', added)
    .where('status', '=', 'active')
    .where('role', 'in', ['executor', 'curator', 'admin'])
    .execute()
  const ok = new Set(eligible.map((u) => u.id))
  const bad = added.filter((id) => !ok.has(id))
  if (bad.length > 0) {
    throw new DomainError(
      'validation',
      `В группу можно включить только активных исполнителей, кураторов и администраторов (не подходят: № ${bad.join(', № ')})`,
      { userIds: bad },
    )
  }
  return unique
}

/** Makes the group's members exactly these users (already checked). */
export async function replaceMembers(db: Tx, groupId: number, userIds: readonly number[]): Promise<void> {
  await db.deleteFrom('group_members').where('group_id', '=', groupId).execute()
  if (userIds.length === 0) return
  const at = now()
  await db
    .insertInto('group_members')
    .values(userIds.map((userId) => ({ group_id: groupId, user_id: userId, created_at: at })))
    .execute()
}
