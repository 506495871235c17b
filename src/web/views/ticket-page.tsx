import { MAX_FILE_BYTES } from '#src/attachments/file-store.ts'
import type { Category, Department, TicketStatus, User } from '#src/db/schema.ts'
import { priorities } from '#src/db/schema.ts'
import type { TicketMacro } from '#src/macros/ticket-macros.ts'
import { lockedStatuses, priorityLabels, statusChangeAction, statusLabels, transitions } from '#src/tickets/rules.ts'
import type { TicketDetail, TicketEventView, TicketMessageView } from '#src/tickets/view-ticket.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { dateTime, deadlineLeft } from '../format.ts'
import { msg, t } from '../i18n.ts'
import { MAX_UPLOAD_BYTES } from '../ticket-files.routes.tsx'
import { ApprovalPanel } from './approvals.tsx'
import { Attachments } from './attachments.tsx'
import { TicketEquipmentPanel } from './equipment.tsx'
import { ArticlePicker } from './knowledge.tsx'
import { Layout } from './layout.tsx'
import { MacroPicker } from './macro-picker.tsx'
import { OutageTicketLink } from './outages.tsx'
import { CsrfField, DangerZone, eventText, FormError, OnceField, PriorityBadge, StatusBadge, When } from './parts.tsx'
import { RatingSummary, RequesterActions } from './requester-actions.tsx'
import { MergedTag, MergedTicketItem, TicketLinks } from './ticket-links.tsx'
import type { Person } from './ticket-list.tsx'
import { WatchPanel } from './watch-panel.tsx'

/** Which form a refusal belongs to. */
export type TicketForm =
  | 'message'
  | 'take'
  | 'assign'
  | 'status'
  | 'update'
  | 'confirm'
  | 'rate'
  | 'links'
  | 'equipment'

export interface TicketViewProps {
  user: User
  actor: Actor
  csrf: string
  detail: TicketDetail
  staffPeople: Person[]
  categories: Category[]
  /** Active departments, for staff to say which one a ticket is about. */
  departments: Department[]
  errors?: Partial<Record<TicketForm, string>>
  /** What was typed into the reply box, kept after a refusal. */
  draft?: string
  /** The actor's canned responses rendered for this ticket (macro-picker.tsx); the full page only, staff only. */
  macros?: TicketMacro[]
  /** The macro chosen with the draft, kept after a refusal. */
  macroId?: number | undefined
  /** Awaiting approval (issue 14): who decides, and whether it is the viewer. */
  approval?: { mayDecide: boolean; byCurators: boolean } | undefined
  now: string
  tz: string
}

export function TicketPage(props: TicketViewProps) {
  const { ticket } = props.detail
  return (
    <Layout title={t('Заявка № {id}', { id: ticket.id })} user={props.user} csrf={props.csrf} section="tickets">
      <p class="crumbs no-print">
        <a href="/tickets">{t('← Заявки')}</a>
      </p>
      <div
        class="ticket-layout"
        data-live={`/tickets/${ticket.id}`}
        data-live-after={String(lastEventId(props.detail))}
      >
        <div class="ticket-main">
          <TicketHeader {...props} />
          <Timeline {...props} />
          <ReplyBox {...props} />
        </div>
        <aside class="ticket-side no-print" aria-label={t('Действия')} id="ticket-actions" data-live-part>
          <Actions {...props} />
        </aside>
      </div>
    </Layout>
  )
}

/**
 * The parts of the ticket page that a live update replaces (GET /tickets/:id/live): the header, the
 * timeline and the actions — never the reply box, where the person may be typing.
 */
export function TicketLiveParts(props: TicketViewProps) {
  return (
    <div data-live-after={String(lastEventId(props.detail))}>
      <TicketHeader {...props} />
      <Timeline {...props} />
      <aside class="ticket-side no-print" aria-label={t('Действия')} id="ticket-actions" data-live-part>
        <Actions {...props} />
      </aside>
    </div>
  )
}

/** The newest event the page shows: the live stream reports only later ones. */
function lastEventId(detail: TicketDetail): number {
  return detail.events.reduce((max, e) => Math.max(max, e.id), 0)
}

function TicketHeader(props: TicketViewProps) {
  const { ticket, requester, assignee, category } = props.detail
  const open = !['resolved', 'closed', 'cancelled'].includes(ticket.status)
  const overdue = open && ticket.resolution_due_at !== null && ticket.resolution_due_at < props.now
  return (
    <section class={`card ticket-head${overdue ? ' is-overdue' : ''}`} id="ticket-head" data-live-part>
      <div class="ticket-head__top">
        <span class="ticket-no">{`№ ${ticket.id}`}</span>
        <StatusBadge status={ticket.status} />
        <PriorityBadge priority={ticket.priority} />
      </div>
      <h1 class="ticket-title">{ticket.title}</h1>
      {requester.blocked ? (
        <p class="form-error" role="status">
          {t(
            'Данные заявителя заблокированы (152-ФЗ ст. 21): они не показываются и не отправляются до снятия блокировки.',
          )}
        </p>
      ) : null}
      <dl class="facts">
        <div>
          <dt>{t('Категория')}</dt>
          <dd>{category?.name ?? '—'}</dd>
        </div>
        <div>
          <dt>{t('Заявитель')}</dt>
          <dd>
            {requester.full_name}
            {requester.department_name ? <span class="sub">{requester.department_name}</span> : null}
          </dd>
        </div>
        <div>
          <dt>{t('Отделение')}</dt>
          <dd>{props.detail.department?.name ?? '—'}</dd>
        </div>
        <div>
          <dt>{t('Кабинет')}</dt>
          <dd>{ticket.location ?? '—'}</dd>
        </div>
        {props.detail.equipment ? (
          <div>
            <dt>{t('Оборудование')}</dt>
            <dd>
              {t('инв. № {number}', { number: props.detail.equipment.inventory_number })}
              <span class="sub">
                {props.detail.equipment.kind}
                {props.detail.equipment.model ? ` ${props.detail.equipment.model}` : ''}
              </span>
            </dd>
          </div>
        ) : null}
        <div>
          <dt>{t('Телефон')}</dt>
          <dd>{requester.phone ? <a href={`tel:${requester.phone}`}>{requester.phone}</a> : '—'}</dd>
        </div>
        <div>
          <dt>{t('Исполнитель')}</dt>
          <dd>{assignee?.full_name ?? <span class="muted">{t('не назначен')}</span>}</dd>
        </div>
        <div>
          <dt>{t('Создана')}</dt>
          <dd>{dateTime(ticket.created_at, props.tz)}</dd>
        </div>
        <Deadline
          label={t('Срок реакции')}
          due={ticket.response_due_at}
          done={ticket.first_response_at !== null}
          {...props}
        />
        <Deadline label={t('Срок решения')} due={ticket.resolution_due_at} done={!open} {...props} />
      </dl>
      <div class="description">
        <h2 class="visually-hidden">{t('Описание')}</h2>
        <p class="pre">{ticket.description}</p>
        <Attachments ticketId={ticket.id} files={props.detail.attachments.filter((a) => a.message_id === null)} />
      </div>
      {ticket.resolution ? (
        <div class="resolution">
          <h2>{t('Результат')}</h2>
          <p class="pre">{ticket.resolution}</p>
        </div>
      ) : null}
      {ticket.cancel_reason ? (
        <div class="resolution resolution--cancel">
          <h2>{t('Причина отмены')}</h2>
          <p class="pre">{ticket.cancel_reason}</p>
        </div>
      ) : null}
      <RatingSummary ticket={ticket} />
    </section>
  )
}

function Deadline(props: TicketViewProps & { label: string; due: string | null; done: boolean }) {
  if (!props.due) return null
  const left = deadlineLeft(props.due, props.now)
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>
        {dateTime(props.due, props.tz)}
        {props.done ? null : <span class={`sub ${left.overdue ? 'overdue-text' : ''}`}>{left.text}</span>}
      </dd>
    </div>
  )
}

type Entry = {
  at: string
  order: number
  message?: TicketMessageView
  event?: TicketEventView
  merged?: TicketDetail['merged'][number]
}

function Timeline(props: TicketViewProps) {
  const { detail } = props
  const entries: Entry[] = [
    ...detail.messages.map((m) => ({ at: m.created_at, order: m.id * 2, message: m })),
    ...detail.events
      .filter((e) => e.kind !== 'message' && e.kind !== 'note')
      .map((e) => ({ at: e.created_at, order: e.id * 2 + 1, event: e })),
    // Duplicates merged into this ticket: their own text where it was filed (ticket-links.tsx).
    ...detail.merged.map((m) => ({ at: m.created_at, order: -1, merged: m })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.order - b.order))
  return (
    <section class="timeline" aria-label={t('История заявки')} id="ticket-timeline" data-live-part>
      <h2>{t('История')}</h2>
      <ol>
        {entries.map((e) =>
          e.message ? (
            <MessageItem message={e.message} requesterId={detail.ticket.requester_id} {...props} />
          ) : e.event ? (
            <EventItem event={e.event} {...props} />
          ) : e.merged ? (
            <MergedTicketItem merged={e.merged} author={detail.requester.full_name} now={props.now} tz={props.tz} />
          ) : null,
        )}
      </ol>
    </section>
  )
}

const deliveryLabels: Record<string, string> = {
  pending: msg('отправляется в Telegram'),
  sent: msg('доставлено в Telegram'),
  failed: msg('не доставлено в Telegram'),
}

function MessageItem(props: TicketViewProps & { message: TicketMessageView; requesterId: number }) {
  const m = props.message
  const internal = m.kind === 'internal'
  const fromRequester = m.author_id === props.requesterId
  const kind = internal ? 'msg--internal' : fromRequester ? 'msg--requester' : 'msg--staff'
  const delivery = m.delivery_status ? deliveryLabels[m.delivery_status] : undefined
  return (
    <li class={`msg ${kind}`}>
      <div class="msg__head">
        {internal ? <span class="msg__tag">{t('Внутренняя заметка')}</span> : null}
        {m.ticket_id !== props.detail.ticket.id ? <MergedTag ticketId={m.ticket_id} /> : null}
        <strong>{m.author_name}</strong>
        {!internal && !fromRequester ? <span class="muted small">{t('ИТ-отдел')}</span> : null}
        <When at={m.created_at} now={props.now} tz={props.tz} />
        {delivery ? <span class="muted small">{`· ${t(delivery)}`}</span> : null}
      </div>
      {m.body ? <p class="pre msg__body">{m.body}</p> : null}
      <Attachments ticketId={m.ticket_id} files={props.detail.attachments.filter((a) => a.message_id === m.id)} />
    </li>
  )
}

function EventItem(props: TicketViewProps & { event: TicketEventView }) {
  const text = eventText(
    props.event,
    (id) => props.event.target_name ?? props.staffPeople.find((p) => String(p.id) === id)?.full_name ?? `№ ${id}`,
  )
  if (!text) return null
  return (
    <li class="event">
      <span>{props.event.actor_name ?? t('Система')}</span> {text} ·{' '}
      <When at={props.event.created_at} now={props.now} tz={props.tz} />
    </li>
  )
}

function ReplyBox(props: TicketViewProps) {
  const { ticket } = props.detail
  const staff = can(props.actor, 'ticket.note', ticket)
  if (!can(props.actor, 'ticket.message', ticket)) return null
  // After a refusal the box stays, with the message and the draft, whatever the status.
  if (!staff && lockedStatuses.includes(ticket.status) && !props.errors?.message) return null
  return (
    <section class="card reply no-print">
      <h2>{staff ? t('Сообщение') : t('Написать в ИТ-отдел')}</h2>
      <form
        method="post"
        action={`/tickets/${ticket.id}/messages`}
        enctype="multipart/form-data"
        class="stack"
        data-reply
      >
        <CsrfField token={props.csrf} />
        <OnceField />
        <FormError message={props.errors?.message} />
        {staff ? (
          <fieldset class="switch">
            <legend class="visually-hidden">{t('Кому видно сообщение')}</legend>
            <label>
              <input type="radio" name="kind" value="external" id="kind-external" checked />
              {t('Ответ заявителю')}
            </label>
            <label>
              <input type="radio" name="kind" value="internal" id="kind-internal" />
              {t('Внутренняя заметка')}
            </label>
          </fieldset>
        ) : (
          <input type="hidden" name="kind" value="external" />
        )}
        <p class="hint hint--external">
          {!staff
            ? t('Сообщение увидят сотрудники ИТ-отдела, работающие по заявке.')
            : props.detail.requester.messenger === 'max'
              ? t('Увидит заявитель (и получит в MAX).')
              : props.detail.requester.telegram
                ? t('Увидит заявитель (и получит в Telegram).')
                : t('Увидит заявитель на странице заявки: мессенджер у него не подключён.')}
        </p>
        {staff ? (
          <p class="hint hint--internal">{t('Видят только сотрудники ИТ-отдела — заявитель не увидит.')}</p>
        ) : null}
        <label class="field">
          <span class="visually-hidden">{t('Текст сообщения')}</span>
          <textarea name="body" rows={4} maxlength={10000} placeholder={t('Текст…  (Ctrl+Enter — отправить)')}>
            {props.draft ?? ''}
          </textarea>
        </label>
        {staff ? <MacroPicker macros={props.macros} chosen={props.macroId} /> : null}
        {staff ? <ArticlePicker /> : null}
        <FileField id="reply-files" />
        <div class="actions">
          <button type="submit" class="button button--primary">
            <span class="when-external">{staff ? t('Отправить заявителю') : t('Отправить')}</span>
            {staff ? <span class="when-internal">{t('Сохранить заметку')}</span> : null}
          </button>
        </div>
      </form>
    </section>
  )
}

/** Several files, each up to 20 MB: app.js refuses a larger one before it is sent, the server again. */
export function FileField(props: { id: string }) {
  return (
    <label class="field file-field" for={props.id}>
      <span>{t('Файлы (фото, документы) — до 20 МБ каждый')}</span>
      <input
        type="file"
        name="files"
        id={props.id}
        multiple
        data-max-bytes={String(MAX_FILE_BYTES)}
        data-too-large={t('Файл больше 20 МБ — выберите файл поменьше')}
        data-max-total={String(MAX_UPLOAD_BYTES)}
        data-too-much={t('Файлы вместе больше 50 МБ — отправьте их в нескольких сообщениях')}
      />
    </label>
  )
}

const statusActionLabels: Partial<Record<TicketStatus, string>> = {
  in_progress: msg('В работу'),
  waiting: msg('Ждать ответа заявителя'),
  new: msg('Вернуть в новые'),
  closed: msg('Подтвердить и закрыть'),
}

function Actions(props: TicketViewProps) {
  const { ticket } = props.detail
  const approval = props.approval ? <ApprovalPanel ticketId={ticket.id} csrf={props.csrf} {...props.approval} /> : null
  // The requester's own panel: confirm, «Не решено», rating (requester-actions.tsx), not staff's status buttons.
  if (!can(props.actor, 'ticket.view_internal')) {
    return (
      <>
        {approval}
        <RequesterActions {...props} />
      </>
    )
  }
  const { actor, csrf, errors } = props
  const id = ticket.id
  const targets = transitions[ticket.status].filter((to) => can(actor, statusChangeAction(ticket.status, to), ticket))
  const simple = targets.filter((to) => to !== 'resolved' && to !== 'cancelled')
  const mayTake =
    can(actor, 'ticket.take', ticket) &&
    ticket.assignee_id !== actor.id &&
    (ticket.status === 'new' || ticket.status === 'in_progress')
  const mayAssign = can(actor, 'ticket.assign', ticket) && ['new', 'in_progress', 'waiting'].includes(ticket.status)
  const mayUpdate = can(actor, 'ticket.update', ticket) && !lockedStatuses.includes(ticket.status)
  const nothing = !mayTake && !mayAssign && !mayUpdate && targets.length === 0
  return (
    <div class="stack">
      {approval}
      {nothing && !approval ? <p class="muted">{t('Действий с заявкой нет.')}</p> : null}
      {mayTake ? (
        <form method="post" action={`/tickets/${id}/take`} class="card action">
          <CsrfField token={csrf} />
          <FormError message={errors?.take} />
          <button type="submit" class="button button--primary button--wide" data-key="a" aria-keyshortcuts="a">
            {t('Взять в работу')}
          </button>
        </form>
      ) : null}
      {mayAssign ? (
        <form method="post" action={`/tickets/${id}/assign`} class="card action stack">
          <CsrfField token={csrf} />
          <FormError message={errors?.assign} />
          <label class="field">
            <span>{t('Исполнитель')}</span>
            <select name="assignee">
              <option value="none">{t('— не назначен —')}</option>
              {props.staffPeople.map((p) => (
                <option value={String(p.id)} selected={ticket.assignee_id === p.id}>
                  {p.full_name}
                </option>
              ))}
            </select>
          </label>
          <div class="actions">
            <button type="submit" class="button">
              {t('Назначить')}
            </button>
          </div>
        </form>
      ) : null}
      {targets.length > 0 ? (
        <div class="card action stack">
          <h2>{t('Статус')}</h2>
          <FormError message={errors?.status} />
          {simple.length > 0 ? (
            <div class="button-row">
              {simple.map((to) => (
                <form method="post" action={`/tickets/${id}/status`}>
                  <CsrfField token={csrf} />
                  <input type="hidden" name="status" value={to} />
                  <button type="submit" class="button">
                    {to === 'in_progress' && (ticket.status === 'resolved' || ticket.status === 'closed')
                      ? t('Открыть снова')
                      : t(statusActionLabels[to] ?? statusLabels[to])}
                  </button>
                </form>
              ))}
            </div>
          ) : null}
          {targets.includes('resolved') ? (
            <form method="post" action={`/tickets/${id}/status`} class="stack">
              <CsrfField token={csrf} />
              <input type="hidden" name="status" value="resolved" />
              <label class="field">
                <span>{t('Результат (увидит заявитель)')}</span>
                <textarea name="resolution" rows={3} required maxlength={10000} />
              </label>
              <div class="actions">
                <button type="submit" class="button button--success">
                  {t('Решена')}
                </button>
              </div>
            </form>
          ) : null}
          {targets.includes('cancelled') ? (
            <DangerZone
              summary={t('Отменить заявку…')}
              action={`/tickets/${id}/status`}
              confirm={t('Отменить заявку № {id}? Отменённую заявку нельзя вернуть в работу.', { id })}
              csrf={csrf}
              submit={t('Отменить заявку')}
            >
              <input type="hidden" name="status" value="cancelled" />
              <label class="field">
                <span>{t('Причина отмены')}</span>
                <textarea name="reason" rows={2} required maxlength={1000} />
              </label>
            </DangerZone>
          ) : null}
        </div>
      ) : null}
      {mayUpdate ? (
        <form method="post" action={`/tickets/${id}/update`} class="card action stack">
          <CsrfField token={csrf} />
          <h2>{t('Приоритет, категория и место')}</h2>
          <FormError message={errors?.update} />
          <label class="field">
            <span>{t('Приоритет')}</span>
            <select name="priority">
              {[...priorities].reverse().map((p) => (
                <option value={p} selected={ticket.priority === p}>
                  {t(priorityLabels[p])}
                </option>
              ))}
            </select>
          </label>
          <label class="field" for="ticket-category">
            <span>{t('Категория')}</span>
            <CategorySelect categories={props.categories} selected={ticket.category_id} id="ticket-category" />
          </label>
          <label class="field">
            <span>{t('Отделение')}</span>
            <select name="department">
              <option value="" selected={ticket.department_id === null}>
                {t('— не указано —')}
              </option>
              {props.departments.map((d) => (
                <option value={String(d.id)} selected={ticket.department_id === d.id}>
                  {d.name}
                </option>
              ))}
              {ticket.department_id !== null && !props.departments.some((d) => d.id === ticket.department_id) ? (
                <option value={String(ticket.department_id)} selected>
                  {props.detail.department?.name ?? t('Отделение № {id}', { id: ticket.department_id })}
                </option>
              ) : null}
            </select>
          </label>
          <label class="field">
            <span>{t('Место (кабинет)')}</span>
            <input name="location" maxlength={200} value={ticket.location ?? ''} />
          </label>
          <div class="actions">
            <button type="submit" class="button">
              {t('Сохранить')}
            </button>
          </div>
        </form>
      ) : null}
      <WatchPanel detail={props.detail} actor={actor} csrf={csrf} />
      {can(actor, 'equipment.use') ? (
        <TicketEquipmentPanel
          ticketId={id}
          device={props.detail.equipment ?? null}
          csrf={csrf}
          editable={mayUpdate}
          error={errors?.equipment}
        />
      ) : null}
      <TicketLinks {...props} />
      <OutageTicketLink ticket={ticket} actor={actor} />
    </div>
  )
}

/** Active categories, children indented under their parent. */
export function CategorySelect(props: { categories: Category[]; selected: number | null; name?: string; id?: string }) {
  const parents = props.categories.filter((c) => c.parent_id === null)
  return (
    <select name={props.name ?? 'category'} id={props.id} required>
      {props.selected === null ? <option value="">{t('— выберите —')}</option> : null}
      {parents.map((parent) => {
        const children = props.categories.filter((c) => c.parent_id === parent.id)
        if (children.length === 0) {
          return (
            <option value={String(parent.id)} selected={props.selected === parent.id}>
              {parent.name}
            </option>
          )
        }
        return (
          <optgroup label={parent.name}>
            <option value={String(parent.id)} selected={props.selected === parent.id}>
              {t('{name} — другое', { name: parent.name })}
            </option>
            {children.map((c) => (
              <option value={String(c.id)} selected={props.selected === c.id}>
                {c.name}
              </option>
            ))}
          </optgroup>
        )
      })}
    </select>
  )
}
