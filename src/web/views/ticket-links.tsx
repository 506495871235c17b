import type { Child } from 'hono/jsx'
import { lockedStatuses } from '#src/tickets/rules.ts'
import type { LinkRelation, MergedTicketView, TicketLinkView } from '#src/tickets/ticket-links-store.ts'
import { can } from '#src/users/permissions.ts'
import { dateTime } from '../format.ts'
import { msg, t } from '../i18n.ts'
import { Attachments } from './attachments.tsx'
import { CsrfField, DangerZone, FormError, OnceField, StatusBadge, When } from './parts.tsx'
import type { TicketViewProps } from './ticket-page.tsx'

/**
 * «Связанные заявки» on the ticket page (issue 13): the ticket's links with the other tickets' statuses, and for
 * staff who may change the ticket the forms to link it, unlink, mark it a duplicate (a merge, confirmed), and
 * undo a merge within its day. The merged duplicates' texts on the timeline, and the undo form the journal uses.
 */

const relationLabels: Record<LinkRelation, string> = {
  merged_into: msg('объединена с'),
  parent: msg('родительская'),
  child: msg('дочерняя'),
  related: msg('связанная'),
  duplicate: msg('дубликат'),
}

export function TicketLinks(props: TicketViewProps) {
  const { ticket, links } = props.detail
  const editable = can(props.actor, 'ticket.update', ticket)
  if (!editable && links.length === 0) return null
  const mergedInto = links.find((l) => l.relation === 'merged_into')
  const id = ticket.id
  return (
    <section class="card action stack" id="ticket-links" aria-labelledby="ticket-links-title">
      <h2 id="ticket-links-title">{t('Связанные заявки')}</h2>
      <FormError message={props.errors?.links} />
      {mergedInto ? (
        <p>
          {t('Заявка объединена с заявкой')}{' '}
          <a href={`/tickets/${mergedInto.ticket.id}`}>{`№ ${mergedInto.ticket.id}`}</a>
          {t(': ответ придёт по ней.')}
        </p>
      ) : null}
      {links.length === 0 ? (
        <p class="muted">{t('Связей нет.')}</p>
      ) : (
        <ul class="changes">
          {links.map((link) => (
            <LinkItem link={link} ticketId={id} editable={editable} csrf={props.csrf} tz={props.tz} />
          ))}
        </ul>
      )}
      {editable ? (
        <form method="post" action={`/tickets/${id}/links`} class="stack">
          <CsrfField token={props.csrf} />
          <OnceField />
          <label class="field">
            <span>{t('Связать с заявкой №')}</span>
            <input name="other" inputmode="numeric" pattern="[0-9]*" maxlength={10} required autocomplete="off" />
          </label>
          <label class="field">
            <span>{t('Вид связи')}</span>
            <select name="kind">
              <option value="related">{t('связанная')}</option>
              <option value="child">{t('дочерняя')}</option>
              <option value="parent">{t('родительская')}</option>
            </select>
          </label>
          <div class="actions">
            <button type="submit" class="button">
              {t('Связать')}
            </button>
          </div>
        </form>
      ) : null}
      {editable && !mergedInto && !lockedStatuses.includes(ticket.status) ? (
        <DangerZone
          summary={t('Это дубликат другой заявки…')}
          action={`/tickets/${id}/merge`}
          confirm={t(
            'Закрыть заявку № {id} как дубликат? Её переписка появится в указанной заявке, заявитель получит сообщение в Telegram. Отменить можно в течение суток.',
            { id },
          )}
          csrf={props.csrf}
          submit={t('Объединить')}
        >
          <OnceField />
          <label class="field">
            <span>{t('Дубликат заявки №')}</span>
            <input name="into" inputmode="numeric" pattern="[0-9]*" maxlength={10} required autocomplete="off" />
          </label>
          <p class="muted small">
            {t('Эта заявка закроется, её переписка будет видна в указанной заявке того же заявителя.')}
          </p>
        </DangerZone>
      ) : null}
    </section>
  )
}

function LinkItem(props: { link: TicketLinkView; ticketId: number; editable: boolean; csrf: string; tz: string }) {
  const { link } = props
  const other = link.ticket.id
  const merge = link.relation === 'merged_into' || link.relation === 'duplicate'
  // The undo is asked of the duplicate: this ticket, or the other one.
  const duplicateId = link.relation === 'merged_into' ? props.ticketId : other
  return (
    <li class="changes__item">
      <span class="muted small">{t(relationLabels[link.relation])}</span>{' '}
      <a href={`/tickets/${other}`}>{`№ ${other}`}</a> <StatusBadge status={link.ticket.status} />
      <span class="sub">{link.ticket.title}</span>
      {props.editable && !merge ? (
        <form method="post" action={`/tickets/${props.ticketId}/links/${link.id}/delete`} class="inline-form">
          <CsrfField token={props.csrf} />
          <button
            type="submit"
            class="button button--small"
            aria-label={t('Убрать связь с заявкой № {id}', { id: other })}
          >
            {t('Убрать')}
          </button>
        </form>
      ) : null}
      {props.editable && merge && link.undo_until ? (
        <UndoMergeForm ticketId={duplicateId} csrf={props.csrf} back={String(props.ticketId)}>
          <span class="muted small">{t('до {time}', { time: dateTime(link.undo_until, props.tz) })}</span>
        </UndoMergeForm>
      ) : null}
    </li>
  )
}

/**
 * «Отменить объединение»: a POST with the CSRF token, from a ticket's page or the journal (`back` says where to
 * return: `audit`, or a ticket's number).
 */
export function UndoMergeForm(props: { ticketId: number; csrf: string; back: string; children?: Child }) {
  return (
    <form method="post" action={`/tickets/${props.ticketId}/unmerge`} class="inline-form">
      <CsrfField token={props.csrf} />
      <input type="hidden" name="back" value={props.back} />
      <button type="submit" class="button button--small">
        {t('Отменить объединение')}
      </button>
      {props.children}
    </form>
  )
}

/** «из заявки № 12» beside a message of a merged duplicate on the survivor's timeline. */
export function MergedTag(props: { ticketId: number }) {
  return <span class="badge">{t('из заявки № {id}', { id: props.ticketId })}</span>
}

/** A merged duplicate's own text on the survivor's timeline, at the time it was filed. */
export function MergedTicketItem(props: { merged: MergedTicketView; author: string; now: string; tz: string }) {
  const m = props.merged
  return (
    <li class="msg msg--requester">
      <div class="msg__head">
        <MergedTag ticketId={m.id} />
        <strong>{props.author}</strong>
        <When at={m.created_at} now={props.now} tz={props.tz} />
      </div>
      <p class="msg__body">
        <a href={`/tickets/${m.id}`}>{m.title}</a>
      </p>
      <p class="pre msg__body">{m.description}</p>
      <Attachments ticketId={m.id} files={m.attachments} />
    </li>
  )
}
