import type { Category, Department, ExecutorGroup, User } from '#src/db/schema.ts'
import { priorities, ticketStatuses } from '#src/db/schema.ts'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import { highlightParts, indexedDescription, snippet } from '#src/tickets/ticket-search.ts'
import { type CappedCount, effectiveSort, type TicketListItem, type TicketSort } from '#src/tickets/ticket-store.ts'
import { deadlineLeft } from '../format.ts'
import { msg, t, tn } from '../i18n.ts'
import { ALL_STATUSES, isView, type ListQuery, listHref, type ReadyView } from '../ticket-query.ts'
import { Layout } from './layout.tsx'
import { LiveList } from './live-list.tsx'
import {
  CsrfField,
  DateRange,
  Empty,
  FilterButtons,
  groupDigits,
  KeysetPager,
  PageHead,
  PriorityBadge,
  StatusBadge,
  shownCount,
  statusClass,
  When,
} from './parts.tsx'
import { type SavedViewLink, SavedViewsNav } from './saved-views.tsx'

export interface Person {
  id: number
  full_name: string
}

export interface ListLookups {
  categories: Category[]
  departments: Department[]
  groups: ExecutorGroup[]
  staff: Person[]
}

export interface ListViewProps {
  user: User
  csrf: string
  staff: boolean
  query: ListQuery
  items: TicketListItem[]
  /** Counted up to a cap (LIST_COUNT_CAP): past it, «более 1 000». */
  total: CappedCount
  /** Cursors of the pages after and before this one. */
  next: string | null
  prev: string | null
  views: Array<ReadyView & { count: CappedCount }>
  /** The person's saved views and the shared ones, with counts (staff; saved-views.tsx). */
  saved?: SavedViewLink[]
  lookups: ListLookups
  /** The filter panel is unfolded (the person left it so). */
  filtersOpen: boolean
  now: string
  tz: string
}

/** The cookie remembering whether the list's filter panel is open (`1`) or folded (`0`). */
export const FILTERS_COOKIE = 'hd_filters'

/** The ready views' names, translated where they are shown. */
const viewLabels: Record<ReadyView['key'], string> = {
  mine: msg('Мои'),
  unassigned: msg('Не назначенные'),
  overdue: msg('Просроченные'),
  open: msg('Все открытые'),
}

/** The list's export in a format, with the same filters (and from the first page). */
function exportHref(query: ListQuery, format: 'csv' | 'xlsx'): string {
  return listHref(query, { cursor: undefined }).replace('/tickets', `/tickets/export.${format}`)
}

export function TicketListPage(props: ListViewProps) {
  return (
    <Layout title={t('Заявки')} user={props.user} csrf={props.csrf} section="tickets" q={props.query.q}>
      <PageHead title={t('Заявки')}>
        <a class="button button--primary" href="/tickets/new">
          {t('Новая заявка')}
        </a>
      </PageHead>
      <Filters {...props} />
      <div id="ticket-results" hx-target="#ticket-results" hx-push-url="true">
        <TicketResults {...props} />
      </div>
      {props.staff ? <BulkBar {...props} /> : null}
      {props.staff ? <LiveList /> : null}
    </Layout>
  )
}

/** The form the list's ticket checkboxes belong to (`form="bulk"`: they are swapped with the results). */
export const BULK_FORM = 'bulk'

/**
 * Staff's action over the ticked tickets, or over every ticket of the filter: a bar at the foot of the screen
 * once something is ticked (CSS counts them); each action shows its own field.
 */
function BulkBar(props: ListViewProps) {
  const { lookups } = props
  const topLevel = lookups.categories.filter((c) => c.active === 1)
  return (
    <form id={BULK_FORM} class="bulk" method="post" action="/tickets/bulk" aria-label={t('Действие над выбранными')}>
      <CsrfField token={props.csrf} />
      <span class="bulk__count">{t('Выбрано:')} </span>
      <label class="bulk__all">
        <input type="checkbox" name="all" value="1" />
        {t('все заявки по фильтру')}
      </label>
      <label class="field field--inline">
        <span class="visually-hidden">{t('Действие')}</span>
        <select name="action" required>
          <option value="">{t('Действие…')}</option>
          <option value="assign">{t('Назначить')}</option>
          <option value="take">{t('Взять себе')}</option>
          <option value="status">{t('Сменить статус')}</option>
          <option value="priority">{t('Сменить приоритет')}</option>
          <option value="category">{t('Сменить категорию')}</option>
          <option value="group">{t('Сменить группу')}</option>
          <option value="note">{t('Внутренняя заметка')}</option>
        </select>
      </label>
      <label class="bulk__field bulk__field--assign">
        <span class="visually-hidden">{t('Кому назначить')}</span>
        <select name="assignee">
          <option value="none">{t('— не назначен —')}</option>
          {lookups.staff.map((p) => (
            <option value={String(p.id)}>{p.full_name}</option>
          ))}
        </select>
      </label>
      <label class="bulk__field bulk__field--status">
        <span class="visually-hidden">{t('Новый статус')}</span>
        <select name="status">
          {ticketStatuses
            .filter((s) => s !== 'new')
            .map((s) => (
              <option value={s}>{t(statusLabels[s])}</option>
            ))}
        </select>
      </label>
      <label class="bulk__field bulk__field--priority">
        <span class="visually-hidden">{t('Новый приоритет')}</span>
        <select name="priority">
          {priorities.map((p) => (
            <option value={p}>{t(priorityLabels[p])}</option>
          ))}
        </select>
      </label>
      <label class="bulk__field bulk__field--category">
        <span class="visually-hidden">{t('Новая категория')}</span>
        <select name="category">
          {topLevel.map((c) => (
            <option value={String(c.id)}>{c.name}</option>
          ))}
        </select>
      </label>
      <label class="bulk__field bulk__field--group">
        <span class="visually-hidden">{t('Новая группа')}</span>
        <select name="group">
          <option value="none">{t('— без группы —')}</option>
          {lookups.groups.map((g) => (
            <option value={String(g.id)}>{g.name}</option>
          ))}
        </select>
      </label>
      <label class="bulk__field bulk__field--text">
        <span class="visually-hidden">{t('Текст: заметка, результат или причина отмены')}</span>
        <input type="text" name="text" maxlength={10000} placeholder={t('Текст: заметка, результат, причина')} />
      </label>
      <button type="submit" class="button button--primary">
        {t('Применить')}
      </button>
    </form>
  )
}

function Filters(props: ListViewProps) {
  const { query, lookups } = props
  const topLevel = lookups.categories.filter((c) => c.parent_id === null)
  const set = filtersSet(query)
  return (
    <form
      class="filters"
      method="get"
      action="/tickets"
      hx-get="/tickets"
      hx-target="#ticket-results"
      hx-push-url="true"
      hx-trigger="change, submit"
      aria-label={t('Фильтры')}
    >
      {/* Folded or open as the person left it (a cookie app.js keeps, read by the server: no flash); folded at
          first, so that a screen shows the tickets. On a phone app.js folds it anyway when nothing is set. */}
      <details
        class="filters__fold"
        open={props.filtersOpen}
        data-remember={FILTERS_COOKIE}
        data-fold-on-phone={set > 0 ? undefined : ''}
      >
        <summary class="filters__summary">{set > 0 ? t('Фильтры: {n}', { n: set }) : t('Фильтры')}</summary>
        <fieldset class="filters__statuses">
          <legend>{t('Статус')}</legend>
          {/* With nothing ticked, every status (a list without a status is the open tickets: ticket-query.ts). */}
          <input type="hidden" name="status" value={ALL_STATUSES} />
          {ticketStatuses.map((s) => (
            <label class={`chip ${statusClass(s)}`}>
              <input type="checkbox" name="status" value={s} checked={query.status.includes(s)} />
              {t(statusLabels[s])}
            </label>
          ))}
        </fieldset>
        <div class="filters__grid">
          <label class="field field--search">
            <span>{t('Поиск')}</span>
            <input type="search" name="q" value={query.q ?? ''} placeholder={t('Текст или номер')} />
          </label>
          <label class="field">
            <span>{t('Приоритет')}</span>
            <select name="priority">
              <option value="">{t('Любой')}</option>
              {[...priorities].reverse().map((p) => (
                <option value={p} selected={query.priority.length === 1 && query.priority[0] === p}>
                  {t(priorityLabels[p])}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('Категория')}</span>
            <select name="category">
              <option value="">{t('Любая')}</option>
              {topLevel.map((parent) => (
                <>
                  <option value={String(parent.id)} selected={query.category === parent.id}>
                    {parent.name}
                  </option>
                  {lookups.categories
                    .filter((c) => c.parent_id === parent.id)
                    .map((c) => (
                      <option value={String(c.id)} selected={query.category === c.id}>
                        {`\u00a0\u00a0${c.name}`}
                      </option>
                    ))}
                </>
              ))}
            </select>
          </label>
          {props.staff ? (
            <>
              <label class="field">
                <span>{t('Исполнитель')}</span>
                <select name="assignee">
                  <option value="">{t('Любой')}</option>
                  <option value="none" selected={query.assignee === 'none'}>
                    {t('Не назначена')}
                  </option>
                  {lookups.staff.map((p) => (
                    <option value={String(p.id)} selected={query.assignee === p.id}>
                      {p.full_name}
                    </option>
                  ))}
                </select>
              </label>
              <label class="field">
                <span>{t('Группа')}</span>
                <select name="group">
                  <option value="">{t('Любая')}</option>
                  {lookups.groups.map((g) => (
                    <option value={String(g.id)} selected={query.group === g.id}>
                      {g.name}
                    </option>
                  ))}
                </select>
              </label>
              <label class="field">
                <span>{t('Отделение')}</span>
                <select name="department">
                  <option value="">{t('Любое')}</option>
                  {lookups.departments.map((d) => (
                    <option value={String(d.id)} selected={query.department === d.id}>
                      {d.name}
                    </option>
                  ))}
                </select>
              </label>
            </>
          ) : null}
          <DateRange
            legend={t('Создана')}
            from={query.from}
            to={query.to}
            fromLabel={t('Создана с')}
            toLabel={t('Создана по')}
          />
          {/* In the grid: the buttons take the free end of the dates' row instead of a row of their own. */}
          <div class="filters__actions">
            <FilterButtons reset="/tickets" submit={t('Применить')} />
          </div>
        </div>
        {query.overdue ? <input type="hidden" name="overdue" value="1" /> : null}
        {query.sort ? <input type="hidden" name="sort" value={query.sort} /> : null}
      </details>
    </form>
  )
}

/** How many filters of the form are set (the folded form on a phone says so). */
function filtersSet(query: ListQuery): number {
  const single = [
    query.category,
    query.assignee,
    query.group,
    query.department,
    query.from,
    query.to,
    query.q,
    query.scope,
  ]
  return query.status.length + query.priority.length + single.filter((v) => v !== undefined && v !== '').length
}

/** The part htmx swaps: ready views with counts, the table, the pager. */
export function TicketResults(props: ListViewProps) {
  const { query, items, total } = props
  return (
    <>
      <nav class="views views--list" aria-label={t('Готовые представления')} hx-boost="false">
        {props.views.map((v) => (
          <a class="view" href={listHref(v.query)} aria-current={isView(query, v) ? 'page' : undefined}>
            {t(viewLabels[v.key])} <span class="view__count">{shownCount(v.count)}</span>
          </a>
        ))}
        {props.saved ? <SavedViewsNav views={props.saved} query={query} user={props.user} csrf={props.csrf} /> : null}
        {query.scope === 'mine' ? (
          <a
            class="view view--scope"
            href={listHref(query, { scope: undefined, cursor: undefined })}
            title={t('Показать заявки всех исполнителей')}
          >
            {t('Мои и моих групп')} <span aria-hidden="true">✕</span>
          </a>
        ) : null}
        <span class="views__total">
          {total.capped
            ? t('Найдено: более {n} заявок', { n: groupDigits(total.count) })
            : t('Найдено: {n}', { n: tn(total.count, ['заявка', 'заявки', 'заявок'], ['ticket', 'tickets']) })}
        </span>
        <RelevanceSwitch query={query} />
        {/* Here, not in the page head: htmx swaps this part, so the links follow the filters. No `download`
            attribute: a big export answers with the page of its background file, which must open, not save. */}
        {props.staff ? (
          <span class="exports">
            {t('Выгрузить:')}
            <a
              class="button button--ghost button--small"
              href={exportHref(query, 'csv')}
              aria-label={t('Выгрузить CSV')}
            >
              CSV
            </a>
            <a
              class="button button--ghost button--small"
              href={exportHref(query, 'xlsx')}
              aria-label={t('Выгрузить XLSX')}
            >
              XLSX
            </a>
          </span>
        ) : null}
      </nav>
      {items.length === 0 ? (
        <Empty>
          {t('Нет заявок по этим условиям —')}{' '}
          <a href="/tickets" hx-get="/tickets">
            {t('сбросить фильтры')}
          </a>
        </Empty>
      ) : (
        <div class="table-wrap table-wrap--list">
          <table class="tickets tickets--list">
            <thead>
              <tr>
                {props.staff ? (
                  <th scope="col" class="fit pick">
                    {/* The filter «все заявки по фильтру» means: the list's own, swapped with it. */}
                    <input
                      type="hidden"
                      name="filter"
                      value={listHref(query, { cursor: undefined })}
                      form={BULK_FORM}
                    />
                    <input type="checkbox" data-pick-all aria-label={t('Выбрать все на странице')} />
                  </th>
                ) : null}
                <SortHeader query={query} label="№" asc="id" desc="-id" numeric />
                <th scope="col">{t('Заявка')}</th>
                <SortHeader query={query} label={t('Статус')} asc="status" />
                <SortHeader query={query} label={t('Приоритет')} asc="priority" desc="-priority" />
                <SortHeader query={query} label={t('Заявитель')} asc="requester" desc="-requester" first="asc" />
                <SortHeader query={query} label={t('Исполнитель')} asc="assignee" desc="-assignee" first="asc" />
                <SortHeader query={query} label={t('Создана')} asc="created_at" desc="-created_at" />
                <SortHeader
                  query={query}
                  label={t('Срок')}
                  asc="resolution_due_at"
                  desc="-resolution_due_at"
                  first="asc"
                />
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <Row ticket={t} now={props.now} tz={props.tz} pick={props.staff} q={query.q} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <KeysetPager query={query} next={props.next} prev={props.prev} />
    </>
  )
}

/** With a search: the best matches first, or back to the usual order (by number). */
function RelevanceSwitch(props: { query: ListQuery }) {
  const { query } = props
  const sort = effectiveSort({ sort: query.sort, q: query.q })
  if (!query.q || (sort !== 'relevance' && sort !== '-id')) return null
  const relevant = sort === 'relevance'
  const href = listHref(query, { sort: relevant ? undefined : 'relevance', cursor: undefined })
  return (
    <a class="view view--sort" href={href} hx-get={href}>
      {relevant ? t('Сначала новые') : t('Сначала самые подходящие')}
    </a>
  )
}

function SortHeader(props: {
  query: ListQuery
  label: string
  asc: TicketSort
  desc?: TicketSort
  numeric?: boolean
  /** The first click's order; by default the descending one. */
  first?: 'asc' | 'desc'
}) {
  // With a search and no sort of its own, the list is by number (the search index's order).
  const current = effectiveSort({ sort: props.query.sort, q: props.query.q })
  const active = current === props.asc || current === props.desc
  const descending = active && current === props.desc
  // A first click sorts the way one usually wants it: newest, most urgent, highest number first; names from
  // А, deadlines from the nearest.
  const preferred = props.first === 'asc' ? props.asc : (props.desc ?? props.asc)
  const target: TicketSort = active ? (descending ? props.asc : (props.desc ?? props.asc)) : preferred
  const href = listHref(props.query, { sort: target, cursor: undefined })
  return (
    <th
      scope="col"
      class={props.numeric ? 'num fit' : 'fit'}
      aria-sort={active ? (descending ? 'descending' : 'ascending') : undefined}
    >
      <a href={href} hx-get={href} class="sort">
        {props.label}
        <span class="sort__arrow" aria-hidden="true">
          {active ? (descending ? '↓' : '↑') : '↕'}
        </span>
      </a>
    </th>
  )
}

/** A text with the words a search matched marked (`<mark>`), or the text itself without a search. */
function Marked(props: { text: string; q: string | undefined }) {
  if (!props.q) return <>{props.text}</>
  return <>{highlightParts(props.text, props.q).map((part) => (part.hit ? <mark>{part.text}</mark> : part.text))}</>
}

/** One ticket's row; the live list (live-list.tsx) renders it again by its id. */
export function Row(props: { ticket: TicketListItem; now: string; tz: string; pick: boolean; q?: string }) {
  const { ticket, q } = props
  // With a search, the line of the description or place it matched, in place of the category.
  const matched = q ? snippet(indexedDescription(ticket), q) : undefined
  const due =
    ticket.resolution_due_at && !['resolved', 'closed', 'cancelled'].includes(ticket.status)
      ? ticket.resolution_due_at
      : null
  const left = due ? deadlineLeft(due, props.now, true) : null
  return (
    <tr id={`ticket-row-${ticket.id}`} class={ticket.overdue ? 'is-overdue' : undefined}>
      {props.pick ? (
        <td class="pick">
          <input
            type="checkbox"
            name="ids"
            value={String(ticket.id)}
            form={BULK_FORM}
            aria-label={t('Выбрать заявку № {n}', { n: ticket.id })}
          />
        </td>
      ) : null}
      <td class="num">
        <a href={`/tickets/${ticket.id}`}>{ticket.id}</a>
      </td>
      <td class="title-cell">
        <a href={`/tickets/${ticket.id}`} class="ticket-link">
          <Marked text={ticket.title} q={q} />
        </a>
        {matched ? (
          <span class="sub">
            <Marked text={matched} q={q} />
          </span>
        ) : ticket.category_name ? (
          <span class="sub">{ticket.category_name}</span>
        ) : null}
      </td>
      <td class="fit">
        <StatusBadge status={ticket.status} />
      </td>
      <td class="fit">
        <PriorityBadge priority={ticket.priority} />
      </td>
      <td
        class="person-cell"
        title={ticket.department_name ? `${ticket.requester_name}, ${ticket.department_name}` : ticket.requester_name}
      >
        <Marked text={ticket.requester_name} q={q} />
        {ticket.department_name ? (
          <span class="sub">
            <Marked text={ticket.department_name} q={q} />
          </span>
        ) : null}
      </td>
      <td class="person-cell person-cell--assignee" title={ticket.assignee_name ?? undefined}>
        {ticket.assignee_name ? (
          <Marked text={ticket.assignee_name} q={q} />
        ) : (
          <span class="muted nowrap">{t('не назначена')}</span>
        )}
      </td>
      <td class="fit">
        <When at={ticket.created_at} now={props.now} tz={props.tz} />
      </td>
      <td class={left ? 'fit deadline-cell' : 'fit deadline-cell deadline-cell--none'}>
        {left ? <span class={left.overdue ? 'overdue-text' : 'muted'}>{left.text}</span> : <span class="muted">—</span>}
      </td>
    </tr>
  )
}
