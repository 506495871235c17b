import type { Tx } from '#src/db/schema.ts'
import { findEquipment } from './equipment-store.ts'

/** What anyone filing a ticket from a sticker learns of the device: no person's data, only where it stands. */
export interface ReportedEquipment {
  id: number
  inventoryNumber: string
  kind: string
  model: string | null
  departmentId: number | null
  departmentName: string | null
  room: string | null
}

/**
 * The device a sticker's link names, for the new ticket it begins (web form, bot); undefined for a number that is
 * not a device, or a written-off one (it files nothing new). Any signed-in person may ask: a requester never sees
 * the registry, only this.
 */
export async function reportedEquipment(db: Tx, id: number): Promise<ReportedEquipment | undefined> {
  const device = await findEquipment(db, id)
  if (!device || device.status === 'written_off') return undefined
  return {
    id: device.id,
    inventoryNumber: device.inventory_number,
    kind: device.kind,
    model: device.model,
    departmentId: device.department_id,
    departmentName: device.department_name,
    room: device.room,
  }
}
