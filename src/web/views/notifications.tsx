import { ticketStatuses, type User, type WebNotificationKind } from '#src/db/schema.ts'
import type { NotificationView } from '#src/notifications/notification-store.ts'
import { statusLabels } from '#src/tickets/rules.ts'
import { msg, t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CsrfField, Empty, PageHead, StatusBadge, When } from './parts.tsx'

export interface NotificationsPageProps {
  user: User
  csrf: string
  items: NotificationView[]
  unread: number
  unreadOnly: boolean
  /** The `before` of the older ones; null when these are all. */
  next: number | null
  now: string
  tz: string
}

const kindLabels: Record<WebNotificationKind, string> = {
  assigned: msg('Назначение'),
  mention: msg('Упоминание'),
  reply: msg('Ответ заявителя'),
  deadline: msg('Срок'),
  watch: msg('Слежу'),
  approval: msg('Согласование'),
}

/** The badges' colours, the statuses' own (with the kind's word beside, never colour alone). */
const kindClasses: Record<WebNotificationKind, string> = {
  assigned: 'status--new',
  mention: 'status--new',
  reply: 'status--waiting',
  deadline: 'prio--critical',
  watch: 'status--closed',
  approval: 'status--waiting',
}

/** What happened, in a line: rendered now from the ticket and the event (the row keeps ids only). */
function whatHappened(n: NotificationView): string {
  const breach = n.event_to === 'response' ? t('Просрочен срок первого ответа') : t('Просрочен срок решения')
  switch (n.kind) {
    case 'assigned':
      return t('Вам назначена заявка')
    case 'mention':
      return t('Вас упомянули во внутренней заметке')
    case 'reply':
      return t('Заявитель ответил в заявке')
    case 'deadline':
      return breach
    case 'approval':
      return t('Заявка ждёт Вашего согласования')
    case 'watch':
      break
  }
  switch (n.event_kind) {
    case 'message':
      return t('Новое сообщение в заявке')
    case 'note':
      return t('Новая внутренняя заметка')
    case 'status_changed': {
      const status = ticketStatuses.find((s) => s === n.event_to)
      return status ? t('Новый статус: {status}', { status: t(statusLabels[status]) }) : t('Сменился статус')
    }
    case 'assigned':
    case 'taken':
      return t('Сменился исполнитель')
    case 'deadline_breached':
      return breach
    default:
      return t('Изменения в заявке')
  }
}

/** /notifications: the person's notifications, newest first; unread ones marked in words, not colour alone. */
export function NotificationsPage(props: NotificationsPageProps) {
  const { items, unread } = props
  return (
    <Layout title={t('Уведомления')} user={props.user} csrf={props.csrf} section="none">
      <PageHead title={t('Уведомления')}>
        {unread > 0 ? (
          <form method="post" action="/notifications/read-all">
            <CsrfField token={props.csrf} />
            <button type="submit" class="button">
              {t('Отметить все прочитанными')}
            </button>
          </form>
        ) : null}
      </PageHead>
      <nav class="views" aria-label={t('Какие показать')}>
        <a class="view" href="/notifications" aria-current={props.unreadOnly ? undefined : 'page'}>
          {t('Все уведомления')}
        </a>
        <a class="view" href="/notifications?unread=1" aria-current={props.unreadOnly ? 'page' : undefined}>
          {t('Непрочитанные')} <span class="view__count">{String(unread)}</span>
        </a>
      </nav>
      {items.length === 0 ? (
        <Empty>
          {props.unreadOnly
            ? t('Непрочитанных уведомлений нет.')
            : t(
                'Уведомлений пока нет. Здесь появятся назначения, упоминания @фамилия во внутренних заметках, ответы заявителей и просрочки — по Вашим заявкам и тем, за которыми Вы следите.',
              )}
        </Empty>
      ) : (
        <ul class="members">
          {items.map((n) => (
            <NotificationItem n={n} csrf={props.csrf} now={props.now} tz={props.tz} unreadOnly={props.unreadOnly} />
          ))}
        </ul>
      )}
      {props.next !== null ? (
        <nav class="pager" aria-label={t('Страницы')}>
          <a class="button" href={`/notifications?${props.unreadOnly ? 'unread=1&' : ''}before=${props.next}`}>
            {t('Более ранние →')}
          </a>
        </nav>
      ) : null}
    </Layout>
  )
}

function NotificationItem(props: { n: NotificationView; csrf: string; now: string; tz: string; unreadOnly: boolean }) {
  const { n } = props
  const isUnread = n.read_at === null
  return (
    <li class={isUnread ? 'card notice notice--unread' : 'card notice'}>
      <div>
        <span class={`badge ${kindClasses[n.kind]}`}>{t(kindLabels[n.kind])}</span>
        {isUnread ? <strong>{t('Новое')}</strong> : null}
        <span>{whatHappened(n)}</span>
        {n.actor_name ? <span class="muted">{`· ${n.actor_name}`}</span> : null}
      </div>
      {n.ticket_id !== null ? (
        <div>
          {/* Opening the ticket marks what it brought read (notifications.routes.tsx). */}
          <a href={`/tickets/${n.ticket_id}`}>
            {t('Заявка № {id}', { id: n.ticket_id })}
            {n.ticket_title ? ` · ${n.ticket_title}` : ''}
          </a>
          {n.ticket_status ? <StatusBadge status={n.ticket_status} /> : null}
        </div>
      ) : null}
      <div class="small muted">
        <When at={n.created_at} now={props.now} tz={props.tz} />
        {isUnread ? (
          <form method="post" action={`/notifications/${n.id}/read`}>
            <CsrfField token={props.csrf} />
            {props.unreadOnly ? <input type="hidden" name="unread" value="1" /> : null}
            <button type="submit" class="button button--ghost button--small">
              {t('Прочитано')}
              <span class="visually-hidden">{` — ${t('уведомление № {id}', { id: n.id })}`}</span>
            </button>
          </form>
        ) : (
          <span>{t('прочитано')}</span>
        )}
      </div>
    </li>
  )
}
