import type { Child } from 'hono/jsx'
import type { Priority, TicketStatus } from '#src/db/schema.ts'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import type { CappedCount } from '#src/tickets/ticket-store.ts'
import { CSRF_FIELD } from '../csrf.ts'
import { dateTime, relative } from '../format.ts'
import { msg, t } from '../i18n.ts'
import { ONCE_FIELD, onceToken } from '../once-form.ts'
import { type ListQuery, listHref } from '../ticket-query.ts'
import { linkEventText } from './link-events.ts'

export function CsrfField(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />
}

/** A form that creates something is sent once, whatever the clicks (once-form.ts). */
export function OnceField() {
  return <input type="hidden" name={ONCE_FIELD} value={onceToken()} />
}

/** A status's colour class: «На согласовании» (issue 14) takes the waiting purple (no CSS rule of its own). */
export function statusClass(status: TicketStatus): string {
  return `status--${status === 'approval' ? 'waiting' : status}`
}

/** Status: colour and its label, never colour alone. */
export function StatusBadge(props: { status: TicketStatus }) {
  return <span class={`badge status ${statusClass(props.status)}`}>{t(statusLabels[props.status])}</span>
}

export function PriorityBadge(props: { priority: Priority }) {
  return <span class={`badge prio prio--${props.priority}`}>{t(priorityLabels[props.priority])}</span>
}

/** «5 мин назад» with the exact time on hover. */
export function When(props: { at: string; now: string; tz: string }) {
  const exact = dateTime(props.at, props.tz)
  return (
    <time datetime={props.at} title={exact}>
      {relative(props.at, props.now, props.tz)}
    </time>
  )
}

/** A refusal next to the form it concerns. */
export function FormError(props: { message: string | undefined }) {
  if (!props.message) return null
  return (
    <p class="form-error" role="alert">
      {props.message}
    </p>
  )
}

/** An outcome line; nothing when there is no outcome to tell. */
export function Notice(props: { children?: Child }) {
  if (props.children === undefined || props.children === null || props.children === '') return null
  return (
    <p class="notice" role="status">
      {props.children}
    </p>
  )
}

/** A page's heading; `children`, if any, are its actions (link buttons) on the right. */
export function PageHead(props: { title: string; children?: Child }) {
  return (
    <div class="page-head">
      <h1>{props.title}</h1>
      {props.children ? <div class="page-head__actions">{props.children}</div> : null}
    </div>
  )
}

/** One line of a `<dl class="facts">`: a label and its value, «—» when there is none. */
export function Fact(props: { label: string; value: string | null | undefined }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>{props.value ?? <span class="muted">—</span>}</dd>
    </div>
  )
}

/** What a list shows instead of an empty table: one line, often with a way out (a link). */
export function Empty(props: { children: Child }) {
  return (
    <div class="empty">
      <p>{props.children}</p>
    </div>
  )
}

/**
 * A catalogue's table (categories, departments, groups): the `wide` columns, then the `fit` ones (as
 * narrow as their content); `children` are the rows.
 */
export function CatalogueTable(props: { wide: string[]; fit: string[]; class?: string; children: Child }) {
  return (
    <div class={props.class ? `table-wrap ${props.class}` : 'table-wrap'}>
      <table class="tickets catalogue">
        <thead>
          <tr>
            {props.wide.map((label) => (
              <th scope="col">{label}</th>
            ))}
            {props.fit.map((label) => (
              <th scope="col" class="fit">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  )
}

/** Active or disabled (catalogues: categories, departments, groups), in words beside the colour. */
export function ActiveBadge(props: { active: boolean | number; neuter?: boolean }) {
  const active = Number(props.active) === 1
  // «категория, группа активна», but «отделение активно».
  const [on, off] = props.neuter ? [msg('Активно'), msg('Отключено')] : [msg('Активна'), msg('Отключена')]
  return <span class={`badge state state--${active ? 'active' : 'disabled'}`}>{t(active ? on : off)}</span>
}

/** ↑/↓ buttons that move a row among its siblings: two small forms posting `direction`. */
export function MoveButtons(props: { action: string; csrf: string; first: boolean; last: boolean; name: string }) {
  return (
    <div class="move">
      {(['up', 'down'] as const).map((direction) => (
        <form method="post" action={props.action}>
          <CsrfField token={props.csrf} />
          <input type="hidden" name="direction" value={direction} />
          <button
            type="submit"
            class="button button--ghost move__button"
            disabled={direction === 'up' ? props.first : props.last}
            aria-label={
              direction === 'up' ? t('Выше: {name}', { name: props.name }) : t('Ниже: {name}', { name: props.name })
            }
          >
            {direction === 'up' ? '↑' : '↓'}
          </button>
        </form>
      ))}
    </div>
  )
}

/** Disable or enable a catalogue row: one button posting the wanted state. */
export function ToggleForm(props: { action: string; csrf: string; active: boolean; name: string }) {
  return (
    <form method="post" action={props.action}>
      <CsrfField token={props.csrf} />
      <input type="hidden" name="active" value={props.active ? '0' : '1'} />
      <button
        type="submit"
        class="button button--ghost"
        aria-label={
          props.active ? t('Отключить: {name}', { name: props.name }) : t('Включить: {name}', { name: props.name })
        }
      >
        {props.active ? t('Отключить') : t('Включить')}
      </button>
    </form>
  )
}

/**
 * A form in a card: its heading, a refusal beside it, the fields, then the `submit` button (if any). A form
 * with a file field gives `multipart`.
 */
export function CardForm(props: {
  action: string
  csrf: string
  title: string
  error: string | undefined
  submit?: string | undefined
  primary?: boolean
  multipart?: boolean
  children: Child
}) {
  return (
    <form
      method="post"
      action={props.action}
      enctype={props.multipart ? 'multipart/form-data' : undefined}
      class="card stack"
    >
      <CsrfField token={props.csrf} />
      <h2>{props.title}</h2>
      <FormError message={props.error} />
      {props.children}
      {props.submit ? (
        <div class="actions">
          <button type="submit" class={props.primary ? 'button button--primary' : 'button'}>
            {props.submit}
          </button>
        </div>
      ) : null}
    </form>
  )
}

/**
 * A catalogue row's edit form (category, group): name and description, then the catalogue's own
 * `children` fields, then «Отмена» (back to `back`) and the `submit` button.
 */
export function CatalogueForm(props: {
  action: string
  back: string
  csrf: string
  error: string | undefined
  name: string
  namePlaceholder?: string
  description: string
  submit: string
  /** A new one, not an edit: sent once (OnceField). */
  once?: boolean
  children: Child
}) {
  return (
    <form method="post" action={props.action} class="card stack form-narrow">
      <CsrfField token={props.csrf} />
      {props.once ? <OnceField /> : null}
      <FormError message={props.error} />
      <label class="field">
        <span>{t('Название')}</span>
        <input name="name" required maxlength={200} value={props.name} placeholder={props.namePlaceholder} />
      </label>
      <label class="field">
        <span>{t('Описание')}</span>
        <textarea name="description" rows={3} maxlength={2000}>
          {props.description}
        </textarea>
      </label>
      {props.children}
      <div class="actions">
        <a href={props.back} class="button button--ghost">
          {t('Отмена')}
        </a>
        <button type="submit" class="button button--primary">
          {props.submit}
        </button>
      </div>
    </form>
  )
}

/**
 * «← Назад · Страница 2 из 5 · Дальше →» for a paged list; `href(n)` is the address of page n. A list
 * that is not counted (the journal) gives `more` instead of `pages`: whether a page after this one exists.
 */
export function Pager(props: {
  page: number
  pages?: number
  more?: boolean
  href: (page: number) => string
  htmx?: boolean
}) {
  const { page, pages, href } = props
  const next = pages === undefined ? props.more === true : page < pages
  if (pages === undefined ? page <= 1 && !next : pages <= 1) return null
  const link = (to: number, rel: 'prev' | 'next', label: string) => (
    <a class="button" rel={rel} href={href(to)} hx-get={props.htmx ? href(to) : undefined}>
      {label}
    </a>
  )
  return (
    <nav class="pager" aria-label={t('Страницы')}>
      {page > 1 ? link(page - 1, 'prev', t('← Назад')) : null}
      <span>
        {pages === undefined ? t('Страница {page}', { page }) : t('Страница {page} из {pages}', { page, pages })}
      </span>
      {next ? link(page + 1, 'next', t('Дальше →')) : null}
    </nav>
  )
}

/** A filter form's period: two days, `from` and `to`, under one legend. */
export function DateRange(props: { legend: string; from?: string; to?: string; fromLabel: string; toLabel: string }) {
  return (
    <fieldset class="field field--range">
      <legend>{props.legend}</legend>
      <div class="range">
        <input type="date" name="from" value={props.from ?? ''} aria-label={props.fromLabel} />
        <span aria-hidden="true">—</span>
        <input type="date" name="to" value={props.to ?? ''} aria-label={props.toLabel} />
      </div>
    </fieldset>
  )
}

/** A filter form's two buttons: back to the unfiltered page, and submit. */
export function FilterButtons(props: { reset: string; submit: string }) {
  return (
    <>
      <a href={props.reset} class="button button--ghost">
        {t('Сбросить')}
      </a>
      <button type="submit" class="button">
        {props.submit}
      </button>
    </>
  )
}

const isStatus = (value: string | null): value is TicketStatus => value !== null && value in statusLabels
const isPriority = (value: string | null): value is Priority => value !== null && value in priorityLabels

/**
 * What a ticket event did, after the actor's name: «сменил(а) статус: Новая → В работе». The ticket page
 * names the new assignee (`person`); the dashboard, without the staff list, does not. Null for a kind
 * without a text: the caller decides whether to hide it or say «изменил(а) заявку».
 */
export function eventText(
  e: { kind: string; from_value: string | null; to_value: string | null },
  person?: (id: string) => string,
): string | null {
  switch (e.kind) {
    case 'created':
      return t('создал(а) заявку')
    case 'taken':
      return t('взял(а) заявку в работу')
    case 'approved':
      return t('согласовал(а) заявку')
    case 'approval_rejected':
      return t('не согласовал(а) заявку')
    case 'assigned':
      if (!e.to_value) return t('снял(а) исполнителя')
      return person ? t('назначил(а) исполнителя: {name}', { name: person(e.to_value) }) : t('назначил(а) исполнителя')
    case 'status_changed':
      return isStatus(e.from_value) && isStatus(e.to_value)
        ? t('сменил(а) статус: {from} → {to}', {
            from: t(statusLabels[e.from_value]),
            to: t(statusLabels[e.to_value]),
          })
        : t('сменил(а) статус')
    case 'priority_changed':
      return isPriority(e.from_value) && isPriority(e.to_value)
        ? t('сменил(а) приоритет: {from} → {to}', {
            from: t(priorityLabels[e.from_value]),
            to: t(priorityLabels[e.to_value]),
          })
        : t('сменил(а) приоритет')
    case 'category_changed':
      return t('сменил(а) категорию')
    case 'department_changed':
      return t('сменил(а) отделение')
    case 'group_changed':
      return t('сменил(а) группу исполнителей')
    case 'location_changed':
      return t('сменил(а) место')
    case 'equipment_changed':
      return e.to_value ? t('указал(а) оборудование') : t('убрал(а) оборудование')
    case 'title_changed':
      return t('изменил(а) заголовок')
    case 'message':
      return t('написал(а) сообщение')
    case 'note':
      return t('оставил(а) внутреннюю заметку')
    case 'deadline_breached':
      return e.to_value === 'response' ? t('— нарушен срок реакции') : t('— нарушен срок решения')
    case 'rated':
      return t('оценил(а) работу: {n} из 5', { n: e.to_value ?? '' })
    case 'escalated':
      return escalationText(e.to_value, e.from_value === 'critical')
    case 'escalation_acknowledged':
      return t('принял(а) критическую заявку')
    case 'outage_declared':
      return t('объявил(а) массовый сбой')
    case 'outage_resolved':
      return t('— массовый сбой устранён')
    case 'linked':
    case 'unlinked':
    case 'merged':
    case 'merged_in':
    case 'unmerged':
    case 'unmerged_in':
      return linkEventText(e)
    default:
      return null
  }
}

/** «— эскалация: дежурному группы» (src/duty/escalate-tickets.ts: levels 1–4). */
function escalationText(level: string | null, critical: boolean): string {
  const whom: Record<string, string> = {
    '1': t('предупреждён исполнитель: срок решения подходит к концу'),
    '2': t('вызван дежурный группы'),
    '3': t('вызван куратор'),
    '4': t('вызван руководитель ИТ'),
  }
  const text = whom[level ?? ''] ?? t('эскалация')
  return critical ? t('— критическая заявка ночью: {text}', { text }) : t('— эскалация: {text}', { text })
}

/**
 * An irreversible or far-reaching action, folded away: «summary…» opens a form that asks the browser to
 * confirm (`data-confirm`, app.js) and posts with the red button.
 */
export function DangerZone(props: {
  summary: string
  action: string
  confirm: string
  csrf: string
  submit: string
  children?: Child
}) {
  return (
    <details class="danger-zone">
      <summary>{props.summary}</summary>
      <form method="post" action={props.action} class="stack" data-confirm={props.confirm}>
        <CsrfField token={props.csrf} />
        {props.children}
        <div class="actions">
          <button type="submit" class="button button--danger">
            {props.submit}
          </button>
        </div>
      </form>
    </details>
  )
}

/** A count as the list shows it: the number, or «более 1 000» past the cap. */
export function shownCount(count: CappedCount): string {
  return count.capped ? t('более {n}', { n: groupDigits(count.count) }) : String(count.count)
}

/** 1000 → «1 000» (a thin space, as Russian writes thousands; the same in English here). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')
}

/** «Предыдущая» / «Следующая»: links to the pages before and after by cursor (no page numbers to jump to). */
export function KeysetPager(props: {
  query: ListQuery
  next: string | null
  prev: string | null
  /** Swapped in place by htmx (the staff list), or a plain link (the requester's). */
  htmx?: boolean
}) {
  if (props.next === null && props.prev === null) return null
  const link = (cursor: string, rel: 'prev' | 'next', label: string) => {
    const href = listHref(props.query, { cursor })
    return (
      <a class="button" rel={rel} href={href} hx-get={props.htmx === false ? undefined : href}>
        {label}
      </a>
    )
  }
  return (
    <nav class="pager" aria-label={t('Страницы')}>
      {props.prev !== null ? link(props.prev, 'prev', t('← Предыдущая')) : null}
      {props.next !== null ? link(props.next, 'next', t('Следующая →')) : null}
    </nav>
  )
}

/**
 * The hint under a text that takes `{{placeholders}}` (macros, plans): `intro` says when they are filled, then each
 * name with what it becomes. `id` is what the text field's `aria-describedby` names.
 */
export function PlaceholderHelp<Name extends string>(props: {
  id: string
  intro: string
  names: readonly Name[]
  help: Record<Name, string>
}) {
  return (
    <div id={props.id} class="hint">
      <p>{props.intro}</p>
      <ul class="macro-placeholders">
        {props.names.map((name) => (
          <li>
            <code>{`{{${name}}}`}</code> — {t(props.help[name])}
          </li>
        ))}
      </ul>
    </div>
  )
}
