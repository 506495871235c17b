import type { User } from '#src/db/schema.ts'
import {
  type Dashboard,
  type DashboardList,
  type DashboardTicket,
  openStatuses,
  overdueAt,
} from '#src/stats/dashboard.ts'
import { dateTime, deadlineLeft } from '../format.ts'
import { t, tn } from '../i18n.ts'
import { navCounts } from '../nav-counts.ts'
import { type ListQuery, listHref } from '../ticket-query.ts'
import { OnDutyNow } from './duty.tsx'
import { Layout } from './layout.tsx'
import { OpenOutagesPanel } from './outages.tsx'
import { eventText, PageHead, PriorityBadge, StatusBadge, When } from './parts.tsx'

export interface DashboardViewProps {
  user: User
  csrf: string
  dashboard: Dashboard
  now: string
  tz: string
  /** For an admin: the last verified backup's end, and whether the latest attempt failed. */
  backup?: { lastGoodAt: string | null; lastFailed: boolean } | undefined
}

/** For those who decide on them: registrations waiting, with the way to them (the navigation counts them too). */
function PendingRegistrations() {
  const pending = navCounts()?.pendingRegistrations ?? 0
  if (pending === 0) return null
  return (
    <p class="notice" role="status">
      {t('Ждут подтверждения: {what}', {
        what: tn(pending, ['регистрация', 'регистрации', 'регистраций'], ['registration', 'registrations']),
      })}{' '}
      · <a href="/registrations">{t('Открыть')}</a>
    </p>
  )
}

/** Older than this, the last good backup is a warning on the admin's dashboard. */
const BACKUP_STALE_MS = 2 * 24 * 60 * 60_000

/** The last good backup's age; red when there is none, it is over 2 days old, or the latest attempt failed. */
function BackupState(props: DashboardViewProps) {
  const backup = props.backup
  if (!backup) return null
  if (backup.lastGoodAt === null) {
    return (
      <p class="integrity__bad" role="alert" id="backup-state">
        {t('Проверенных резервных копий ещё нет: см. helpdesk backups list и журнал сервера')}
      </p>
    )
  }
  const ageMs = Date.parse(props.now) - Date.parse(backup.lastGoodAt)
  const text = t('Последняя проверенная резервная копия: {at} ({hours} ч назад)', {
    at: dateTime(backup.lastGoodAt, props.tz),
    hours: Math.max(0, Math.floor(ageMs / 3_600_000)),
  })
  if (ageMs <= BACKUP_STALE_MS && !backup.lastFailed) {
    return (
      <p class="notice" role="status" id="backup-state">
        {text}
      </p>
    )
  }
  return (
    <p class="integrity__bad" role="alert" id="backup-state">
      {text}. {backup.lastFailed ? t('Последняя попытка не удалась.') : t('Она старше двух дней.')}
    </p>
  )
}

const base: ListQuery = { status: [], priority: [] }

/** The staff home page: what is mine, what nobody holds, what is late, and what changed since my last visit. */
export function DashboardPage(props: DashboardViewProps) {
  const { dashboard, user } = props
  const open = [...openStatuses]
  const singleGroup = dashboard.groupIds.length === 1 ? dashboard.groupIds[0] : undefined
  return (
    <Layout title={t('Главная')} user={user} csrf={props.csrf} section="home">
      <PageHead title={t('Главная')}>
        <a class="button button--primary" href="/tickets/new">
          {t('Новая заявка')}
        </a>
      </PageHead>
      <OpenOutagesPanel outages={dashboard.outages} tz={props.tz} />
      <BackupState {...props} />
      <PendingRegistrations />
      <OnDutyNow groups={dashboard.onDuty} tz={props.tz} />
      <div class="dashboard">
        <TicketBlock
          id="mine"
          title={t('Мои открытые заявки')}
          empty={t('У вас нет открытых заявок')}
          list={dashboard.mine}
          href={listHref({ ...base, status: open, assignee: user.id })}
          {...props}
        />
        <TicketBlock
          id="unassigned"
          title={dashboard.groupIds.length > 0 ? t('Не назначенные в моих группах') : t('Не назначенные')}
          empty={t('Все заявки разобраны')}
          list={dashboard.unassigned}
          href={listHref({ ...base, status: open, assignee: 'none', group: singleGroup })}
          {...props}
        />
        <TicketBlock
          id="overdue"
          title={dashboard.overdueOfAll ? t('Просроченные') : t('Просроченные: мои и моих групп')}
          empty={t('Просроченных заявок нет')}
          list={dashboard.overdue}
          // The list of the same tickets: every overdue one, or those the executor answers for.
          href={listHref({ ...base, status: open, overdue: true, scope: dashboard.overdueOfAll ? undefined : 'mine' })}
          {...props}
        />
        <Changes {...props} />
      </div>
    </Layout>
  )
}

function TicketBlock(
  props: DashboardViewProps & { id: string; title: string; empty: string; list: DashboardList; href: string },
) {
  const { list } = props
  return (
    <section class="card" aria-labelledby={`${props.id}-heading`}>
      <h2 id={`${props.id}-heading`}>
        {props.title} <span class="view__count">{list.total}</span>
      </h2>
      {list.items.length === 0 ? (
        <p class="muted">{props.empty}</p>
      ) : (
        <table class="tickets">
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
                {t('Срок')}
              </th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((ticket) => (
              <Row ticket={ticket} now={props.now} />
            ))}
          </tbody>
        </table>
      )}
      <p>
        <a href={props.href}>
          {list.total > list.items.length
            ? t('Все {n} в списке заявок →', { n: list.total })
            : t('Открыть в списке заявок →')}
        </a>
      </p>
    </section>
  )
}

function Row(props: { ticket: DashboardTicket; now: string }) {
  const ticket = props.ticket
  const overdue = overdueAt(ticket, props.now)
  const left = ticket.resolution_due_at ? deadlineLeft(ticket.resolution_due_at, props.now, true) : null
  return (
    <tr class={overdue ? 'is-overdue' : undefined}>
      <td class="num">
        <a href={`/tickets/${ticket.id}`}>{ticket.id}</a>
      </td>
      <td class="title-cell">
        <a class="ticket-link" href={`/tickets/${ticket.id}`}>
          {ticket.title}
        </a>
        <span class="sub">
          {ticket.requester_name}
          {ticket.priority === 'high' || ticket.priority === 'critical' ? ' · ' : ''}
          {ticket.priority === 'high' || ticket.priority === 'critical' ? (
            <PriorityBadge priority={ticket.priority} />
          ) : null}
        </span>
      </td>
      <td class="fit">
        <StatusBadge status={ticket.status} />
      </td>
      <td class="fit deadline-cell">
        {left ? <span class={overdue ? 'overdue-text' : 'muted'}>{left.text}</span> : <span class="muted">—</span>}
      </td>
    </tr>
  )
}

function Changes(props: DashboardViewProps) {
  const { dashboard } = props
  const since = dateTime(dashboard.since, props.tz)
  return (
    <section class="card dashboard__wide" aria-labelledby="changes-heading">
      <h2 id="changes-heading">{t('Что изменилось с последнего визита')}</h2>
      <p class="muted small">
        {dashboard.firstVisit ? t('За последние сутки') : t('С {since}', { since })}
        {' · '}
        {t('заявки, где вы заявитель или исполнитель, и заявки ваших групп')}
      </p>
      {dashboard.changes.length === 0 ? (
        <p class="muted">{t('Ничего нового')}</p>
      ) : (
        <ul class="changes">
          {dashboard.changes.map((change) => (
            <li class="changes__item">
              <a href={`/tickets/${change.ticket_id}`} class="ticket-link">
                {`№ ${change.ticket_id} · ${change.ticket_title}`}
              </a>
              <span class="sub">
                {change.actor_name ?? t('Система')} {eventText(change) ?? t('изменил(а) заявку')} ·{' '}
                <When at={change.created_at} now={props.now} tz={props.tz} />
              </span>
            </li>
          ))}
        </ul>
      )}
      {dashboard.moreChanges ? <p class="muted small">{t('Показаны последние изменения')}</p> : null}
    </section>
  )
}
