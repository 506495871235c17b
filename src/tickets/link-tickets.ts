import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { auditTicket, journalingDenials, requirePermission } from './ticket-access.ts'
import {
  activeLinkBetween,
  isAncestor,
  type LinkRequest,
  linkRequests,
  lockPair,
  parentLinkOf,
  type TicketLinkView,
  ticketLinksFor,
} from './ticket-links-store.ts'
import { recordTicketEvent } from './ticket-store.ts'

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
      const [ticket, other] = await lockPair(tx, actor, input.ticketId, input.otherId)
      requirePermission(actor, 'ticket.update', ticket, 'Нет прав связывать заявки')
      requirePermission(actor, 'ticket.update', other, 'Нет прав связывать заявки')
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
      const link = await tx
        .insertInto('ticket_links')
        .values({
          ticket_id: family ? family.parent : Math.min(ticket.id, other.id),
          other_id: family ? family.child : Math.max(ticket.id, other.id),
          kind: family ? 'parent' : 'related',
          created_by: actor.id,
          created_at: at,
          undone_at: null,
          undone_by: null,
          previous: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      const mirrored: Record<LinkRequest, LinkRequest> = { related: 'related', parent: 'child', child: 'parent' }
      await recordTicketEvent(tx, {
        ticketId: ticket.id,
        actorId: actor.id,
        kind: 'linked',
        from: input.kind,
        to: other.id,
        details: { linkId: link.id },
        at,
      })
      await recordTicketEvent(tx, {
        ticketId: other.id,
        actorId: actor.id,
        kind: 'linked',
        from: mirrored[input.kind],
        to: ticket.id,
        details: { linkId: link.id },
        at,
      })
      await auditTicket(
        tx,
        actor,
        ticket,
        'ticket.link',
        `Заявка № ${ticket.id} связана с заявкой № ${other.id} (${relationWords[input.kind]})`,
        { otherId: other.id, kind: input.kind, linkId: link.id },
      )
      const views = await ticketLinksFor(tx, actor, ticket.id, at)
      const view = views.find((v) => v.id === link.id)
      if (!view) throw new Error(`link ${link.id} is not among the links of ticket ${ticket.id}`)
      return view
    }),
  )
}
