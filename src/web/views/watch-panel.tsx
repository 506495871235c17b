import type { TicketDetail } from '#src/tickets/view-ticket.ts'
import type { Actor } from '#src/users/actor.ts'
import { t } from '../i18n.ts'
import { CsrfField } from './parts.tsx'

/**
 * «Следить» / «Не следить» on the ticket page's side panel (issue 13), with who follows the ticket. Followers
 * hear of its replies, notes, status changes and deadline breaches in their bell (notifications/fan-out.ts); the
 * assignee does without following. Staff only (the panel is theirs).
 */
export function WatchPanel(props: { detail: TicketDetail; actor: Actor; csrf: string }) {
  const { ticket, watchers } = props.detail
  const following = watchers.some((w) => w.id === props.actor.id)
  return (
    <section class="card action stack" aria-labelledby="watch-title">
      <h2 id="watch-title">{t('Следят за заявкой')}</h2>
      {watchers.length === 0 ? (
        <p class="muted small">{t('Никто. Исполнитель получает уведомления и без этого.')}</p>
      ) : (
        <ul>
          {watchers.map((w) => (
            <li>
              {w.full_name}
              {w.id === props.actor.id ? <span class="muted">{` (${t('вы')})`}</span> : null}
            </li>
          ))}
        </ul>
      )}
      <form method="post" action={`/tickets/${ticket.id}/watch`}>
        <CsrfField token={props.csrf} />
        <input type="hidden" name="follow" value={following ? '0' : '1'} />
        <button type="submit" class="button button--wide">
          {following ? t('Не следить') : t('Следить')}
        </button>
      </form>
    </section>
  )
}
