import type { Ticket } from '#src/db/schema.ts'
import { limits } from '#src/tickets/rules.ts'
import { can } from '#src/users/permissions.ts'
import { msg, t } from '../i18n.ts'
import { CsrfField, DangerZone, FormError, OnceField } from './parts.tsx'
import type { TicketViewProps } from './ticket-page.tsx'

/**
 * The side panel of the ticket page for its requester (issue 13): what the bot offers, on the web. A new ticket
 * may be cancelled; a resolved one is confirmed («Подтверждаю», it closes) or sent back («Не решено», with what
 * is still wrong); a resolved or closed one is rated 1–5 once, with an optional comment.
 */
export function RequesterActions(props: TicketViewProps) {
  const { ticket } = props.detail
  const { actor, csrf, errors } = props
  const id = ticket.id
  // Awaiting approval (issue 14) the request may be withdrawn too.
  const mayCancel = (ticket.status === 'new' || ticket.status === 'approval') && can(actor, 'ticket.cancel', ticket)
  const mayConfirm = ticket.status === 'resolved' && can(actor, 'ticket.confirm', ticket)
  // A rating is given once, and its comment once: nothing is left to rate after both.
  const mayRate =
    (ticket.status === 'resolved' || ticket.status === 'closed') &&
    (ticket.rating === null || ticket.rating_comment === null) &&
    can(actor, 'ticket.rate', ticket)
  return (
    <div class="stack requester-actions">
      {!mayCancel && !mayConfirm && !mayRate ? <p class="muted">{t('Действий с заявкой нет.')}</p> : null}
      {!mayRate ? <FormError message={errors?.rate} /> : null}
      {mayConfirm ? (
        <section class="card action stack" aria-labelledby="confirm-title">
          <h2 id="confirm-title">{t('Проблема решена?')}</h2>
          <FormError message={errors?.confirm} />
          <form method="post" action={`/tickets/${id}/confirm`}>
            <CsrfField token={csrf} />
            <OnceField />
            <button type="submit" class="button button--success button--wide">
              {t('Подтверждаю')}
            </button>
          </form>
          <form method="post" action={`/tickets/${id}/not-solved`} class="stack">
            <CsrfField token={csrf} />
            <OnceField />
            <label class="field">
              <span>{t('Если не решено — что не так?')}</span>
              <textarea name="comment" rows={3} required maxlength={limits.body} />
            </label>
            <button type="submit" class="button button--wide">
              {t('Не решено')}
            </button>
          </form>
        </section>
      ) : null}
      {mayRate ? <Rating ticket={ticket} csrf={csrf} error={errors?.rate} /> : null}
      {mayCancel ? (
        <DangerZone
          summary={t('Отменить заявку…')}
          action={`/tickets/${id}/status`}
          confirm={t('Отменить заявку № {id}? Отменённую заявку нельзя вернуть в работу.', { id })}
          csrf={csrf}
          submit={t('Отменить заявку')}
        >
          <FormError message={errors?.status} />
          <input type="hidden" name="status" value="cancelled" />
          <label class="field">
            <span>{t('Причина отмены')}</span>
            <textarea name="reason" rows={2} required maxlength={limits.reason} />
          </label>
        </DangerZone>
      ) : null}
    </div>
  )
}

const scoreLabels: Record<number, string> = {
  5: msg('5 — отлично'),
  4: msg('4 — хорошо'),
  3: msg('3 — удовлетворительно'),
  2: msg('2 — плохо'),
  1: msg('1 — очень плохо'),
}

/** The rating, once: the form while there is none; then the comment, if it was left out. */
function Rating(props: { ticket: Ticket; csrf: string; error: string | undefined }) {
  const { ticket } = props
  if (ticket.rating !== null) {
    return (
      <form method="post" action={`/tickets/${ticket.id}/rating-comment`} class="card action stack">
        <CsrfField token={props.csrf} />
        <OnceField />
        <h2>{t('Комментарий к оценке')}</h2>
        <FormError message={props.error} />
        <label class="field">
          <span>{t('Что понравилось или что улучшить')}</span>
          <textarea name="comment" rows={3} required maxlength={limits.ratingComment} />
        </label>
        <button type="submit" class="button">
          {t('Добавить комментарий')}
        </button>
      </form>
    )
  }
  return (
    <form method="post" action={`/tickets/${ticket.id}/rate`} class="card action stack">
      <CsrfField token={props.csrf} />
      <OnceField />
      <fieldset>
        <legend>
          <h2>{t('Оцените работу')}</h2>
        </legend>
        <FormError message={props.error} />
        <div class="button-row">
          {[5, 4, 3, 2, 1].map((score) => (
            <label class="chip">
              <input type="radio" name="score" value={String(score)} required />
              {t(scoreLabels[score] ?? '')}
            </label>
          ))}
        </div>
      </fieldset>
      <label class="field">
        <span>{t('Комментарий (необязательно)')}</span>
        <textarea name="comment" rows={2} maxlength={limits.ratingComment} />
      </label>
      <button type="submit" class="button button--primary">
        {t('Оценить')}
      </button>
    </form>
  )
}

/** The requester's rating, where everyone who opens the ticket sees it (staff too): the score and the comment. */
export function RatingSummary(props: { ticket: Ticket }) {
  const { rating, rating_comment: comment } = props.ticket
  if (rating === null) return null
  return (
    <div class="resolution">
      <h2>{t('Оценка заявителя')}</h2>
      <p>
        <span aria-hidden="true">
          {'★'.repeat(rating)}
          {'☆'.repeat(5 - rating)}
        </span>{' '}
        {t('{n} из 5', { n: rating })}
      </p>
      {comment !== null ? <p class="pre">{comment}</p> : null}
    </div>
  )
}
