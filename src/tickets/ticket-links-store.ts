import { sql } from 'kysely'
import { z } from 'zod'
import { prepared } from '#src/db/prepared.ts'
import type { Attachment, Ticket, TicketLink, TicketLinkKind, TicketStatus, Tx } from '#src/db/schema.ts'
import { ticketStatuses } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { shownName } from '#src/users/blocking.ts'
import { can } from '#src/users/permissions.ts'
import { requirePermission } from './ticket-access.ts'
import { findTicketForUpdate, recordTicketEvent, saveTicket } from './ticket-store.ts'
import type { TicketMessageView } from './view-ticket.ts'

/**
 * Reads, checks and writes shared by the link use cases (link-tickets.ts, unlink-tickets.ts, merge-ticket.ts,
 * unmerge-ticket.ts, and change-status.ts, whose reopening ends a merge) and by the ticket card: the pair locked
 * and checked, a link stored, undone and said on both timelines, a merge ended; a ticket's links as the reader
 * may see them, the conversation of the duplicates merged into it, and where a reply to a merged ticket goes.
 */

/** How long a merge may be undone (issue 13: «at least 24 h»). */
export const MERGE_UNDO_HOURS = 24

/** The last moment a merge made at `createdAt` may be undone. */
export function mergeUndoUntil(createdAt: string): string {
  return addMinutes(createdAt, MERGE_UNDO_HOURS * 60)
}

/**
 * What the other ticket of a link is to this one: related, its parent, its child, a duplicate merged into it,
 * or the ticket it was merged into.
 */
export const linkRelations = ['merged_into', 'parent', 'child', 'related', 'duplicate'] as const
export type LinkRelation = (typeof linkRelations)[number]

/** The relations a person asks for (a merge is a use case of its own). */
export const linkRequests = ['related', 'parent', 'child'] as const
export type LinkRequest = (typeof linkRequests)[number]

export interface TicketLinkView {
  /** The link's id (to unlink it). */
  id: number
  relation: LinkRelation
  ticket: { id: number; title: string; status: TicketStatus }
  created_at: string
  created_by: number | null
  /** A merge still to be undone until then; null otherwise (other links, or past the time). */
  undo_until: string | null
}

/** A duplicate merged into the ticket: its own text and files, shown on the survivor's timeline. */
export interface MergedTicketView {
  id: number
  title: string
  description: string
  created_at: string
  /** The files of its description (those of its messages are among the card's attachments). */
  attachments: Attachment[]
}

/** The duplicates' conversation on the ticket they were merged into. */
interface MergedConversation {
  tickets: MergedTicketView[]
  messages: TicketMessageView[]
  /** Files of the duplicates' messages. */
  attachments: Attachment[]
}

/**
 * The two tickets of a link, locked in number order (two changes of the same pair queue up instead of
 * deadlocking on PostgreSQL), that the actor may change both (`forbidden` says what they may not do). The first
 * is the one acted on: hidden from the actor → not_found. The other is a number the person typed: one that does
 * not exist (or that they may not see) is a `validation` refusal beside the form.
 */
export async function lockPair(
  tx: Tx,
  actor: Actor,
  ticketId: number,
  otherId: number,
  forbidden: string,
): Promise<[Ticket, Ticket]> {
  const [first, second] = ticketId < otherId ? [ticketId, otherId] : [otherId, ticketId]
  const rows = new Map<number, Ticket | undefined>()
  rows.set(first, await findTicketForUpdate(tx, first))
  rows.set(second, await findTicketForUpdate(tx, second))
  const ticket = rows.get(ticketId)
  if (!ticket || !can(actor, 'ticket.view', ticket)) throw new DomainError('not_found', 'Заявка не найдена')
  const other = rows.get(otherId)
  if (!other || !can(actor, 'ticket.view', other)) {
    throw new DomainError('validation', `Заявки № ${otherId} нет`, {
      fields: [{ path: 'other_id', message: `Заявки № ${otherId} нет` }],
    })
  }
  requirePermission(actor, 'ticket.update', ticket, forbidden)
  requirePermission(actor, 'ticket.update', other, forbidden)
  return [ticket, other]
}

/**
 * Before a status change of a ticket that may be a merged duplicate (changeStatus, which ends the merge): locks
 * the ticket it was merged into first when that one's number is lower, so that the pair is locked in lockPair's
 * order and a concurrent merge or undo of the same pair queues up instead of deadlocking on PostgreSQL.
 */
export async function lockMergedIntoFirst(tx: Tx, ticketId: number): Promise<void> {
  const row = await tx.selectFrom('tickets').select('merged_into_id').where('id', '=', ticketId).executeTakeFirst()
  const into = row?.merged_into_id ?? null
  if (into !== null && into < ticketId) await findTicketForUpdate(tx, into)
}

/** What a merge changed on the duplicate, kept on its link (`previous`) so that the undo restores it. */
export interface MergePrevious {
  status: TicketStatus
}

/** A link's `previous`, as stored: merges made before carried more keys (the close time, the assignee). */
const mergePreviousSchema = z.object({ status: z.enum(ticketStatuses) })

export function parseMergePrevious(stored: string | null): MergePrevious {
  const { status } = mergePreviousSchema.parse(JSON.parse(stored ?? 'null'))
  return { status }
}

/** Stores a new link; its id. */
export async function insertLink(
  tx: Tx,
  link: { ticketId: number; otherId: number; kind: TicketLinkKind; actorId: number | null; at: string },
  previous: MergePrevious | null = null,
): Promise<number> {
  const row = await tx
    .insertInto('ticket_links')
    .values({
      ticket_id: link.ticketId,
      other_id: link.otherId,
      kind: link.kind,
      created_by: link.actorId,
      created_at: link.at,
      undone_at: null,
      undone_by: null,
      previous: previous === null ? null : JSON.stringify(previous),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/** Stamps a link undone (it is kept, for the timelines and the journal). */
export async function undoLink(tx: Tx, linkId: number, actorId: number | null, at: string): Promise<void> {
  await tx.updateTable('ticket_links').set({ undone_at: at, undone_by: actorId }).where('id', '=', linkId).execute()
}

/** One side of a link's change on a timeline: `to` is the other ticket, `from` what it is to this one. */
export interface LinkEventSide {
  ticketId: number
  kind: string
  from?: string | null
  to: number
}

/** A change of a link, said on both tickets' timelines alike: each event names the link (and `details`). */
export async function recordLinkEvents(
  tx: Tx,
  change: { actorId: number | null; linkId: number; at: string; details?: Record<string, unknown> },
  sides: readonly [LinkEventSide, LinkEventSide],
): Promise<void> {
  for (const side of sides) {
    await recordTicketEvent(tx, {
      ticketId: side.ticketId,
      actorId: change.actorId,
      kind: side.kind,
      from: side.from,
      to: side.to,
      details: { linkId: change.linkId, ...change.details },
      at: change.at,
    })
  }
}

/**
 * Ends a duplicate's merge (unmergeTicket; or changeStatus, the duplicate leaving «closed»): the link is stamped
 * undone, the duplicate no longer names the other ticket (nor do its replies go there), the other ticket no
 * longer shows its conversation, and both timelines say so (`reopened` when its reopening ended it). The caller
 * holds both tickets' locks and has set (and recorded) the duplicate's new status; the duplicate as it now is.
 */
export async function endMerge(
  tx: Tx,
  actorId: number | null,
  link: Pick<TicketLink, 'id' | 'ticket_id' | 'other_id'>,
  at: string,
  reopened = false,
): Promise<Ticket> {
  await undoLink(tx, link.id, actorId, at)
  const duplicate = await saveTicket(tx, link.ticket_id, { merged_into_id: null, updated_at: at })
  await saveTicket(tx, link.other_id, { updated_at: at })
  await recordLinkEvents(tx, { actorId, linkId: link.id, at, details: reopened ? { reopened: true } : undefined }, [
    { ticketId: link.ticket_id, kind: 'unmerged', to: link.other_id },
    { ticketId: link.other_id, kind: 'unmerged_in', to: link.ticket_id },
  ])
  return duplicate
}

/** Was the duplicate's last merge ended by its reopening (endMerge's `reopened`)? */
export async function mergeEndedByReopening(tx: Tx, ticketId: number): Promise<boolean> {
  const last = await tx
    .selectFrom('ticket_events')
    .select('details')
    .where('ticket_id', '=', ticketId)
    .where('kind', '=', 'unmerged')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (!last?.details) return false
  try {
    const details: unknown = JSON.parse(last.details)
    return typeof details === 'object' && details !== null && 'reopened' in details && details.reopened === true
  } catch {
    return false
  }
}

/** The active related or parent link between two tickets, in either direction. */
export async function activeLinkBetween(tx: Tx, a: number, b: number): Promise<TicketLink | undefined> {
  return tx
    .selectFrom('ticket_links')
    .selectAll()
    .where('undone_at', 'is', null)
    .where('kind', '<>', 'duplicate')
    .where((eb) =>
      eb.or([
        eb.and([eb('ticket_id', '=', a), eb('other_id', '=', b)]),
        eb.and([eb('ticket_id', '=', b), eb('other_id', '=', a)]),
      ]),
    )
    .executeTakeFirst()
}

/** The ticket's active parent link. */
export async function parentLinkOf(tx: Tx, ticketId: number): Promise<TicketLink | undefined> {
  return tx
    .selectFrom('ticket_links')
    .selectAll()
    .where('other_id', '=', ticketId)
    .where('kind', '=', 'parent')
    .where('undone_at', 'is', null)
    .executeTakeFirst()
}

/** The active merge of a duplicate (the link to the ticket it was merged into). */
export async function activeMergeOf(tx: Tx, duplicateId: number): Promise<TicketLink | undefined> {
  return tx
    .selectFrom('ticket_links')
    .selectAll()
    .where('ticket_id', '=', duplicateId)
    .where('kind', '=', 'duplicate')
    .where('undone_at', 'is', null)
    .executeTakeFirst()
}

/** Parents are followed at most this deep (a cycle cannot be made, but a chain could be long). */
const MAX_DEPTH = 100

/** Is `ancestor` the ticket's parent, or its parent's parent, and so on? */
export async function isAncestor(tx: Tx, ancestor: number, ticketId: number): Promise<boolean> {
  let current: number | undefined = ticketId
  for (let depth = 0; current !== undefined && depth < MAX_DEPTH; depth++) {
    const parent = await parentLinkOf(tx, current)
    if (!parent) return false
    if (parent.ticket_id === ancestor) return true
    current = parent.ticket_id
  }
  return false
}

const relationOrder = new Map<LinkRelation, number>(linkRelations.map((r, i) => [r, i]))

const linkColumns = ['l.id', 'l.kind', 'l.created_at', 'l.created_by', 't.title', 't.status', 't.requester_id'] as const

/**
 * A ticket's active links both ways in one query (every ticket view asks it): `outgoing` 1 for its own links
 * (the other ticket is `other_id`), 0 for those of other tickets to it.
 */
const activeLinks = prepared((db, p: { ticketId: number }) =>
  db
    .selectFrom('ticket_links as l')
    .innerJoin('tickets as t', 't.id', 'l.other_id')
    .select([...linkColumns, 't.id as other_id', sql.lit(1).as('outgoing')])
    .where('l.ticket_id', '=', p.ticketId)
    .where('l.undone_at', 'is', null)
    .unionAll(
      db
        .selectFrom('ticket_links as l')
        .innerJoin('tickets as t', 't.id', 'l.ticket_id')
        .select([...linkColumns, 't.id as other_id', sql.lit(0).as('outgoing')])
        .where('l.other_id', '=', p.ticketId)
        .where('l.undone_at', 'is', null),
    ),
)

/** The ticket's active links, each as the other ticket is to it; links to tickets the reader may not see are left out. */
export async function ticketLinksFor(
  tx: Tx,
  actor: Actor,
  ticketId: number,
  at: string = now(),
): Promise<TicketLinkView[]> {
  const rows = await activeLinks.execute(tx, { ticketId })
  const outgoing = rows.filter((row) => Number(row.outgoing) === 1)
  const incoming = rows.filter((row) => Number(row.outgoing) !== 1)
  const outgoingRelation = { related: 'related', parent: 'child', duplicate: 'merged_into' } as const
  const incomingRelation = { related: 'related', parent: 'parent', duplicate: 'duplicate' } as const
  const views = [
    ...outgoing.map((row) => ({ row, relation: outgoingRelation[row.kind] as LinkRelation })),
    ...incoming.map((row) => ({ row, relation: incomingRelation[row.kind] as LinkRelation })),
  ]
    .filter(({ row }) => can(actor, 'ticket.view', { requester_id: row.requester_id, status: row.status }))
    .map(({ row, relation }): TicketLinkView => {
      const until = row.kind === 'duplicate' ? mergeUndoUntil(row.created_at) : null
      return {
        id: row.id,
        relation,
        ticket: { id: row.other_id, title: row.title, status: row.status },
        created_at: row.created_at,
        created_by: row.created_by,
        undo_until: until !== null && until > at ? until : null,
      }
    })
  return views.sort(
    (a, b) => (relationOrder.get(a.relation) ?? 0) - (relationOrder.get(b.relation) ?? 0) || a.ticket.id - b.ticket.id,
  )
}

/** At most this many duplicates are gathered onto one ticket's timeline (merged into it, or into those). */
const MAX_MERGED = 200

/** The first step of `mergedConversation`, asked by every view (and mostly finding nothing): of one shape. */
const mergedIntoOne = prepared((db, p: { ticketId: number; limit: number }) =>
  db
    .selectFrom('tickets')
    .select(['id', 'title', 'description', 'created_at'])
    .where('merged_into_id', '=', p.ticketId)
    .where('id', '<>', p.ticketId)
    .orderBy('id')
    .limit(p.limit),
)

/**
 * The tickets merged into this one (and those merged into them), with their messages and files, as the reader
 * may see them: internal notes and their files only for staff. The rows stay on the duplicates; an undone merge
 * takes them off this timeline again.
 */
async function mergedConversation(tx: Tx, ticketId: number, internal: boolean): Promise<MergedConversation> {
  const tickets: Array<Pick<Ticket, 'id' | 'title' | 'description' | 'created_at'>> = []
  // Each ticket once, this one never: merges cannot make a circle, but a circle must not loop either.
  const seen = new Set([ticketId])
  for (let frontier = [ticketId], depth = 0; frontier.length > 0 && depth < MAX_DEPTH; depth++) {
    const rows =
      depth === 0
        ? await mergedIntoOne.execute(tx, { ticketId, limit: MAX_MERGED })
        : await tx
            .selectFrom('tickets')
            .select(['id', 'title', 'description', 'created_at'])
            .where('merged_into_id', 'in', frontier)
            .where('id', 'not in', [...seen])
            .orderBy('id')
            .limit(MAX_MERGED - tickets.length)
            .execute()
    for (const row of rows) seen.add(row.id)
    tickets.push(...rows)
    frontier = tickets.length >= MAX_MERGED ? [] : rows.map((r) => r.id)
  }
  if (tickets.length === 0) return { tickets: [], messages: [], attachments: [] }
  const ids = tickets.map((t) => t.id)
  let messages = tx
    .selectFrom('ticket_messages')
    .innerJoin('users', 'users.id', 'ticket_messages.author_id')
    .selectAll('ticket_messages')
    .select(shownName('users').as('author_name'))
    .where('ticket_messages.ticket_id', 'in', ids)
  if (!internal) messages = messages.where('ticket_messages.kind', '=', 'external')
  const shownMessages = await messages.orderBy('ticket_messages.id').execute()
  let files = tx.selectFrom('attachments').selectAll().where('ticket_id', 'in', ids)
  if (!internal) {
    files = files.where((eb) =>
      eb.or([
        eb('message_id', 'is', null),
        eb(
          'message_id',
          'in',
          eb.selectFrom('ticket_messages').select('id').where('ticket_id', 'in', ids).where('kind', '=', 'external'),
        ),
      ]),
    )
  }
  const attachments = await files.orderBy('id').execute()
  return {
    tickets: tickets.map((t) => ({
      ...t,
      attachments: attachments.filter((a) => a.ticket_id === t.id && a.message_id === null),
    })),
    messages: shownMessages,
    attachments: attachments.filter((a) => a.message_id !== null),
  }
}

/**
 * Where a message to this ticket goes: a duplicate merged into another ticket (and still closed as merged)
 * sends it on to that ticket, and so on along a chain of merges.
 */
export async function replyTarget(tx: Tx, ticketId: number): Promise<number> {
  let current = ticketId
  // A circle of merges (which cannot be made) would stop where it comes round again.
  const seen = new Set([current])
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const row = await tx
      .selectFrom('tickets')
      .select(['status', 'merged_into_id'])
      .where('id', '=', current)
      .executeTakeFirst()
    if (!row || row.merged_into_id === null || row.status !== 'closed' || seen.has(row.merged_into_id)) return current
    current = row.merged_into_id
    seen.add(current)
  }
  return current
}

/** A journal row, as far as the merge's undo is concerned. */
interface JournalRowOfMerge {
  id: number
  action: string
  result: string
  details: string | null
}

/**
 * The journal's merges that may still be undone (issue 13: «reversible from the journal»): journal row id → the
 * duplicate's number, for rows of `ticket.merge` whose link is active and younger than MERGE_UNDO_HOURS.
 */
export async function undoableMerges(
  tx: Tx,
  rows: readonly JournalRowOfMerge[],
  at: string = now(),
): Promise<Map<number, number>> {
  const byLink = new Map<number, number>()
  for (const row of rows) {
    if (row.action !== 'ticket.merge' || row.result !== 'success' || row.details === null) continue
    const linkId = linkIdOf(row.details)
    if (linkId !== undefined) byLink.set(linkId, row.id)
  }
  const undoable = new Map<number, number>()
  if (byLink.size === 0) return undoable
  const links = await tx
    .selectFrom('ticket_links')
    .select(['id', 'ticket_id'])
    .where('id', 'in', [...byLink.keys()])
    .where('kind', '=', 'duplicate')
    .where('undone_at', 'is', null)
    .where('created_at', '>', addMinutes(at, -MERGE_UNDO_HOURS * 60))
    .execute()
  for (const link of links) {
    const rowId = byLink.get(link.id)
    if (rowId !== undefined) undoable.set(rowId, link.ticket_id)
  }
  return undoable
}

function linkIdOf(details: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(details)
    if (typeof parsed !== 'object' || parsed === null || !('linkId' in parsed)) return undefined
    const id = parsed.linkId
    return typeof id === 'number' && Number.isSafeInteger(id) ? id : undefined
  } catch {
    return undefined
  }
}

/**
 * A ticket's own messages and files with those of the duplicates merged into it (mergedConversation), as the
 * reader may see them: messages oldest first.
 */
export async function withMerged(
  tx: Tx,
  ticketId: number,
  internal: boolean,
  own: { messages: TicketMessageView[]; attachments: Attachment[] },
): Promise<{ messages: TicketMessageView[]; attachments: Attachment[]; merged: MergedTicketView[] }> {
  const joined = await mergedConversation(tx, ticketId, internal)
  if (joined.tickets.length === 0) return { ...own, merged: [] }
  const messages = [...own.messages, ...joined.messages].sort((a, b) =>
    a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id,
  )
  return { messages, attachments: [...own.attachments, ...joined.attachments], merged: joined.tickets }
}
