import type { Db, Tx } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { type DutyShiftRow, findShift } from './duty-store.ts'

/**
 * The doors of «Дежурства»: IT staff see the roster; curators and admins change it. Refusals are journaled before
 * anything is done (the rights do not depend on the row).
 */

export async function requireDutyView(db: Db, actor: Actor, action: string): Promise<void> {
  await authorize(
    db,
    actor,
    'duty.view',
    { action, objectType: 'duty_shift', description: 'Отказано в доступе к графику дежурств' },
    'График дежурств — для сотрудников ИТ-отдела',
  )
}

export async function requireDutyManage(db: Db, actor: Actor, action: string, shiftId?: number): Promise<void> {
  await authorize(
    db,
    actor,
    'duty.manage',
    {
      action,
      objectType: 'duty_shift',
      objectId: shiftId ?? null,
      description:
        shiftId === undefined
          ? 'Отказано в изменении графика дежурств'
          : `Отказано в действии ${action} со сменой № ${shiftId}`,
    },
    'График дежурств ведут кураторы и администраторы',
  )
}

export async function loadShift(db: Tx, id: number): Promise<DutyShiftRow> {
  const shift = await findShift(db, id)
  if (!shift) throw new DomainError('not_found', 'Смена не найдена')
  return shift
}

/** The group must exist and be active. */
export async function checkDutyGroup(tx: Tx, groupId: number): Promise<void> {
  const group = await tx.selectFrom('executor_groups').select('active').where('id', '=', groupId).executeTakeFirst()
  if (!group) throw new DomainError('validation', 'Группа не найдена', { field: 'group_id' })
  if (Number(group.active) !== 1) throw new DomainError('validation', 'Группа отключена', { field: 'group_id' })
}

/**
 * Who may be on duty for a group: an active executor, curator or admin who is its member, or any active curator
 * or admin (a curator covers a group they do not belong to).
 */
export async function checkDutyPerson(tx: Tx, groupId: number, userId: number): Promise<void> {
  const person = await tx.selectFrom('users').select(['role', 'status']).where('id', '=', userId).executeTakeFirst()
  if (person?.status === 'active' && (person.role === 'curator' || person.role === 'admin')) return
  const member =
    person?.status === 'active' && person.role === 'executor'
      ? await tx
          .selectFrom('group_members')
          .select('user_id')
          .where('group_id', '=', groupId)
          .where('user_id', '=', userId)
          .executeTakeFirst()
      : undefined
  if (!member) {
    throw new DomainError('validation', 'Дежурит активный исполнитель этой группы или куратор', { field: 'user_id' })
  }
}
