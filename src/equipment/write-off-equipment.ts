import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { loadEquipment, requireEquipmentManage } from './equipment-access.ts'
import { type EquipmentRow, findEquipment } from './equipment-store.ts'

/**
 * Writes a device off (curators, admins): it leaves the registry's list and its sticker files no new tickets;
 * the row stays, with its tickets, for the history and the journal's references.
 */
export async function writeOffEquipment(db: Db, actor: Actor, input: { id: number }): Promise<EquipmentRow> {
  await requireEquipmentManage(db, actor, 'equipment.write_off', input.id)
  return transact(db, async (tx) => {
    const device = await loadEquipment(tx, input.id)
    if (device.status === 'written_off') throw new DomainError('invalid_transition', 'Оборудование уже списано')
    const at = now()
    await tx
      .updateTable('equipment')
      .set({ status: 'written_off', written_off_at: at, written_off_by: actor.id, updated_at: at })
      .where('id', '=', device.id)
      .execute()
    await audit(tx, actor, {
      action: 'equipment.write_off',
      objectType: 'equipment',
      objectId: device.id,
      description: `Списано оборудование № ${device.id}`,
      details: { inventoryNumber: device.inventory_number, from: device.status },
    })
    const updated = await findEquipment(tx, device.id)
    if (!updated) throw new Error(`equipment ${device.id} vanished in its own transaction`)
    return updated
  })
}
