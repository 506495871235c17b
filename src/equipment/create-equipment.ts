import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { isUniqueViolation } from '#src/users/unique.ts'
import { checkedDepartment, checkedResponsible, requireEquipmentUse } from './equipment-access.ts'
import {
  checkEditableStatus,
  checkInventoryNumber,
  checkKind,
  checkModel,
  checkRoom,
  checkSerial,
  searchTextOf,
} from './equipment-rules.ts'
import { type EquipmentRow, findEquipment, findEquipmentByInventory } from './equipment-store.ts'

export interface CreateEquipmentInput {
  inventoryNumber: string
  /** The type: «Принтер», «МФУ», «Компьютер», … */
  kind: string
  model?: string | null
  serial?: string | null
  departmentId?: number | null
  room?: string | null
  responsibleId?: number | null
  /** «В эксплуатации» (default) or «В ремонте»; a device is written off by `writeOffEquipment`. */
  status?: string
}

interface NewFields {
  inventory_number: string
  kind: string
  model: string | null
  serial: string | null
  room: string | null
  status: 'in_service' | 'in_repair'
}

/** Adds a device to the registry (IT staff); its inventory number must be new. */
export async function createEquipment(db: Db, actor: Actor, input: CreateEquipmentInput): Promise<EquipmentRow> {
  await requireEquipmentUse(db, actor, 'equipment.create')
  const fields: NewFields = {
    inventory_number: checkInventoryNumber(input.inventoryNumber),
    kind: checkKind(input.kind),
    model: checkModel(input.model),
    serial: checkSerial(input.serial),
    room: checkRoom(input.room),
    status: checkEditableStatus(input.status ?? 'in_service'),
  }
  const taken = () =>
    new DomainError('conflict', `Оборудование с инвентарным номером ${fields.inventory_number} уже есть`)
  try {
    return await insert(db, actor, input, fields, taken)
  } catch (error) {
    // Two people adding the same number at once: the second meets the unique index, not a 500.
    if (isUniqueViolation(error)) throw taken()
    throw error
  }
}

function insert(
  db: Db,
  actor: Actor,
  input: CreateEquipmentInput,
  fields: NewFields,
  taken: () => DomainError,
): Promise<EquipmentRow> {
  return transact(db, async (tx) => {
    if (await findEquipmentByInventory(tx, fields.inventory_number)) {
      throw taken()
    }
    const departmentId = await checkedDepartment(tx, input.departmentId ?? null)
    const responsibleId = await checkedResponsible(tx, input.responsibleId ?? null)
    const at = now()
    const created = await tx
      .insertInto('equipment')
      .values({
        ...fields,
        department_id: departmentId,
        responsible_id: responsibleId,
        search_text: searchTextOf(fields),
        created_by: actor.id,
        created_at: at,
        updated_at: at,
        written_off_at: null,
        written_off_by: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'equipment.create',
      objectType: 'equipment',
      objectId: created.id,
      subjectId: responsibleId,
      pdn: responsibleId !== null,
      description: `Добавлено оборудование № ${created.id}`,
      details: { inventoryNumber: fields.inventory_number, departmentId, responsibleId, status: fields.status },
    })
    const device = await findEquipment(tx, created.id)
    if (!device) throw new Error(`equipment ${created.id} vanished in its own transaction`)
    return device
  })
}
