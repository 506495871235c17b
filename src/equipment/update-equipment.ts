import type { Updateable } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import type { Db, EquipmentTable } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { isUniqueViolation } from '#src/users/unique.ts'
import { checkedDepartment, checkedResponsible, loadEquipment, requireEquipmentUse } from './equipment-access.ts'
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

export interface UpdateEquipmentInput {
  id: number
  inventoryNumber?: string
  kind?: string
  model?: string | null
  serial?: string | null
  departmentId?: number | null
  room?: string | null
  responsibleId?: number | null
  /** «В эксплуатации» or «В ремонте». */
  status?: string
}

/** Changes a device's fields (IT staff). A written-off device is history: it is not changed any more. */
export async function updateEquipment(db: Db, actor: Actor, input: UpdateEquipmentInput): Promise<EquipmentRow> {
  await requireEquipmentUse(db, actor, 'equipment.update', input.id)
  const asked = {
    inventory_number: input.inventoryNumber === undefined ? undefined : checkInventoryNumber(input.inventoryNumber),
    kind: input.kind === undefined ? undefined : checkKind(input.kind),
    model: input.model === undefined ? undefined : checkModel(input.model),
    serial: input.serial === undefined ? undefined : checkSerial(input.serial),
    room: input.room === undefined ? undefined : checkRoom(input.room),
    status: input.status === undefined ? undefined : checkEditableStatus(input.status),
  }
  try {
    return await transact(db, async (tx) => {
      const device = await loadEquipment(tx, input.id)
      if (device.status === 'written_off') {
        throw new DomainError('invalid_transition', 'Оборудование списано: его карточку больше не меняют')
      }
      const change: Updateable<EquipmentTable> = {}
      for (const key of ['inventory_number', 'kind', 'model', 'serial', 'room', 'status'] as const) {
        const value = asked[key]
        if (value !== undefined && value !== device[key]) Object.assign(change, { [key]: value })
      }
      if (change.inventory_number !== undefined && (await findEquipmentByInventory(tx, change.inventory_number))) {
        throw taken(change.inventory_number)
      }
      if (input.departmentId !== undefined && input.departmentId !== device.department_id) {
        change.department_id = await checkedDepartment(tx, input.departmentId, device.department_id)
      }
      if (input.responsibleId !== undefined && input.responsibleId !== device.responsible_id) {
        change.responsible_id = await checkedResponsible(tx, input.responsibleId, device.responsible_id)
      }
      const changed = Object.keys(change)
      if (changed.length === 0) return device
      const after = { ...device, ...change } as typeof device
      await tx
        .updateTable('equipment')
        .set({ ...change, search_text: searchTextOf(after), updated_at: now() })
        .where('id', '=', device.id)
        .execute()
      const responsibleChanged = 'responsible_id' in change
      await audit(tx, actor, {
        action: 'equipment.update',
        objectType: 'equipment',
        objectId: device.id,
        subjectId: responsibleChanged ? (change.responsible_id ?? device.responsible_id) : null,
        pdn: responsibleChanged,
        description: `Изменено оборудование № ${device.id}`,
        details: {
          changed,
          ...(change.status !== undefined ? { status: { from: device.status, to: change.status } } : {}),
          ...(responsibleChanged ? { responsible: { from: device.responsible_id, to: change.responsible_id } } : {}),
          ...('department_id' in change
            ? { department: { from: device.department_id, to: change.department_id } }
            : {}),
        },
      })
      const updated = await findEquipment(tx, device.id)
      if (!updated) throw new Error(`equipment ${device.id} vanished in its own transaction`)
      return updated
    })
  } catch (error) {
    if (isUniqueViolation(error) && asked.inventory_number !== undefined) throw taken(asked.inventory_number)
    throw error
  }
}

function taken(inventoryNumber: string): DomainError {
  return new DomainError('conflict', `Оборудование с инвентарным номером ${inventoryNumber} уже есть`)
}
