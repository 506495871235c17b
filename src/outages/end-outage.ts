import type { Ticket, Tx } from '#src/db/schema.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import { auditTicket } from '#src/tickets/ticket-access.ts'
import { recordTicketEvent, saveTicket } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { openChildrenOf } from './outage-store.ts'

/**
 * The end of an outage, in the transaction of its parent ticket's resolution (changeStatus calls this when a
 * ticket is resolved or cancelled; «Сбой устранён» resolves the parent through changeStatus): the outage is
 * stamped resolved — no child joins it afterwards — and every child not yet resolved, closed or cancelled is
 * resolved with the parent's result, each on its timeline, each requester told once, by the resolve path's own
 * notice (`ticket_resolved`, with «Подтверждаю» / «Не решено»). Nothing when the ticket is no open outage's.
 * Returns the children resolved.
 */
export async function endOutageOfTicket(tx: Tx, actor: Actor, parent: Ticket, at: string): Promise<number[]> {
  const outage = await tx
    .selectFrom('outages')
    .select(['id'])
    .where('ticket_id', '=', parent.id)
    .where('resolved_at', 'is', null)
    .executeTakeFirst()
  if (!outage) return []
  await tx.updateTable('outages').set({ resolved_at: at, resolved_by: actor.id }).where('id', '=', outage.id).execute()
  const resolution = parent.resolution ?? parent.cancel_reason ?? 'Массовый сбой устранён'
  const children = await openChildrenOf(tx, parent.id)
  for (const child of children) {
    await saveTicket(tx, child.id, { status: 'resolved', resolution, resolved_at: at, updated_at: at })
    await recordTicketEvent(tx, {
      ticketId: child.id,
      actorId: actor.id,
      kind: 'status_changed',
      from: child.status,
      to: 'resolved',
      details: { resolution: true, outageId: outage.id, parentId: parent.id },
      at,
    })
    await auditTicket(
      tx,
      actor,
      { id: child.id, requester_id: child.requester_id },
      'ticket.resolve',
      `Заявка № ${child.id} решена вместе с массовым сбоем № ${outage.id} (заявка № ${parent.id})`,
      { from: child.status, to: 'resolved', outageId: outage.id },
    )
  }
  await recordTicketEvent(tx, {
    ticketId: parent.id,
    actorId: actor.id,
    kind: 'outage_resolved',
    to: outage.id,
    details: { outageId: outage.id, children: children.length },
    at,
  })
  await auditTicket(
    tx,
    actor,
    parent,
    'outage.resolve',
    `Массовый сбой № ${outage.id} устранён; решено присоединённых заявок: ${children.length}`,
    { outageId: outage.id, childIds: children.map((c) => c.id) },
  )
  // One message a child: each child's requester hears of their own ticket, through the notice of any resolution.
  for (const child of children) {
    if (child.requester_id !== actor.id) {
      await notifyUsers(tx, [child.requester_id], { kind: 'ticket_resolved', ticketId: child.id })
    }
  }
  return children.map((c) => c.id)
}
