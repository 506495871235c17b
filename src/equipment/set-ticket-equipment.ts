import type { Db, Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { lockedStatuses, statusLabels } from '#src/tickets/rules.ts'
import { auditTicket, journalingDenials, loadVisibleTicket, requirePermission } from '#src/tickets/ticket-access.ts'
import { findTicket, recordTicketEvent } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { findEquipment, findEquipmentByInventory } from './equipment-store.ts'

export interface SetTicketEquipmentInput {
  ticketId: number
  /** The device by id, or by its inventory number (as staff type it); both absent or null: none. */
  equipmentId?: number | null
  inventoryNumber?: string | null
}

/**
 * Staff say which device a ticket is about (or that it is about none): the ticket's event says so, the journal
 * records it. A written-off device is not chosen anew; a ticket that already names it keeps it.
 */
export async function setTicketEquipment(db: Db, actor: Actor, input: SetTicketEquipmentInput): Promise<Ticket> {
  return journalingDenials(db, actor, { action: 'ticket.equipment', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId)
      requirePermission(actor, 'ticket.update', ticket, 'Нет прав изменять заявку')
      if (!can(actor, 'equipment.use')) throw new DomainError('forbidden', 'Нет прав выбирать оборудование')
      if (lockedStatuses.includes(ticket.status)) {
        throw new DomainError('invalid_transition', `Заявку в статусе «${statusLabels[ticket.status]}» изменить нельзя`)
      }
      const typed = input.inventoryNumber?.trim() ?? ''
      const device =
        typed !== ''
          ? await findEquipmentByInventory(tx, typed)
          : input.equipmentId
            ? await findEquipment(tx, input.equipmentId)
            : null
      if (device === undefined) {
        throw new DomainError(
          'validation',
          typed !== '' ? `Оборудование с инвентарным номером ${typed} не найдено` : 'Оборудование не найдено',
        )
      }
      const equipmentId = device?.id ?? null
      if (equipmentId === ticket.equipment_id) return ticket
      if (device && device.status === 'written_off') {
        throw new DomainError('validation', `Оборудование инв. № ${device.inventory_number} списано`)
      }
      const at = now()
      await tx
        .updateTable('tickets')
        .set({ equipment_id: equipmentId, updated_at: at })
        .where('id', '=', ticket.id)
        .execute()
      await recordTicketEvent(tx, {
        ticketId: ticket.id,
        actorId: actor.id,
        kind: 'equipment_changed',
        from: ticket.equipment_id,
        to: equipmentId,
        at,
      })
      await auditTicket(
        tx,
        actor,
        ticket,
        'ticket.equipment',
        equipmentId === null
          ? `Заявка № ${ticket.id} больше не привязана к оборудованию`
          : `Заявка № ${ticket.id} привязана к оборудованию № ${equipmentId}`,
        { from: ticket.equipment_id, to: equipmentId },
      )
      const updated = await findTicket(tx, ticket.id)
      if (!updated) throw new Error(`ticket ${ticket.id} vanished in its own transaction`)
      return updated
    }),
  )
}
