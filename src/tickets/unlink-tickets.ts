import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { auditTicket, journalingDenials, loadVisibleTicket } from './ticket-access.ts'
import { lockPair, recordLinkEvents, undoLink } from './ticket-links-store.ts'

export interface UnlinkTicketsInput {
  ticketId: number
  linkId: number
}

/**
 * Removes a related or parent link of the ticket (issue 13): the link is stamped undone, not deleted; both
 * timelines say so. A merge is undone by unmergeTicket, within its time.
 */
export async function unlinkTickets(db: Db, actor: Actor, input: UnlinkTicketsInput): Promise<void> {
  await journalingDenials(db, actor, { action: 'ticket.unlink', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const found = await tx
        .selectFrom('ticket_links')
        .selectAll()
        .where('id', '=', input.linkId)
        .where((eb) => eb.or([eb('ticket_id', '=', input.ticketId), eb('other_id', '=', input.ticketId)]))
        .executeTakeFirst()
      if (!found) {
        // The ticket's own visibility first: a hidden ticket is not found, whatever the link.
        await loadVisibleTicket(tx, actor, input.ticketId, false)
        throw new DomainError('not_found', 'Связь не найдена')
      }
      const otherId = found.ticket_id === input.ticketId ? found.other_id : found.ticket_id
      const [ticket, other] = await lockPair(tx, actor, input.ticketId, otherId, 'Нет прав менять связи заявок')
      // Read again under the tickets' locks: a concurrent unlink has finished by now.
      const link = await tx.selectFrom('ticket_links').selectAll().where('id', '=', found.id).executeTakeFirstOrThrow()
      if (link.kind === 'duplicate') {
        throw new DomainError('conflict', 'Объединение заявок отменяется кнопкой «Отменить объединение»')
      }
      if (link.undone_at !== null) throw new DomainError('conflict', 'Эта связь уже убрана')

      const at = now()
      await undoLink(tx, link.id, actor.id, at)
      // What the other ticket was to each: related, or the parent (it holds the link) and the child.
      const was = (self: number) => (link.kind === 'related' ? 'related' : link.ticket_id === self ? 'child' : 'parent')
      await recordLinkEvents(tx, { actorId: actor.id, linkId: link.id, at }, [
        { ticketId: ticket.id, kind: 'unlinked', from: was(ticket.id), to: other.id },
        { ticketId: other.id, kind: 'unlinked', from: was(other.id), to: ticket.id },
      ])
      await auditTicket(
        tx,
        actor,
        ticket,
        'ticket.unlink',
        `Убрана связь заявки № ${ticket.id} с заявкой № ${other.id}`,
        { otherId: other.id, kind: link.kind, linkId: link.id },
      )
    }),
  )
}
