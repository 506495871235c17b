import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { auditTicket, journalingDenials } from './ticket-access.ts'
import {
  activeLinkBetween,
  insertLink,
  isAncestor,
  type LinkRequest,
  linkRequests,
  lockPair,
  parentLinkOf,
  recordLinkEvents,
  type TicketLinkView,
} from './ticket-links-store.ts'

export interface LinkTicketsInput {
  ticketId: number
  otherId: number
  /** What the other ticket becomes to this one: related, its parent, or its child. */
  kind: LinkRequest
}

/** Labels of a relation in the journal and the refusals («№ 7 — дочерняя заявка № 5»). */
const relationWords: Record<LinkRequest, string> = {
  related: 'связанная',
  parent: 'родительская',
  child: 'дочерняя',
}

/**
 * Links two tickets (issue 13): related, or parent and child (one parent a ticket, no circles). Staff who may
 * change both tickets; both timelines say so, the journal once. Returns the link as this ticket sees it.
 */
export async function linkTickets(db: Db, actor: Actor, input: LinkTicketsInput): Promise<TicketLinkView> {
  return journalingDenials(db, actor, { action: 'ticket.link', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      if (!linkRequests.includes(input.kind)) throw new DomainError('validation', 'Неизвестный вид связи')
      if (input.otherId === input.ticketId) {
        throw new DomainError('validation', 'Заявку нельзя связать саму с собой')
      }
      const [ticket, other] = await lockPair(tx, actor, input.ticketId, input.otherId, 'Нет прав связывать заявки')
      if (await activeLinkBetween(tx, ticket.id, other.id)) {
        throw new DomainError('conflict', `Заявки № ${ticket.id} и № ${other.id} уже связаны: сначала уберите связь`)
      }
      const family =
        input.kind === 'related'
          ? null
          : input.kind === 'child'
            ? { parent: ticket.id, child: other.id }
            : { parent: other.id, child: ticket.id }
      if (family) {
        const existing = await parentLinkOf(tx, family.child)
        if (existing) {
          throw new DomainError(
            'conflict',
            `У заявки № ${family.child} уже есть родительская заявка № ${existing.ticket_id}: сначала уберите ту связь`,
          )
        }
        if (await isAncestor(tx, family.child, family.parent)) {
          throw new DomainError(
            'conflict',
            `Заявка № ${family.child} уже родительская для № ${family.parent} (прямо или через другие заявки): получился бы круг`,
          )
        }
      }

      const at = now()
      // Related links are stored once, the lower number first; a parent link from the parent to the child.
      const linkId = await insertLink(tx, {
        ticketId: family ? family.parent : Math.min(ticket.id, other.id),
        otherId: family ? family.child : Math.max(ticket.id, other.id),
        kind: family ? 'parent' : 'related',
        actorId: actor.id,
        at,
      })
      const mirrored: Record<LinkRequest, LinkRequest> = { related: 'related', parent: 'child', child: 'parent' }
      await recordLinkEvents(tx, { actorId: actor.id, linkId, at }, [
        { ticketId: ticket.id, kind: 'linked', from: input.kind, to: other.id },
        { ticketId: other.id, kind: 'linked', from: mirrored[input.kind], to: ticket.id },
      ])
      await auditTicket(
        tx,
        actor,
        ticket,
        'ticket.link',
        `Заявка № ${ticket.id} связана с заявкой № ${other.id} (${relationWords[input.kind]})`,
        { otherId: other.id, kind: input.kind, linkId },
      )
      // As ticketLinksFor would list it: the other ticket is one the actor sees (lockPair).
      return {
        id: linkId,
        relation: input.kind,
        ticket: { id: other.id, title: other.title, status: other.status },
        created_at: at,
        created_by: actor.id,
        undo_until: null,
      }
    }),
  )
}
