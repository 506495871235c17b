import {
  type AliasedRawBuilder,
  type Expression,
  type ExpressionBuilder,
  type Insertable,
  type RawBuilder,
  type SqlBool,
  sql,
} from 'kysely'
import { dialectOf } from '#src/db/database.ts'
import type { Database, Ticket, TicketsTable, Tx } from '#src/db/schema.ts'
import { startsWordText } from '#src/db/text-match.ts'

/**
 * The full-text index of tickets (migration 0001): SQLite FTS5 `ticket_fts(title, description, messages,
 * notes)` with rowid = ticket id; PostgreSQL `ticket_search(ticket_id, public_text, internal_text, …)` with
 * the `russian` configuration. Internal notes are kept apart so that a requester's search never matches one.
 * Every write happens in the caller's transaction, beside the change it indexes.
 */

/** Text beyond this is not indexed: PostgreSQL refuses a tsvector over 1 MB, and nobody searches that deep. */
const MAX_INDEXED_CHARS = 400_000
const MAX_TERMS = 12
const MAX_TERM_CHARS = 64

export interface IndexedTicket {
  id: number
  title: string
  description: string
  location: string | null
}

/**
 * The description as indexed: with the ticket's place (кабинет, корпус) on a line of its own, so that «214»
 * or «приёмное» finds the tickets from there (issue 13). Migration 0031 indexed the places of older tickets.
 */
export function indexedDescription(ticket: Pick<IndexedTicket, 'description' | 'location'>): string {
  return ticket.location ? `${ticket.description}\n${ticket.location}` : ticket.description
}

/**
 * Inserts a new ticket and indexes its title, description and place. On PostgreSQL in one statement, the index
 * row inserted by a data-modifying CTE from the ticket's new id: a round trip less for every ticket filed.
 */
export async function insertIndexedTicket(tx: Tx, values: Insertable<TicketsTable>): Promise<Ticket> {
  const insert = tx.insertInto('tickets').values(values).returningAll()
  if (dialectOf(tx) !== 'postgres') {
    const ticket = await insert.executeTakeFirstOrThrow()
    await indexNewTicket(tx, ticket)
    return ticket
  }
  const text = publicText({ title: values.title, description: values.description, location: values.location ?? null })
  const { rows } = await sql<Ticket>`with t as (${insert}),
      s as (insert into ticket_search (ticket_id, public_text, internal_text) select id, ${text}, '' from t)
    select * from t`.execute(tx)
  const [ticket] = rows
  if (!ticket) throw new Error('insert into tickets returned no row')
  return ticket
}

/** PostgreSQL's public text of a new ticket: its title, and its description with its place. */
function publicText(ticket: Omit<IndexedTicket, 'id'>): string {
  return `${ticket.title}\n${indexedDescription(ticket)}`
}

/** Indexes a new ticket's title, description and place. */
export async function indexNewTicket(tx: Tx, ticket: IndexedTicket): Promise<void> {
  if (dialectOf(tx) === 'postgres') {
    await sql`insert into ticket_search (ticket_id, public_text, internal_text)
      values (${ticket.id}, ${publicText(ticket)}, '')`.execute(tx)
    return
  }
  const description = indexedDescription(ticket)
  await sql`insert into ticket_fts (rowid, title, description, messages, notes)
    values (${ticket.id}, ${ticket.title}, ${description}, '', '')`.execute(tx)
}

/** Adds a message to the ticket's index: external ones are public, internal notes are staff-only. */
export async function indexMessage(tx: Tx, ticketId: number, body: string, internal: boolean): Promise<void> {
  if (dialectOf(tx) === 'postgres') {
    const column = sql.ref(internal ? 'internal_text' : 'public_text')
    await sql`update ticket_search
      set ${column} = case when length(${column}) < ${MAX_INDEXED_CHARS} then ${column} || ${`\n${body}`} else ${column} end
      where ticket_id = ${ticketId}`.execute(tx)
    return
  }
  const column = sql.ref(internal ? 'notes' : 'messages')
  await sql`update ticket_fts
    set ${column} = case when length(${column}) < ${MAX_INDEXED_CHARS} then ${column} || ${`\n${body}`} else ${column} end
    where rowid = ${ticketId}`.execute(tx)
}

/** Rebuilds one ticket's index from its rows (after a change of its title or place). */
export async function reindexTicket(tx: Tx, ticketId: number): Promise<void> {
  const ticket = await tx
    .selectFrom('tickets')
    .select(['id', 'title', 'description', 'location'])
    .where('id', '=', ticketId)
    .executeTakeFirst()
  if (!ticket) return
  const messages = await tx
    .selectFrom('ticket_messages')
    .select(['kind', 'body'])
    .where('ticket_id', '=', ticketId)
    .orderBy('id')
    .execute()
  const joined = (kind: 'external' | 'internal') =>
    messages
      .filter((m) => m.kind === kind)
      .map((m) => m.body)
      .join('\n')
      .slice(0, MAX_INDEXED_CHARS)
  const external = joined('external')
  const internal = joined('internal')
  const description = indexedDescription(ticket)
  if (dialectOf(tx) === 'postgres') {
    const publicText = `${ticket.title}\n${description}\n${external}`
    await sql`insert into ticket_search (ticket_id, public_text, internal_text)
      values (${ticket.id}, ${publicText}, ${internal})
      on conflict (ticket_id) do update set public_text = excluded.public_text, internal_text = excluded.internal_text`.execute(
      tx,
    )
    return
  }
  await sql`delete from ticket_fts where rowid = ${ticket.id}`.execute(tx)
  await sql`insert into ticket_fts (rowid, title, description, messages, notes)
    values (${ticket.id}, ${ticket.title}, ${description}, ${external}, ${internal})`.execute(tx)
}

/**
 * The words of a query, stripped of everything else: quotes, `*`, `:`, `^`, parentheses and operators
 * never reach the FTS parser, so no query can make it fail.
 */
export function searchTerms(query: string): string[] {
  const words = query.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? []
  return [...new Set(words.map((w) => w.toLowerCase().slice(0, MAX_TERM_CHARS)))].slice(0, MAX_TERMS)
}

/**
 * Russian inflections, longest first. FTS5 has no Russian stemmer: cutting the ending off a query word
 * and searching the rest as a prefix lets «принтеры» find «принтера», as PostgreSQL's `russian` does.
 */
const russianEndings = (
  'ями ами ого его ому ему ыми ими ают яют ует ' +
  'ой ей ий ый ая яя ое ее ые ие ом ем ам ям ах ях ов ев ую юю ют ет ит ут ат ят ' +
  'а я ы и у ю е о ь й'
).split(' ')
const MIN_STEM = 3

export function prefixStem(term: string): string {
  if (!/^[а-яё]+$/u.test(term)) return term
  const ending = russianEndings.find((e) => term.endsWith(e) && term.length - e.length >= MIN_STEM)
  return ending === undefined ? term : term.slice(0, term.length - ending.length)
}

/** FTS5 query: every word a quoted prefix term, all required, in the columns this reader may search. */
export function ftsQuery(terms: readonly string[], includeInternal: boolean): string {
  const columns = includeInternal ? '{title description messages notes}' : '{title description messages}'
  return `${columns} : (${ftsTerms(terms)})`
}

/** The words as FTS5 quoted prefix terms of their stems: all required, or (`any`) one enough. */
export function ftsTerms(terms: readonly string[], any = false): string {
  return terms.map((t) => `"${prefixStem(t)}"*`).join(any ? ' OR ' : ' ')
}

/** PostgreSQL tsquery text: every word a prefix term, all required, or (`any`) one enough. */
export function tsQuery(terms: readonly string[], any = false): string {
  return terms.map((t) => `${t}:*`).join(any ? ' | ' : ' & ')
}

/** Per word of a search, the people (by ФИО) and departments (by name) it names: ids, none for most words. */
export type NamedInQuery = ReadonlyMap<string, { people: readonly number[]; departments: readonly number[] }>

/** A word shorter than this names nobody: «ул», «5» would name half the hospital. */
const MIN_NAME_TERM = 3
/** A word naming more people than this is a first name of many: their tickets are found by the text alone. */
const MAX_NAMED_PEOPLE = 500

/**
 * The people and departments a staff search names («Емельянова», «хирургия»): a word a word of whose ФИО or
 * name begins with (its Russian ending cut as for the text: «Емельяновой» finds Емельянова). A blocked
 * person (ст. 21) is not found by name. Undefined when no word names anyone: the search is the text's alone.
 */
export async function namedInQuery(tx: Tx, query: string): Promise<NamedInQuery | undefined> {
  const named = new Map<string, { people: number[]; departments: number[] }>()
  const dialect = dialectOf(tx)
  for (const term of searchTerms(query)) {
    if (term.length < MIN_NAME_TERM || !/\p{L}/u.test(term)) continue
    const stem = prefixStem(term)
    const people = await tx
      .selectFrom('users')
      .select('id')
      .where('blocked_at', 'is', null)
      .where(startsWordText(dialect, 'full_name', stem))
      .limit(MAX_NAMED_PEOPLE + 1)
      .execute()
    const departments = await tx
      .selectFrom('departments')
      .select('id')
      .where(startsWordText(dialect, 'name', stem))
      .execute()
    const ids = people.length > MAX_NAMED_PEOPLE ? [] : people.map((p) => p.id)
    if (ids.length > 0 || departments.length > 0)
      named.set(term, { people: ids, departments: departments.map((d) => d.id) })
  }
  return named.size > 0 ? named : undefined
}

/**
 * A condition on `tickets.id` matching the query, or null when the query has no words to search for.
 * Staff (`includeInternal`) also search internal notes. With `named` (namedInQuery), each word is found in
 * the text, or as the requester, the executor or the department it names: «принтер Емельянова» is a ticket
 * about a printer filed by or assigned to Емельянова.
 */
export function matchTickets(
  tx: Tx,
  eb: ExpressionBuilder<Database, 'tickets'>,
  query: string,
  includeInternal: boolean,
  named?: NamedInQuery,
): Expression<SqlBool> | null {
  const terms = searchTerms(query)
  if (terms.length === 0) return null
  if (named === undefined) return textMatch(tx, eb, terms, includeInternal)
  return eb.and(
    terms.map((term) => {
      const text = textMatch(tx, eb, [term], includeInternal)
      const { people = [], departments = [] } = named.get(term) ?? {}
      return eb.or([
        text,
        ...(people.length > 0
          ? [eb('tickets.requester_id', 'in', people), eb('tickets.assignee_id', 'in', people)]
          : []),
        ...(departments.length > 0 ? [eb('tickets.department_id', 'in', departments)] : []),
      ])
    }),
  )
}

/** Tickets whose text holds every one of these words. */
function textMatch(
  tx: Tx,
  eb: ExpressionBuilder<Database, 'tickets'>,
  terms: readonly string[],
  includeInternal: boolean,
): Expression<SqlBool> {
  if (dialectOf(tx) === 'postgres') {
    const vector = sql.ref(includeInternal ? 'all_tsv' : 'public_tsv')
    return eb(
      'tickets.id',
      'in',
      sql<number>`(select ticket_id from ticket_search where ${vector} @@ to_tsquery('russian', ${tsQuery(terms)}))`,
    )
  }
  return eb(
    'tickets.id',
    'in',
    sql<number>`(select rowid from ticket_fts where ticket_fts match ${ftsQuery(terms, includeInternal)})`,
  )
}

/**
 * SQLite: the FTS5 table to join when the match should drive the query. Joined (not `id in (…)`, which
 * reads every match first), FTS5 hands its matches over in rowid order and `order by ticket_fts.rowid
 * limit n` stops after n: a broad word («принтер») costs a page, not the tens of thousands it matches.
 * PostgreSQL has no such table: its planner chooses between the GIN index and the id order itself.
 */
export const ftsTable: AliasedRawBuilder<{ rowid: number }, 'ticket_fts'> = sql<{
  rowid: number
}>`ticket_fts`.as('ticket_fts')

/** The joined FTS5 table's condition (see `ftsTable`), or null when the query has no words. */
export function ftsMatch(query: string, includeInternal: boolean): RawBuilder<SqlBool> | null {
  const terms = searchTerms(query)
  if (terms.length === 0) return null
  return sql<SqlBool>`ticket_fts match ${ftsQuery(terms, includeInternal)}`
}

/** A piece of a shown text: `hit` when a word of the search begins there (marked in the list). */
export interface TextPart {
  text: string
  hit: boolean
}

/**
 * The words of a text that a search matched, as the index matches them: a word beginning with a query word
 * (its Russian ending cut, `prefixStem`). For showing only: which tickets match is the index's business.
 */
export function highlightParts(text: string, query: string): TextPart[] {
  const stems = searchTerms(query).map(prefixStem)
  if (stems.length === 0 || text === '') return [{ text, hit: false }]
  const parts: TextPart[] = []
  let plain = 0
  for (const word of text.matchAll(/[\p{L}\p{N}]+/gu)) {
    const lower = word[0].normalize('NFC').toLowerCase()
    if (!stems.some((stem) => lower.startsWith(stem))) continue
    if (word.index > plain) parts.push({ text: text.slice(plain, word.index), hit: false })
    parts.push({ text: word[0], hit: true })
    plain = word.index + word[0].length
  }
  if (plain < text.length) parts.push({ text: text.slice(plain), hit: false })
  return parts
}

/**
 * A line of a long text around its first match (about `width` characters, cut at spaces, «…» where cut),
 * or undefined when the search matched nothing in it.
 */
export function snippet(text: string, query: string, width = 140): string | undefined {
  const flat = text.replace(/\s+/g, ' ').trim()
  let at = 0
  const parts = highlightParts(flat, query)
  const first = parts.findIndex((part) => part.hit)
  if (first < 0) return undefined
  for (const part of parts.slice(0, first)) at += part.text.length
  let start = Math.max(0, at - Math.floor(width / 3))
  if (start > 0) start = flat.lastIndexOf(' ', start) + 1
  let end = Math.min(flat.length, start + width)
  if (end < flat.length && flat.lastIndexOf(' ', end) > at) end = flat.lastIndexOf(' ', end)
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`
}

/** What a ticket's relevance is judged on: its words, and whom and where the search named. */
export interface RankedTicket {
  id: number
  title: string
  description: string
  location: string | null
  requester_id: number
  assignee_id: number | null
  department_id: number | null
}

/**
 * How well a ticket answers a search (more is better), for «по релевантности»: a word in the title counts
 * most, then the place, the people and department named, then the description (a few times at most). A
 * ticket found by its messages alone scores the least, but is still found. Ties go to the newer ticket.
 */
export function relevance(ticket: RankedTicket, query: string, named?: NamedInQuery): number {
  return relevanceOf(query, named)(ticket)
}

/** `relevance` for many tickets of one search: its words and their stems are worked out once. */
export function relevanceOf(query: string, named?: NamedInQuery): (ticket: RankedTicket) => number {
  const terms = searchTerms(query).map((term) => ({ stem: prefixStem(term), ...named?.get(term) }))
  return (ticket) => {
    let score = 0
    for (const { stem, people = [], departments = [] } of terms) {
      const title = wordsBeginning(ticket.title, stem, 2)
      score += title > 0 ? 6 + (title > 1 ? 1 : 0) : 0
      score += wordsBeginning(ticket.location, stem, 1) > 0 ? 3 : 0
      score += wordsBeginning(ticket.description, stem, 3)
      if (people.includes(ticket.requester_id) || (ticket.assignee_id !== null && people.includes(ticket.assignee_id)))
        score += 4
      if (ticket.department_id !== null && departments.includes(ticket.department_id)) score += 2
    }
    return score
  }
}

/** How many words of a text begin with the stem, counting up to `max` (a long description is not read on). */
export function wordsBeginning(text: string | null, stem: string, max: number): number {
  if (text === null) return 0
  let found = 0
  for (const word of text.matchAll(/[\p{L}\p{N}]+/gu)) {
    if (word[0].normalize('NFC').toLowerCase().startsWith(stem) && ++found >= max) break
  }
  return found
}
