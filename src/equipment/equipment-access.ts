import type { Db, Tx } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { type EquipmentRow, findEquipment } from './equipment-store.ts'

/** The doors of «Оборудование»: IT staff see and edit; curators and admins write off and import. */

export const EQUIPMENT_STAFF_ONLY = 'Реестр оборудования — для сотрудников ИТ-отдела'
export const EQUIPMENT_MANAGERS_ONLY = 'Списывать и импортировать оборудование могут кураторы и администраторы'

/** Refuses (journaled, 403) anyone who is not IT staff. */
export async function requireEquipmentUse(db: Db, actor: Actor, action: string, equipmentId?: number): Promise<void> {
  await authorize(
    db,
    actor,
    'equipment.use',
    {
      action,
      objectType: 'equipment',
      objectId: equipmentId ?? null,
      description:
        equipmentId === undefined
          ? 'Отказано в доступе к реестру оборудования'
          : `Отказано в действии с оборудованием № ${equipmentId}`,
    },
    EQUIPMENT_STAFF_ONLY,
  )
}

/** Refuses (journaled, 403) anyone but curators and admins. */
export async function requireEquipmentManage(
  db: Db,
  actor: Actor,
  action: string,
  equipmentId?: number,
): Promise<void> {
  await authorize(
    db,
    actor,
    'equipment.manage',
    {
      action,
      objectType: 'equipment',
      objectId: equipmentId ?? null,
      description:
        equipmentId === undefined
          ? 'Отказано в изменении реестра оборудования'
          : `Отказано в действии с оборудованием № ${equipmentId}`,
    },
    EQUIPMENT_MANAGERS_ONLY,
  )
}

export async function loadEquipment(tx: Tx, id: number): Promise<EquipmentRow> {
  const device = await findEquipment(tx, id)
  if (!device) throw new DomainError('not_found', 'Оборудование не найдено')
  return device
}

/** The department must exist; a disabled one is refused for a new placement (it keeps the devices it has). */
export async function checkedDepartment(tx: Tx, id: number | null, current?: number | null): Promise<number | null> {
  if (id === null || id === current) return id
  const department = await tx.selectFrom('departments').select('active').where('id', '=', id).executeTakeFirst()
  if (!department) throw new DomainError('validation', 'Отделение не найдено')
  if (Number(department.active) !== 1) throw new DomainError('validation', 'Отделение отключено')
  return id
}

/** The person responsible: an account that exists and is not destroyed (pseudonymised). */
export async function checkedResponsible(tx: Tx, id: number | null, current?: number | null): Promise<number | null> {
  if (id === null || id === current) return id
  const user = await tx
    .selectFrom('users')
    .select(['status', 'pseudonymised_at'])
    .where('id', '=', id)
    .executeTakeFirst()
  if (!user || user.pseudonymised_at !== null || user.status !== 'active') {
    throw new DomainError('validation', 'Ответственный не найден или его учётная запись не активна')
  }
  return id
}

/**
 * The person typed as responsible (a form's field): by табельный номер, else by ФИО when exactly one active
 * account has it (namesakes are not guessed between). Refused in Russian otherwise.
 */
export async function findResponsible(tx: Tx, typed: string): Promise<number> {
  const text = typed.trim()
  const byNumber = await tx
    .selectFrom('users')
    .select('id')
    .where('employee_number', '=', text)
    .where('status', '=', 'active')
    .where('pseudonymised_at', 'is', null)
    .executeTakeFirst()
  if (byNumber) return byNumber.id
  const named = await tx
    .selectFrom('users')
    .select('id')
    .where('full_name', '=', text.replace(/\s+/g, ' '))
    .where('status', '=', 'active')
    .where('pseudonymised_at', 'is', null)
    .limit(2)
    .execute()
  const [only] = named
  if (named.length === 1 && only) return only.id
  if (named.length > 1) {
    throw new DomainError('validation', `Несколько сотрудников с ФИО «${text}» — укажите табельный номер`)
  }
  throw new DomainError('validation', `Ответственный «${text}» не найден среди активных пользователей`)
}
