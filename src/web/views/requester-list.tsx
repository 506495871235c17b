import type { TicketStatus, User } from '#src/db/schema.ts'
import type { CappedCount, TicketListItem } from '#src/tickets/ticket-store.ts'
import { msg, t } from '../i18n.ts'
import { type ListQuery, listHref } from '../ticket-query.ts'
import { Layout } from './layout.tsx'
import { Empty, KeysetPager, PageHead, StatusBadge, shownCount, When } from './parts.tsx'

/**
 * «Мои заявки»: what a requester (a nurse, a doctor) sees of the list — their own tickets, by tabs, and nothing
 * of staff's work (no filters by people or groups, no exports, no ticking).
 */

export type RequesterTab = 'open' | 'closed' | 'all'

/**
 * Open for the requester is anything not finished for them: a resolved ticket waits for their «Подтверждаю»
 * or «Не решено», so it is theirs to act on.
 */
export const requesterTabs: Record<Exclude<RequesterTab, 'all'>, TicketStatus[]> = {
  open: ['approval', 'new', 'in_progress', 'waiting', 'resolved'],
  closed: ['closed', 'cancelled'],
}

export interface RequesterListProps {
  user: User
  csrf: string
  query: ListQuery
  /** The tab the query is, if it is one. */
  tab: RequesterTab | undefined
  items: TicketListItem[]
  counts: Record<RequesterTab, CappedCount>
  next: string | null
  prev: string | null
  now: string
  tz: string
}

const tabLabels: Record<RequesterTab, string> = {
  open: msg('Открытые'),
  closed: msg('Закрытые'),
  all: msg('Все'),
}

/** The list's query of a tab (a search stays). */
export function tabQuery(tab: RequesterTab, q?: string): ListQuery {
  const base: ListQuery = { status: [], priority: [], ...(q === undefined ? {} : { q }) }
  return tab === 'all' ? { ...base, allStatuses: true } : { ...base, status: [...requesterTabs[tab]] }
}

export function RequesterListPage(props: RequesterListProps) {
  const { query } = props
  return (
    <Layout title={t('Мои заявки')} user={props.user} csrf={props.csrf} section="tickets" q={query.q}>
      <PageHead title={t('Мои заявки')}>
        <a class="button button--primary" href="/tickets/new">
          {t('Новая заявка')}
        </a>
      </PageHead>
      <nav class="views views--list" aria-label={t('Мои заявки по статусу')}>
        {(['open', 'closed', 'all'] as const).map((tab) => (
          <a class="view" href={listHref(tabQuery(tab, query.q))} aria-current={props.tab === tab ? 'page' : undefined}>
            {t(tabLabels[tab])} <span class="view__count">{shownCount(props.counts[tab])}</span>
          </a>
        ))}
        {query.q !== undefined ? (
          <a class="view view--scope" href={listHref({ ...query, q: undefined, cursor: undefined })}>
            {t('Поиск: «{q}»', { q: query.q })} <span aria-hidden="true">✕</span>
            <span class="visually-hidden">{t('сбросить поиск')}</span>
          </a>
        ) : null}
      </nav>
      {props.items.length === 0 ? (
        <Empty>
          {props.tab === 'open' ? t('Открытых заявок нет. Что-то сломалось —') : t('Заявок нет —')}{' '}
          <a href="/tickets/new">{t('создайте заявку')}</a>
        </Empty>
      ) : (
        <div class="table-wrap table-wrap--list">
          <table class="tickets tickets--list">
            <thead>
              <tr>
                <th scope="col" class="num fit">
                  №
                </th>
                <th scope="col">{t('Заявка')}</th>
                <th scope="col" class="fit">
                  {t('Статус')}
                </th>
                <th scope="col" class="fit">
                  {t('Создана')}
                </th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((ticket) => (
                <tr>
                  <td class="num">
                    <a href={`/tickets/${ticket.id}`}>{ticket.id}</a>
                  </td>
                  <td class="title-cell">
                    <a href={`/tickets/${ticket.id}`} class="ticket-link">
                      {ticket.title}
                    </a>
                    {ticket.category_name ? <span class="sub">{ticket.category_name}</span> : null}
                  </td>
                  <td class="fit">
                    <StatusBadge status={ticket.status} />
                    {ticket.status === 'resolved' ? <span class="sub">{t('ждёт вашего подтверждения')}</span> : null}
                  </td>
                  <td class="fit">
                    <When at={ticket.created_at} now={props.now} tz={props.tz} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <KeysetPager query={props.query} next={props.next} prev={props.prev} htmx={false} />
    </Layout>
  )
}
