import { DomainError } from '#src/errors.ts'
import type { NormalizedQuery } from '#src/saved-views/saved-view-store.ts'
import { type ListQuery, listHref, parseListQuery } from './ticket-query.ts'

/**
 * A saved view's query is the list's own: read by the list's parser (as staff read it: no status is the open
 * tickets) and written back by `listHref`, without the page's cursor. What the list would drop (an unknown key,
 * an id out of range, a date that is no day) is dropped here too, so a view never holds what the list ignores.
 * Accepts the list's address (`/tickets?…`), a query string with or without its `?`.
 */
export function normalizeListQuery(raw: string): NormalizedQuery {
  const text = raw.trim()
  const search = text.startsWith('/') ? ticketsSearch(text) : text.replace(/^\?/, '')
  const query = parseListQuery(new URLSearchParams(search), { staff: true })
  return queryText(query)
}

/** The query of a list as a view stores it (the brand: it is the list parser's own writing). */
export function queryText(query: ListQuery): NormalizedQuery {
  const href = listHref({ ...query, cursor: undefined })
  return href.replace(/^\/tickets\??/, '') as NormalizedQuery
}

/** A view's stored query as the list reads it. */
export function viewListQuery(stored: string): ListQuery {
  return parseListQuery(new URLSearchParams(stored), { staff: true })
}

/** The list's address of a view. */
export function viewHref(stored: string): string {
  return stored === '' ? '/tickets' : `/tickets?${stored}`
}

function ticketsSearch(path: string): string {
  const match = /^\/tickets(?:\?(.*))?$/s.exec(path)
  if (!match) throw new DomainError('validation', 'Вид — это фильтр списка заявок (/tickets?…)')
  return match[1] ?? ''
}
