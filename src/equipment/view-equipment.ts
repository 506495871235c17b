import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import { loadEquipment, requireEquipmentUse } from './equipment-access.ts'
import { type EquipmentRow, type EquipmentTicket, equipmentTickets } from './equipment-store.ts'

export interface EquipmentView {
  device: EquipmentRow
  /** Its tickets, newest first. */
  tickets: EquipmentTicket[]
}

/** A device's card with the history of its tickets (IT staff); a journaled read (it names the responsible person). */
export async function viewEquipment(db: Db, actor: Actor, input: { id: number }): Promise<EquipmentView> {
  await requireEquipmentUse(db, actor, 'equipment.view', input.id)
  return transact(db, async (tx) => {
    const device = await loadEquipment(tx, input.id)
    const tickets = await equipmentTickets(tx, device.id)
    await audit(tx, actor, {
      action: 'equipment.view',
      objectType: 'equipment',
      objectId: device.id,
      subjectId: device.responsible_id,
      pdn: device.responsible_id !== null,
      description: `Просмотр оборудования № ${device.id}`,
      details: { tickets: tickets.length },
    })
    return { device, tickets }
  })
}
