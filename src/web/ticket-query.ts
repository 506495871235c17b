import { type Priority, priorities, type TicketStatus, ticketStatuses } from '#src/db/schema.ts'
import { parseId } from '#src/format/ids.ts'
import { beforeBound, fromBound, validDay } from '#src/format/zone-days.ts'
import {
  effectiveSort,
  isCursorOf,
  type TicketFilter,
  type TicketSort,
  ticketSorts,
} from '#src/tickets/ticket-store.ts'

/**
 * The list's filters as they live in the URL (a link shares a view). Parsed leniently: a value that
 * makes no sense is dropped, as a person editing the address bar would expect; so are ids and dates out
 * of range (`department=2147483648` would be a 500 on PostgreSQL, `9999-12-31` a day past any ticket).
 */
export interface ListQuery {
  /** Empty: see `allStatuses`. */
  status: TicketStatus[]
  /**
   * Every status, asked for (`status=all`: the form sends it with no status ticked). Without it and without a
   * status, staff see the open tickets: the list they work from, not every ticket ever (`parseListQuery`).
   */
  allStatuses?: boolean
  priority: Priority[]
  category?: number
  assignee?: number | 'none'
  group?: number
  department?: number
  from?: string
  to?: string
  q?: string
  overdue?: boolean
  /** `mine`: assigned to me or unassigned in my groups (the dashboard's link). */
  scope?: 'mine'
  sort?: TicketSort
  /** The page's edge (from the pager's links); none: the first page. */
  cursor?: string
}

export const PER_PAGE = 50
/** The `status` value for every status (the filter form's hidden field). */
export const ALL_STATUSES = 'all'
export const openStatuses: TicketStatus[] = ['new', 'in_progress', 'waiting']

/**
 * The list's query from its address. For `staff`, an address without a status (the navigation's «Заявки»,
 * «Сбросить», an old link) is the open tickets, «Все открытые»; every status is one tick away (`status=all`).
 */
export function parseListQuery(params: URLSearchParams, options: { staff?: boolean } = {}): ListQuery {
  const many = (key: string) => params.getAll(key).flatMap((v) => v.split(','))
  const one = (key: string) => {
    const value = params.get(key)?.trim()
    return value === '' || value === null ? undefined : value
  }
  const assignee = one('assignee')
  const sort = one('sort')
  const q = one('q')?.replaceAll('\u0000', '').slice(0, 200)
  const statuses = many('status')
  const query: ListQuery = {
    status: ticketStatuses.filter((s) => statuses.includes(s)),
    priority: priorities.filter((p) => many('priority').includes(p)),
  }
  if (query.status.length === 0 && statuses.includes(ALL_STATUSES)) query.allStatuses = true
  else if (options.staff && !params.has('status')) query.status = [...openStatuses]
  const set = <K extends keyof ListQuery>(key: K, value: ListQuery[K] | undefined) => {
    if (value !== undefined) query[key] = value
  }
  set('category', parseId(one('category')))
  set('assignee', assignee === 'none' ? 'none' : parseId(assignee))
  set('group', parseId(one('group')))
  set('department', parseId(one('department')))
  set('from', validDay(one('from')))
  set('to', validDay(one('to')))
  set('q', q)
  set('overdue', one('overdue') === '1' ? true : undefined)
  set('scope', one('scope') === 'mine' ? 'mine' : undefined)
  set(
    'sort',
    ticketSorts.find((s) => s === sort),
  )
  // A cursor of another sort (or a damaged one) is dropped: the first page, not a refusal. An old link's
  // `page=N` is ignored the same way.
  const cursor = one('cursor')
  if (cursor !== undefined && isCursorOf(cursor, effectiveSort(query))) query.cursor = cursor
  return query
}

/** The list's query as the store's filter; its days (`from`, `to`) are days of the hospital's zone, `tz`. */
export function toFilter(query: ListQuery, tz: string, perPage = PER_PAGE): TicketFilter {
  return {
    status: query.status,
    priority: query.priority,
    categoryId: query.category,
    assigneeId: query.assignee,
    groupId: query.group,
    departmentId: query.department,
    createdFrom: query.from && fromBound(query.from, tz),
    createdBefore: query.to && beforeBound(query.to, tz),
    q: query.q,
    overdue: query.overdue,
    scope: query.scope,
    sort: query.sort,
    cursor: query.cursor,
    perPage,
  }
}

/** The query back as URL parameters, with changes (`undefined` removes a key). */
export function listHref(query: ListQuery, change: Partial<Record<keyof ListQuery, unknown>> = {}): string {
  const { allStatuses, ...merged }: Record<string, unknown> = { ...query, ...change }
  const params = new URLSearchParams()
  if (allStatuses === true && Array.isArray(merged.status) && merged.status.length === 0)
    params.set('status', ALL_STATUSES)
  for (const [key, value] of Object.entries(merged)) {
    if (value === undefined || value === null || value === false) continue
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v))
    else params.set(key, value === true ? '1' : String(value))
  }
  const text = params.toString()
  return text === '' ? '/tickets' : `/tickets?${text}`
}

/** Ready views: filters with a name. */
export interface ReadyView {
  key: 'mine' | 'unassigned' | 'overdue' | 'open'
  label: string
  query: ListQuery
}

export function readyViews(userId: number, staff: boolean): ReadyView[] {
  const base: ListQuery = { status: [], priority: [] }
  const open: ReadyView = { key: 'open', label: 'Все открытые', query: { ...base, status: openStatuses } }
  if (!staff) return [open]
  return [
    { key: 'mine', label: 'Мои', query: { ...base, status: openStatuses, assignee: userId } },
    { key: 'unassigned', label: 'Не назначенные', query: { ...base, status: openStatuses, assignee: 'none' } },
    // Overdue tickets are open ones: said so, the view is what the list shows for its link.
    { key: 'overdue', label: 'Просроченные', query: { ...base, status: openStatuses, overdue: true } },
    open,
  ]
}

/** Is the list showing exactly this view (ignoring sort and page)? */
export function isView(query: ListQuery, view: ReadyView): boolean {
  const strip = (q: ListQuery) => listHref({ ...q, sort: undefined, cursor: undefined })
  return strip(query) === strip(view.query)
}
