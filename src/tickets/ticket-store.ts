import {
  type Expression,
  type ExpressionBuilder,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely'
import { dialectOf } from '#src/db/database.ts'
import { prepared } from '#src/db/prepared.ts'
import {
  type Database,
  type Priority,
  type Ticket,
  type TicketStatus,
  type TicketUpdate,
  type Tx,
  ticketStatuses,
} from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { MAX_ID } from '#src/format/ids.ts'
import { memberGroupIds } from '#src/groups/group-store.ts'
import { notifyOfTicketEvent } from '#src/notifications/fan-out.ts'
import { reachColumns } from '#src/notify/chat-key.ts'
import { type Recipient, reachable } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { BLOCKED_TEXT, shownName, shownNameOrNull } from '#src/users/blocking.ts'
import { can } from '#src/users/permissions.ts'
import { finalStatuses, priorityRank, statusRank } from './rules.ts'
import {
  ftsMatch,
  ftsTable,
  matchTickets,
  type NamedInQuery,
  namedInQuery,
  relevanceOf,
  searchTerms,
} from './ticket-search.ts'

/** Reads and writes of the `tickets` aggregate shared by the ticket use cases. */

const ticketById = prepared((db, p: { id: number }) => db.selectFrom('tickets').selectAll().where('id', '=', p.id))

const ticketByIdForUpdate = prepared((db, p: { id: number }) =>
  db.selectFrom('tickets').selectAll().where('id', '=', p.id).forUpdate(),
)

export async function findTicket(db: Tx, id: number): Promise<Ticket | undefined> {
  return ticketById.first(db, { id })
}

/** Reads a ticket for a change, locking its row on PostgreSQL so that concurrent changes queue up. */
export async function findTicketForUpdate(tx: Tx, id: number): Promise<Ticket | undefined> {
  // SQLite needs no row lock: our transactions begin immediate and hold the write lock.
  return (dialectOf(tx) === 'postgres' ? ticketByIdForUpdate : ticketById).first(tx, { id })
}

/** Writes a change to a ticket and returns the row as it now is. */
export async function saveTicket(tx: Tx, id: number, change: TicketUpdate): Promise<Ticket> {
  return tx.updateTable('tickets').set(change).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export interface TicketEventInput {
  ticketId: number
  actorId: number | null
  kind: string
  from?: string | number | null
  to?: string | number | null
  details?: Record<string, unknown> | null
  at?: string
}

/** Appends one entry to the ticket's timeline; the bell of whoever it concerns rings with it (notifications/fan-out.ts). */
export async function recordTicketEvent(tx: Tx, event: TicketEventInput): Promise<void> {
  const text = (value: string | number | null | undefined) =>
    value === undefined || value === null ? null : String(value)
  const at = event.at ?? now()
  const row = await tx
    .insertInto('ticket_events')
    .values({
      ticket_id: event.ticketId,
      actor_id: event.actorId,
      kind: event.kind,
      from_value: text(event.from),
      to_value: text(event.to),
      details: event.details ? JSON.stringify(event.details) : null,
      created_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await notifyOfTicketEvent(tx, { ...event, id: row.id, from: text(event.from), to: text(event.to), at })
}

/** Active IT staff in an active executor group. */
export async function activeGroupStaff(tx: Tx, groupId: number): Promise<number[]> {
  const rows = await groupStaff(tx, groupId).select('users.id').execute()
  return rows.map((r) => r.id)
}

/**
 * The same staff but the actor, with the chats a notice reaches them in (those with none left out): whom a ticket
 * new for the group is told of, by `notifyPeople` with no query of its own.
 */
export function groupStaffToTell(tx: Tx, groupId: number, actor: Actor): Promise<Recipient[]> {
  const query = groupStaff(tx, groupId)
    .select(['users.id', ...reachColumns.map((column) => `users.${column}` as const)])
    .where(reachable)
  return (actor.id === null ? query : query.where('users.id', '!=', actor.id)).execute()
}

function groupStaff(tx: Tx, groupId: number) {
  return tx
    .selectFrom('group_members')
    .innerJoin('users', 'users.id', 'group_members.user_id')
    .innerJoin('executor_groups', 'executor_groups.id', 'group_members.group_id')
    .where('group_members.group_id', '=', groupId)
    .where('executor_groups.active', '=', 1)
    .where('users.status', '=', 'active')
    .where('users.role', 'in', ['executor', 'curator', 'admin'])
}

export const ticketSorts = [
  '-created_at',
  'created_at',
  'updated_at',
  '-updated_at',
  'priority',
  '-priority',
  'id',
  '-id',
  'status',
  'resolution_due_at',
  '-resolution_due_at',
  'requester',
  '-requester',
  'assignee',
  '-assignee',
  'relevance',
] as const
export type TicketSort = (typeof ticketSorts)[number]

export interface TicketFilter {
  status?: TicketStatus[]
  /** A top-level category also matches its subcategories. */
  categoryId?: number
  priority?: Priority[]
  assigneeId?: number | 'none'
  requesterId?: number
  departmentId?: number
  groupId?: number
  /** Inclusive lower bound on `created_at`, a UTC instant (a typed day's start: zone-days.ts `fromBound`). */
  createdFrom?: string
  /** Exclusive upper bound on `created_at`, a UTC instant (the next day's start: `beforeBound`). */
  createdBefore?: string
  /** Full-text search over title, description and messages (internal notes too, for staff). */
  q?: string
  overdue?: boolean
  /**
   * `mine`: the tickets the actor answers for: assigned to them, or unassigned in one of their executor groups
   * (the dashboard's «Просроченные: мои и моих групп» lists exactly these).
   */
  scope?: 'mine'
  /** Default: the newest first (`-created_at`), or by number (`-id`) with a search. */
  sort?: TicketSort
  /** A page's edge from an earlier answer (`next` or `prev`): the page after or before it. */
  cursor?: string
  /** 1-based; by offset, for old clients (a cursor is the way: its cost does not grow with the depth). */
  page?: number
  /** Default 25, at most 200. */
  perPage?: number
}

export interface TicketListItem extends Ticket {
  requester_name: string
  department_name: string | null
  assignee_name: string | null
  category_name: string | null
  /** Open (not resolved, closed or cancelled) and past its resolution deadline. */
  overdue: boolean
}

export interface TicketPage {
  items: TicketListItem[]
  /** How many match, counted up to LIST_COUNT_CAP: past it, `totalCapped` and `total` is the cap. */
  total: number
  totalCapped: boolean
  /** The cursor of the page after this one, if there is one. */
  next: string | null
  /** The cursor of the page before this one, if there is one. */
  prev: string | null
}

export const DEFAULT_PER_PAGE = 25
export const MAX_PER_PAGE = 200
/** Lists count this many matches at most and then say «более 1 000»: a count never reads the whole table. */
export const LIST_COUNT_CAP = 1000

export interface CappedCount {
  count: number
  /** More than `count` match (`count` is the cap). */
  capped: boolean
}

/**
 * How many tickets the actor may see match the filter (its sort and page are ignored), counting at most
 * `cap` of them: `select count(*) from (select 1 … limit cap + 1)` stops at the cap however many match.
 */
export async function countTickets(
  db: Tx,
  actor: Actor,
  filter: TicketFilter,
  cap: number = LIST_COUNT_CAP,
  at: string = now(),
): Promise<CappedCount> {
  // With the words the only condition, FTS5 hands over matches until the cap; with other conditions too,
  // `id in (matches)` lets an index of those conditions drive (a join would walk matches that fail them).
  const lookups = await lookupsOf(db, actor, filter)
  const drive = lookups.named ? null : ftsDrives(db, actor, filter, { otherFilters: false })
  const base = db
    .selectFrom('tickets')
    .where((eb) => eb.and(conditions(db, eb, actor, filter, at, lookups, { words: drive !== null })))
  const matching = (drive ? base.innerJoin(ftsTable, 'ticket_fts.rowid', 'tickets.id').where(drive) : base)
    .select(sql.lit(1).as('one'))
    .limit(cap + 1)
  const counted = await db
    .selectFrom(matching.as('matching'))
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow()
  const count = Number(counted.total)
  return count > cap ? { count: cap, capped: true } : { count, capped: false }
}

/**
 * SQLite: the FTS5 match to join (`ftsTable`) when it should drive the query, else null (then the
 * words are `id in (matches)` among the other conditions). It drives when the list is in number order
 * (the index's own) and nothing narrower filters: a staff reader, no person, department, group,
 * category or dates (`otherFilters` admits status, priority and the like, which a page walks past
 * cheaply; a count must not walk them). A bare number («№ 123») is also a ticket number: never driven.
 */
function ftsDrives(
  db: Tx,
  actor: Actor,
  filter: TicketFilter,
  allow: { otherFilters: boolean; sort?: TicketSort },
): RawBuilder<SqlBool> | null {
  if (dialectOf(db) !== 'sqlite' || filter.q === undefined || bareNumber(filter.q) !== undefined) return null
  if (allow.sort !== undefined && allow.sort !== 'id' && allow.sort !== '-id') return null
  if (!can(actor, 'ticket.view')) return null
  const narrow = [
    filter.categoryId,
    filter.assigneeId === 'none' ? undefined : filter.assigneeId,
    filter.requesterId,
    filter.departmentId,
    filter.groupId,
    filter.createdFrom,
    filter.createdBefore,
  ].some((value) => value !== undefined && value !== '')
  const other =
    (filter.status?.length ?? 0) > 0 ||
    (filter.priority?.length ?? 0) > 0 ||
    filter.assigneeId === 'none' ||
    filter.overdue !== undefined
  if (narrow || (other && !allow.otherFilters)) return null
  return ftsMatch(filter.q, can(actor, 'ticket.view_internal'))
}

/** What a filter names that is read before the query it makes: `conditions` takes them as values. */
interface FilterLookups {
  /** The people and departments a staff search names (ticket-search.ts `namedInQuery`). */
  named?: NamedInQuery
  /** The category filtered by and its direct subcategories (`categoryFamily`). */
  categories?: readonly number[]
  /** «Мои»: the executor groups of the actor (`scope: 'mine'`), whose unassigned tickets they answer for too. */
  groups?: readonly number[]
}

/**
 * A filter's lookups, read once per filter: `listTickets` gives the same filter to its page and to its count. A
 * requester's search is their own tickets' text: a name would only match them all.
 */
function lookupsOf(db: Tx, actor: Actor, filter: TicketFilter): Promise<FilterLookups> {
  if (filter.q === undefined && filter.categoryId === undefined && filter.scope !== 'mine') return NO_LOOKUPS
  let found = lookupsOfFilter.get(filter)
  if (!found) {
    found = (async () => {
      const { q } = filter
      const searchesNames = q !== undefined && bareNumber(q) === undefined && can(actor, 'ticket.view')
      return {
        named: searchesNames ? await namedInQuery(db, q) : undefined,
        categories: filter.categoryId === undefined ? undefined : await categoryFamily(db, filter.categoryId),
        groups: filter.scope === 'mine' ? await memberGroupIds(db, actor.id) : undefined,
      }
    })()
    lookupsOfFilter.set(filter, found)
  }
  return found
}

const lookupsOfFilter = new WeakMap<TicketFilter, Promise<FilterLookups>>()
const NO_LOOKUPS: Promise<FilterLookups> = Promise.resolve({})

function bareNumber(q: string): string | undefined {
  return /^\s*[№#]?\s*(\d{1,9})\s*$/u.exec(q)?.[1]
}

/** The sort a filter gets: its own, else by number with a search (the index's order), else the newest first. */
export function effectiveSort(filter: Pick<TicketFilter, 'sort' | 'q'>): TicketSort {
  const searching = filter.q !== undefined && searchTerms(filter.q).length > 0
  // Relevance means something with words to weigh; without them the list keeps its usual order.
  if (filter.sort === 'relevance' && !searching) return '-created_at'
  if (filter.sort && ticketSorts.includes(filter.sort)) return filter.sort
  return searching ? '-id' : '-created_at'
}

/**
 * One page of tickets the actor may see, with the names a list shows. A requester only ever gets their
 * own tickets, whatever the filter says. Pages go by keyset: a cursor names the edge row's sort key and
 * id, and the next page starts right after it in the index, as cheap on page 1 000 as on page 1.
 * Throws `bad_request` for a cursor that is not one of ours or belongs to another sort.
 */
export async function listTickets(db: Tx, actor: Actor, filter: TicketFilter): Promise<TicketPage> {
  const at = now()
  const { counted, ...page } = await listTicketPage(db, actor, filter, at, { countUpTo: LIST_COUNT_CAP })
  const { count: total, capped: totalCapped } = counted ?? (await countTickets(db, actor, filter, LIST_COUNT_CAP, at))
  return { ...page, total, totalCapped }
}

/**
 * `listTickets` without the count: for a reader that walks every page (an export). With `countUpTo`, the
 * first page of a search FTS5 drives also counts its matches up to that cap (`counted`): FTS5 reads a
 * prefix term's every match to give the first ones, so reading a thousand ids costs the page no more, and
 * a second pass for `countTickets` cost as much again (20 ms at 1 000 000 tickets).
 */
export async function listTicketPage(
  db: Tx,
  actor: Actor,
  filter: TicketFilter,
  at: string = now(),
  options: { countUpTo?: number } = {},
): Promise<Omit<TicketPage, 'total' | 'totalCapped'> & { counted?: CappedCount }> {
  const perPage = clampInt(filter.perPage, DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
  const pageNumber = clampInt(filter.page, 1, 1, 1_000_000)
  const sort = effectiveSort(filter)
  if (sort === 'relevance') return relevancePage(db, actor, filter, at, perPage, pageNumber)
  const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, sort)
  const order = sortOrder(sort)
  // Backwards (the page before a cursor): walk the index the other way, then turn the rows round.
  const backwards = cursor?.before === true
  const keyDirection = backwards ? flip(order.direction) : order.direction
  const idDirection = backwards ? flip(order.idDirection) : order.idDirection

  // A deferred join: find the page's ids on the tickets table alone (an index does the filtering and
  // ordering), then join the names for those few rows only, not for every matching ticket.
  // A search naming people or departments is not the text's alone: FTS5 cannot drive it.
  const lookups = await lookupsOf(db, actor, filter)
  const drive = lookups.named ? null : ftsDrives(db, actor, filter, { otherFilters: true, sort })
  // «Мои» of someone in a group is walked part by part (`answeringParts`), each to a page, and the parts merged.
  const inParts = !drive && filter.scope === 'mine' && (lookups.groups?.length ?? 0) > 0
  const filtered = db
    .selectFrom('tickets')
    .where((eb) => eb.and(conditions(db, eb, actor, filter, at, lookups, { words: drive !== null, scope: inParts })))
    .select('tickets.id')
  let counted: CappedCount | undefined
  let more: boolean
  let rows: ListedRow[]
  const past = idDirection === 'asc' ? '>' : '<'
  if (drive) {
    // In the FTS5 table's rowid order (= the ticket's id), from the cursor on: see `ftsTable`.
    const rowid = sql.ref<number>('ticket_fts.rowid')
    let driven = filtered.innerJoin(ftsTable, 'ticket_fts.rowid', 'tickets.id').where(drive)
    if (cursor) driven = driven.where(rowid, past, cursor.id)
    // The first page sees every match from the start: those up to the cap are the count too.
    const cap = !cursor && pageNumber === 1 ? options.countUpTo : undefined
    const found = await driven
      .orderBy(rowid, idDirection)
      .limit(Math.max(perPage, cap ?? 0) + 1)
      .execute()
    if (cap !== undefined)
      counted = found.length > cap ? { count: cap, capped: true } : { count: found.length, capped: false }
    more = found.length > perPage
    let query = listedRows(
      db,
      found.slice(0, perPage).map((row) => row.id),
    )
    if (order.key) query = query.orderBy(order.key, order.direction)
    rows = await query.orderBy('tickets.id', order.idDirection).execute()
  } else {
    // In the walk's order from the cursor on, one more than a page: whether there is a page after this one,
    // without counting (and an old client's offset skipped).
    const skip = !cursor && pageNumber > 1 ? (pageNumber - 1) * perPage : 0
    const walk = <O>(query: SelectQueryBuilder<Database, 'tickets', O>) => {
      let walked = cursor ? query.where((eb) => afterEdge(eb, order, cursor, keyDirection, idDirection)) : query
      if (order.key) walked = walked.orderBy(order.key, keyDirection)
      return walked.orderBy('tickets.id', idDirection)
    }
    let pageIds: IdQuery
    if (inParts) {
      // Each part's page with its sort key, in one `union all` (the parts are disjoint), merged in the list's order.
      const key = order.key ?? sql.lit(0)
      const pageOf = (part: Part) =>
        db
          .selectFrom(
            walk(filtered.where(part).select(key.as('sort_key')))
              .limit(skip + perPage + 1)
              .as('part'),
          )
          .select(['part.id', 'part.sort_key'])
      const [assigned, ...queues] = answeringParts(actor.id ?? -1, mineGroups(lookups))
      let merged = queues
        .reduce((all, part) => all.unionAll(pageOf(part)), pageOf(assigned))
        .orderBy('sort_key', keyDirection)
        .orderBy('id', idDirection)
        .limit(perPage + 1)
      if (skip > 0) merged = merged.offset(skip)
      pageIds = db.selectFrom(merged.as('page')).select('page.id')
    } else {
      pageIds = walk(filtered).limit(perPage + 1)
      if (skip > 0) pageIds = pageIds.offset(skip)
    }
    // The page's ids in a subquery and its rows with their names around it: one statement (a round trip less
    // on PostgreSQL), the join still made for the page's rows alone. Read in the walk's order (backwards from
    // a cursor: the nearest first), the one past the page dropped, then turned to the list's order.
    let query = listedRows(db, pageIds)
    if (order.key) query = query.orderBy(order.key, keyDirection)
    const walked = await query.orderBy('tickets.id', idDirection).execute()
    more = walked.length > perPage
    rows = walked.slice(0, perPage)
    if (backwards) rows.reverse()
  }
  const items = rows.map((row) => Object.assign(row, { overdue: isOverdue(row, at) }))

  const first = items[0]
  const last = items.at(-1)
  // Forwards, `more` is a page after; backwards, a page before. The other side is there when we came
  // from it: a cursor (or an offset past the first page) was followed to get here.
  const hasNext = backwards ? cursor !== undefined : more
  const hasPrev = backwards ? more : cursor !== undefined || (pageNumber > 1 && !cursor)
  return {
    items,
    next: hasNext && last ? encodeCursor(sort, order, last, false) : null,
    prev: hasPrev && first ? encodeCursor(sort, order, first, true) : null,
    ...(counted ? { counted } : {}),
  }
}

type ListedRow = Awaited<ReturnType<ReturnType<typeof listedRows>['execute']>>[number]

type TicketsEb = ExpressionBuilder<Database, 'tickets'>
// biome-ignore lint/suspicious/noExplicitAny: any query whose one column is a ticket's id
type IdQuery = SelectQueryBuilder<any, any, { id: number }>

/** The rows of these tickets with the names a list shows (in no particular order): ids, or a query of them. */
function listedRows(db: Tx, ids: readonly number[] | IdQuery) {
  return db
    .selectFrom('tickets')
    .where('tickets.id', 'in', Array.isArray(ids) ? (ids.length > 0 ? ids : [-1]) : ids)
    .innerJoin('users as requester', 'requester.id', 'tickets.requester_id')
    .leftJoin('users as assignee', 'assignee.id', 'tickets.assignee_id')
    .leftJoin('departments', 'departments.id', 'tickets.department_id')
    .leftJoin('categories', 'categories.id', 'tickets.category_id')
    .selectAll('tickets')
    .select([
      // A blocked person (ст. 21) is named «Данные заблокированы» in every list and export.
      shownName('requester').as('requester_name'),
      shownNameOrNull('assignee').as('assignee_name'),
      'departments.name as department_name',
      'categories.name as category_name',
      // So is the place a blocked requester filed from (the ticket page hides it alike, view-ticket.ts): this
      // column comes after `tickets.*`, and a row takes the last of two columns of one name (SQLite and pg).
      sql<
        string | null
      >`case when requester.blocked_at is null or tickets.location is null then tickets.location else ${BLOCKED_TEXT} end`.as(
        'location',
      ),
    ])
}

/**
 * How many of the newest matches «по релевантности» weighs: ranking every match of a broad word at a million
 * tickets would cost what a page must not, and past a thousand nobody reads on. Its pages go by offset within
 * them (the cursor's key), so it stops there; the count says how many there are in all.
 */
export const RELEVANCE_WINDOW = 1_000

/** A page of the newest `RELEVANCE_WINDOW` matches, the most relevant first (ticket-search.ts `relevance`). */
async function relevancePage(
  db: Tx,
  actor: Actor,
  filter: TicketFilter,
  at: string,
  perPage: number,
  pageNumber: number,
): Promise<Omit<TicketPage, 'total' | 'totalCapped'>> {
  // By cursor (its key is where the page starts), or by an old client's page number.
  const offset =
    filter.cursor === undefined
      ? Math.min((pageNumber - 1) * perPage, RELEVANCE_WINDOW)
      : Number(decodeCursor(filter.cursor, 'relevance').key)
  const lookups = await lookupsOf(db, actor, filter)
  const drive = lookups.named ? null : ftsDrives(db, actor, filter, { otherFilters: true, sort: '-id' })
  // The matches with what they are weighed on, in one read.
  const matching = db
    .selectFrom('tickets')
    .where((eb) => eb.and(conditions(db, eb, actor, filter, at, lookups, { words: drive !== null })))
    .select([
      'tickets.id',
      'tickets.title',
      'tickets.description',
      'tickets.location',
      'tickets.requester_id',
      'tickets.assignee_id',
      'tickets.department_id',
    ])
  const rowid = sql.ref<number>('ticket_fts.rowid')
  const found = await (drive
    ? matching.innerJoin(ftsTable, 'ticket_fts.rowid', 'tickets.id').where(drive).orderBy(rowid, 'desc')
    : matching.orderBy('tickets.id', 'desc')
  )
    .limit(RELEVANCE_WINDOW)
    .execute()
  const score = relevanceOf(filter.q ?? '', lookups.named)
  const ranked = found
    .map((ticket) => ({ id: ticket.id, score: score(ticket) }))
    .sort((a, b) => b.score - a.score || b.id - a.id)
  const ids = ranked.slice(offset, offset + perPage).map((row) => row.id)
  const rows = await listedRows(db, ids).execute()
  const byId = new Map(rows.map((row) => [row.id, row]))
  const items = ids.flatMap((id) => {
    const row = byId.get(id)
    return row ? [{ ...row, overdue: isOverdue(row, at) }] : []
  })
  const edge = (start: number) =>
    Buffer.from(JSON.stringify(['relevance', start, ids[0] ?? 0, 'a'])).toString('base64url')
  return {
    items,
    next: offset + perPage < ranked.length ? edge(offset + perPage) : null,
    prev: offset > 0 ? edge(Math.max(0, offset - perPage)) : null,
  }
}

type Direction = 'asc' | 'desc'

interface SortOrder {
  /** The sort key (null: the id alone). */
  key: RawBuilder<string | number> | null
  /** Reads the key of a row for a cursor. */
  keyOf: ((row: TicketListItem) => string | number) | null
  direction: Direction
  /** The id breaks ties so that paging is stable. */
  idDirection: Direction
}

/** A ticket without a deadline (older data) sorts after every deadline: ISO texts compare as their instants. */
const NO_DEADLINE = '9999-12-31T23:59:59.999Z'

function sortOrder(sort: TicketSort): SortOrder {
  const direction: Direction = sort.startsWith('-') ? 'desc' : 'asc'
  const field = sort.replace('-', '') as Exclude<TicketSort, `-${string}`>
  switch (field) {
    case 'id':
      return { key: null, keyOf: null, direction, idDirection: direction }
    case 'created_at':
    case 'updated_at':
      return { key: sql.ref(`tickets.${field}`), keyOf: (row) => row[field], direction, idDirection: direction }
    case 'resolution_due_at':
      return {
        key: deadlineKey,
        keyOf: (row) => row.resolution_due_at ?? NO_DEADLINE,
        direction,
        idDirection: direction,
      }
    case 'requester':
      return { key: requesterKey, keyOf: (row) => row.requester_name, direction, idDirection: direction }
    case 'assignee':
      return { key: assigneeKey, keyOf: (row) => row.assignee_name ?? '', direction, idDirection: direction }
    case 'priority':
      return {
        key: priorityKey,
        keyOf: (row) => priorityRank[row.priority],
        direction,
        idDirection: direction,
      }
    case 'status':
      // Within a status the newest first, as the list always showed (the index is built so: 0021).
      return { key: statusKey, keyOf: (row) => statusRank[row.status], direction, idDirection: 'desc' }
    case 'relevance':
      // Weighed in memory (`relevancePage`); an export walks the same matches by number.
      return { key: null, keyOf: null, direction: 'desc', idDirection: 'desc' }
  }
}

function flip(direction: Direction): Direction {
  return direction === 'asc' ? 'desc' : 'asc'
}

/**
 * Rows strictly past the cursor's row in this order, written so that an index on (key, id) finds the
 * start by a range on the key: `key >= k and (key > k or id > i)` (with the comparisons of each
 * direction), rather than a row-value comparison that mixed directions cannot use.
 */
function afterEdge(
  eb: ExpressionBuilder<Database, 'tickets'>,
  order: SortOrder,
  cursor: ListCursor,
  keyDirection: Direction,
  idDirection: Direction,
): Expression<SqlBool> {
  const past = (direction: Direction) => (direction === 'asc' ? '>' : '<')
  const byId = eb('tickets.id', past(idDirection), cursor.id)
  if (!order.key || cursor.key === null) return byId
  const key = order.key
  const from = keyDirection === 'asc' ? '>=' : '<='
  return eb.and([eb(key, from, cursor.key), eb.or([eb(key, past(keyDirection), cursor.key), byId])])
}

interface ListCursor {
  key: string | number | null
  id: number
  before: boolean
}

/** A cursor is opaque to clients: base64url of `[sort, key, id, "a" | "b"]`. */
function encodeCursor(sort: TicketSort, order: SortOrder, row: TicketListItem, before: boolean): string {
  const key = order.keyOf ? order.keyOf(row) : null
  return Buffer.from(JSON.stringify([sort, key, row.id, before ? 'b' : 'a'])).toString('base64url')
}

/** The cursor, or a `bad_request` refusal: garbage, or a cursor of another sort (its key means nothing here). */
function decodeCursor(text: string, sort: TicketSort): ListCursor {
  const refuse = () =>
    new DomainError('bad_request', 'Неверный курсор списка: начните с первой страницы (без cursor) и идите по next')
  let parsed: unknown
  try {
    parsed = /^[A-Za-z0-9_-]{1,400}$/.test(text) ? JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) : null
  } catch {
    throw refuse()
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw refuse()
  const [cursorSort, key, id, side] = parsed as unknown[]
  if (cursorSort !== sort || (side !== 'a' && side !== 'b')) throw refuse()
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || id > MAX_ID) throw refuse()
  const field = sort.replace('-', '')
  const keyOk =
    field === 'id'
      ? key === null
      : field === 'relevance'
        ? typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < RELEVANCE_WINDOW
        : field.endsWith('_at')
          ? typeof key === 'string' && key.length <= 40
          : field === 'requester' || field === 'assignee'
            ? typeof key === 'string' && key.length <= 300
            : typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < 10
  if (!keyOk) throw refuse()
  return { key: key as string | number | null, id, before: side === 'b' }
}

/** Is this text a cursor of this sort? (The web drops a stale one instead of refusing the page.) */
export function isCursorOf(text: string, sort: TicketSort): boolean {
  try {
    decodeCursor(text, sort)
    return true
  } catch {
    return false
  }
}

export function isOverdue(ticket: Pick<Ticket, 'status' | 'resolution_due_at'>, at: string = now()): boolean {
  return !finalStatuses.includes(ticket.status) && ticket.resolution_due_at !== null && ticket.resolution_due_at < at
}

/**
 * The filter as conditions on `tickets`. `leave.words` leaves the search out (an FTS5 join does it); `leave.scope`
 * leaves «мои» out (the page walks each of `answeringParts` on its own).
 */
function conditions(
  tx: Tx,
  eb: ExpressionBuilder<Database, 'tickets'>,
  actor: Actor,
  filter: TicketFilter,
  at: string,
  lookups: FilterLookups,
  leave: { words?: boolean; scope?: boolean } = {},
): Expression<SqlBool>[] {
  const list: Expression<SqlBool>[] = []
  // Without a ticket, `ticket.view` is true only for those who see every ticket.
  if (!can(actor, 'ticket.view')) list.push(eb('tickets.requester_id', '=', actor.id ?? -1))
  if (filter.status && filter.status.length > 0) list.push(eb('tickets.status', 'in', filter.status))
  if (filter.priority && filter.priority.length > 0) list.push(eb('tickets.priority', 'in', filter.priority))
  if (filter.categoryId !== undefined) list.push(inCategory(eb, lookups.categories ?? [filter.categoryId]))
  if (filter.assigneeId === 'none') list.push(eb('tickets.assignee_id', 'is', null))
  else if (filter.assigneeId !== undefined) list.push(eb('tickets.assignee_id', '=', filter.assigneeId))
  if (filter.requesterId !== undefined) list.push(eb('tickets.requester_id', '=', filter.requesterId))
  if (filter.departmentId !== undefined) list.push(eb('tickets.department_id', '=', filter.departmentId))
  if (filter.groupId !== undefined) list.push(eb('tickets.group_id', '=', filter.groupId))
  if (filter.scope === 'mine' && !leave.scope) list.push(answeredFor(eb, actor.id ?? -1, mineGroups(lookups)))
  if (filter.createdFrom) list.push(eb('tickets.created_at', '>=', filter.createdFrom))
  if (filter.createdBefore) list.push(eb('tickets.created_at', '<', filter.createdBefore))
  if (filter.overdue !== undefined) {
    const overdue = eb.and([
      // `in` the open statuses rather than `not in` the final ones: an index range per status.
      eb(
        'tickets.status',
        'in',
        ticketStatuses.filter((status) => !finalStatuses.includes(status)),
      ),
      eb('tickets.resolution_due_at', 'is not', null),
      eb('tickets.resolution_due_at', '<', at),
    ])
    list.push(filter.overdue ? overdue : eb.not(overdue))
  }
  if (!leave.words && filter.q !== undefined && filter.q.trim() !== '') {
    const number = bareNumber(filter.q)
    // «№ 123» is the ticket's number alone; a bare «123» is that number, or a room or a word with it.
    const text =
      number !== undefined && /^\s*[№#]/u.test(filter.q)
        ? null
        : matchTickets(tx, eb, filter.q, can(actor, 'ticket.view_internal'), lookups.named)
    // A bare number also finds the ticket with that number («123»).
    const byNumber = number === undefined ? null : eb('tickets.id', '=', Number(number))
    const either = [text, byNumber].filter((e): e is Expression<SqlBool> => e !== null)
    if (either.length > 0) list.push(eb.or(either))
  }
  return list
}

/** Assigned to this person, or waiting unassigned in one of their executor groups (read before: `memberGroupIds`). */
export function answeredFor(
  eb: ExpressionBuilder<Database, 'tickets'>,
  userId: number,
  groups: readonly number[],
): Expression<SqlBool> {
  const assigned = eb('tickets.assignee_id', '=', userId)
  if (groups.length === 0) return assigned
  return eb.or([assigned, eb.and([eb('tickets.assignee_id', 'is', null), eb('tickets.group_id', 'in', groups)])])
}

type Part = (eb: TicketsEb) => Expression<SqlBool>

/**
 * `answeredFor` as disjoint parts: assigned to them; unassigned in group 1; unassigned in group 2… Each is one range
 * of an index in the list's order, so a page of «мои» reads each part up to a page (`listTicketPage`) rather than
 * every match of an `or` to sort them (1.3 s at a million tickets).
 */
function answeringParts(userId: number, groups: readonly number[]): [Part, ...Part[]] {
  return [
    (eb) => eb('tickets.assignee_id', '=', userId),
    ...groups.map(
      (group): Part =>
        (eb) =>
          eb.and([eb('tickets.assignee_id', 'is', null), eb('tickets.group_id', '=', group)]),
    ),
  ]
}

/** The actor's groups for «мои»: `lookupsOf` reads them whenever the filter has that scope. */
function mineGroups(lookups: FilterLookups): readonly number[] {
  if (!lookups.groups) throw new Error('«мои» without its groups read (lookupsOf)')
  return lookups.groups
}

/** The ticket is in one of these categories: a category's family (`categoryFamily`). */
export function inCategory(eb: ExpressionBuilder<Database, 'tickets'>, family: readonly number[]): Expression<SqlBool> {
  return eb('tickets.category_id', 'in', family)
}

const familyOf = prepared((db, p: { id: number }) =>
  db
    .selectFrom('categories')
    .select('id')
    .where((c) => c.or([c('id', '=', p.id), c('parent_id', '=', p.id)])),
)

/**
 * A category and its direct subcategories, read before the query that filters by them. Given the ids as values,
 * PostgreSQL's planner knows how many tickets they hold and walks a rare category's own index; given a subquery,
 * it walked the whole `created_at` index for a category of one ticket (0.5–1 s at a million tickets).
 */
export async function categoryFamily(db: Tx, categoryId: number): Promise<number[]> {
  const rows = await familyOf.execute(db, { id: categoryId })
  // None: no such category, and no ticket in it either.
  return rows.length > 0 ? rows.map((row) => row.id) : [categoryId]
}

function rankOf<K extends string>(column: 'tickets.priority' | 'tickets.status', ranks: Record<K, number>) {
  const cases = Object.entries<number>(ranks).map(([value, rank]) => sql`when ${sql.lit(value)} then ${sql.lit(rank)}`)
  return sql<number>`case ${sql.ref(column)} ${sql.join(cases, sql` `)} end`
}

/** The rank expressions the list sorts by; migration 0021 indexes exactly these texts. */
const priorityKey = rankOf('tickets.priority', priorityRank)
const statusKey = rankOf('tickets.status', statusRank)

/**
 * The deadline and the people's names as shown (a blocked person's is «Данные заблокированы» here too, so the
 * order tells nothing of the name hidden). No index serves the names: a sort by them reads every matching
 * ticket, which is why the web list runs it on the read handle (threads on SQLite), as it runs a search.
 */
const deadlineKey = sql<string>`coalesce(${sql.ref('tickets.resolution_due_at')}, ${NO_DEADLINE})`
const requesterKey = sql<string>`(select ${shownName('people')} from ${sql.table('users')} as ${sql.id('people')}
  where ${sql.ref('people.id')} = ${sql.ref('tickets.requester_id')})`
const assigneeKey = sql<string>`coalesce((select ${shownName('people')} from ${sql.table('users')} as ${sql.id('people')}
  where ${sql.ref('people.id')} = ${sql.ref('tickets.assignee_id')}), '')`

/** Sorts that read every matching ticket (no index gives their order). */
export const unindexedSorts: readonly TicketSort[] = ['requester', '-requester', 'assignee', '-assignee']

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback
  return Math.min(max, Math.max(min, Math.trunc(value)))
}
