import type { Category, Department, ExecutorGroup, User } from '#src/db/schema.ts'
import { priorities, ticketStatuses } from '#src/db/schema.ts'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import type { TicketListItem, TicketSort } from '#src/tickets/ticket-store.ts'
import { count, deadlineLeft, ticketForms } from '../format.ts'
import { isView, type ListQuery, listHref, PER_PAGE, type ReadyView } from '../ticket-query.ts'
import { Layout } from './layout.tsx'
import { PriorityBadge, StatusBadge, When } from './parts.tsx'

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
  total: number
  views: Array<ReadyView & { count: number }>
  lookups: ListLookups
  now: string
  tz: string
}

export function TicketListPage(props: ListViewProps) {
  return (
    <Layout title="Заявки" user={props.user} csrf={props.csrf} section="tickets" q={props.query.q}>
      <div class="page-head">
        <h1>Заявки</h1>
        <div class="page-head__actions">
          <a class="button" href={listHref(props.query, { page: 1 }).replace('/tickets', '/tickets/export.csv')}>
            Выгрузить CSV
          </a>
          <a class="button button--primary" href="/tickets/new">
            Новая заявка
          </a>
        </div>
      </div>
      <Filters {...props} />
      <div id="ticket-results" hx-target="#ticket-results" hx-push-url="true">
        <TicketResults {...props} />
      </div>
    </Layout>
  )
}

function Filters(props: ListViewProps) {
  const { query, lookups } = props
  const topLevel = lookups.categories.filter((c) => c.parent_id === null)
  return (
    <form
      class="filters"
      method="get"
      action="/tickets"
      hx-get="/tickets"
      hx-target="#ticket-results"
      hx-push-url="true"
      hx-trigger="change, submit"
      aria-label="Фильтры"
    >
      <fieldset class="filters__statuses">
        <legend>Статус</legend>
        {ticketStatuses.map((s) => (
          <label class={`chip status--${s}`}>
            <input type="checkbox" name="status" value={s} checked={query.status.includes(s)} />
            {statusLabels[s]}
          </label>
        ))}
      </fieldset>
      <div class="filters__grid">
        <label class="field">
          <span>Поиск</span>
          <input type="search" name="q" value={query.q ?? ''} placeholder="Текст или номер" />
        </label>
        <label class="field">
          <span>Приоритет</span>
          <select name="priority">
            <option value="">Любой</option>
            {[...priorities].reverse().map((p) => (
              <option value={p} selected={query.priority.length === 1 && query.priority[0] === p}>
                {priorityLabels[p]}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Категория</span>
          <select name="category">
            <option value="">Любая</option>
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
              <span>Исполнитель</span>
              <select name="assignee">
                <option value="">Любой</option>
                <option value="none" selected={query.assignee === 'none'}>
                  Не назначена
                </option>
                {lookups.staff.map((p) => (
                  <option value={String(p.id)} selected={query.assignee === p.id}>
                    {p.full_name}
                  </option>
                ))}
              </select>
            </label>
            <label class="field">
              <span>Группа</span>
              <select name="group">
                <option value="">Любая</option>
                {lookups.groups.map((g) => (
                  <option value={String(g.id)} selected={query.group === g.id}>
                    {g.name}
                  </option>
                ))}
              </select>
            </label>
            <label class="field">
              <span>Отделение</span>
              <select name="department">
                <option value="">Любое</option>
                {lookups.departments.map((d) => (
                  <option value={String(d.id)} selected={query.department === d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            </label>
          </>
        ) : null}
        <fieldset class="field field--range">
          <legend>Создана</legend>
          <div class="range">
            <input type="date" name="from" value={query.from ?? ''} aria-label="Создана с" />
            <span aria-hidden="true">—</span>
            <input type="date" name="to" value={query.to ?? ''} aria-label="Создана по" />
          </div>
        </fieldset>
      </div>
      {query.overdue ? <input type="hidden" name="overdue" value="1" /> : null}
      {query.sort ? <input type="hidden" name="sort" value={query.sort} /> : null}
      <div class="filters__actions">
        <a href="/tickets" class="button button--ghost">
          Сбросить
        </a>
        <button type="submit" class="button">
          Применить
        </button>
      </div>
    </form>
  )
}

/** The part htmx swaps: ready views with counts, the table, the pager. */
export function TicketResults(props: ListViewProps) {
  const { query, items, total } = props
  const pages = Math.max(1, Math.ceil(total / PER_PAGE))
  return (
    <>
      <nav class="views" aria-label="Готовые представления" hx-boost="false">
        {props.views.map((v) => (
          <a class="view" href={listHref(v.query)} aria-current={isView(query, v) ? 'page' : undefined}>
            {v.label} <span class="view__count">{v.count}</span>
          </a>
        ))}
        <span class="views__total">{`Найдено: ${count(total, ticketForms)}`}</span>
      </nav>
      {items.length === 0 ? (
        <div class="empty">
          <p>
            Нет заявок по этим условиям —{' '}
            <a href="/tickets" hx-get="/tickets">
              сбросить фильтры
            </a>
          </p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="tickets">
            <thead>
              <tr>
                <SortHeader query={query} label="№" asc="id" desc="-id" numeric />
                <th scope="col">Заявка</th>
                <SortHeader query={query} label="Статус" asc="status" />
                <SortHeader query={query} label="Приоритет" asc="priority" desc="-priority" />
                <th scope="col">Заявитель</th>
                <th scope="col">Исполнитель</th>
                <SortHeader query={query} label="Создана" asc="created_at" desc="-created_at" />
                <th scope="col" class="fit">
                  Срок
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <Row ticket={t} now={props.now} tz={props.tz} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 ? (
        <nav class="pager" aria-label="Страницы">
          {query.page > 1 ? (
            <a
              class="button"
              rel="prev"
              href={listHref(query, { page: query.page - 1 })}
              hx-get={listHref(query, { page: query.page - 1 })}
            >
              ← Назад
            </a>
          ) : null}
          <span>{`Страница ${query.page} из ${pages}`}</span>
          {query.page < pages ? (
            <a
              class="button"
              rel="next"
              href={listHref(query, { page: query.page + 1 })}
              hx-get={listHref(query, { page: query.page + 1 })}
            >
              Дальше →
            </a>
          ) : null}
        </nav>
      ) : null}
    </>
  )
}

function SortHeader(props: { query: ListQuery; label: string; asc: TicketSort; desc?: TicketSort; numeric?: boolean }) {
  const current = props.query.sort ?? '-created_at'
  const active = current === props.asc || current === props.desc
  const descending = active && current === props.desc
  // A first click sorts the way one usually wants it: newest, most urgent, highest number first.
  const target: TicketSort = active ? (descending ? props.asc : (props.desc ?? props.asc)) : (props.desc ?? props.asc)
  const href = listHref(props.query, { sort: target, page: 1 })
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

function Row(props: { ticket: TicketListItem; now: string; tz: string }) {
  const t = props.ticket
  const due =
    t.resolution_due_at && !['resolved', 'closed', 'cancelled'].includes(t.status) ? t.resolution_due_at : null
  const left = due ? deadlineLeft(due, props.now, true) : null
  return (
    <tr class={t.overdue ? 'is-overdue' : undefined}>
      <td class="num">
        <a href={`/tickets/${t.id}`}>{t.id}</a>
      </td>
      <td class="title-cell">
        <a href={`/tickets/${t.id}`} class="ticket-link">
          {t.title}
        </a>
        {t.category_name ? <span class="sub">{t.category_name}</span> : null}
      </td>
      <td class="fit">
        <StatusBadge status={t.status} />
      </td>
      <td class="fit">
        <PriorityBadge priority={t.priority} />
      </td>
      <td
        class="person-cell"
        title={t.department_name ? `${t.requester_name}, ${t.department_name}` : t.requester_name}
      >
        {t.requester_name}
        {t.department_name ? <span class="sub">{t.department_name}</span> : null}
      </td>
      <td>{t.assignee_name ?? <span class="muted nowrap">не назначена</span>}</td>
      <td class="fit">
        <When at={t.created_at} now={props.now} tz={props.tz} />
      </td>
      <td class="fit">
        {left ? <span class={left.overdue ? 'overdue-text' : 'muted'}>{left.text}</span> : <span class="muted">—</span>}
      </td>
    </tr>
  )
}
