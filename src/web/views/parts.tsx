import type { Child } from 'hono/jsx'
import type { Priority, TicketStatus } from '#src/db/schema.ts'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import { CSRF_FIELD } from '../csrf.ts'
import { dateTime, relative } from '../format.ts'
import { msg, t } from '../i18n.ts'

export function CsrfField(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />
}

/** Status: colour and its label, never colour alone. */
export function StatusBadge(props: { status: TicketStatus }) {
  return <span class={`badge status status--${props.status}`}>{t(statusLabels[props.status])}</span>
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

export function Notice(props: { children?: Child }) {
  return (
    <p class="notice" role="status">
      {props.children}
    </p>
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

/** «← Назад · Страница 2 из 5 · Дальше →» for a paged list; `href(n)` is the address of page n. */
export function Pager(props: { page: number; pages: number; href: (page: number) => string; htmx?: boolean }) {
  const { page, pages, href } = props
  if (pages <= 1) return null
  const link = (to: number, rel: 'prev' | 'next', label: string) => (
    <a class="button" rel={rel} href={href(to)} hx-get={props.htmx ? href(to) : undefined}>
      {label}
    </a>
  )
  return (
    <nav class="pager" aria-label={t('Страницы')}>
      {page > 1 ? link(page - 1, 'prev', t('← Назад')) : null}
      <span>{t('Страница {page} из {pages}', { page, pages })}</span>
      {page < pages ? link(page + 1, 'next', t('Дальше →')) : null}
    </nav>
  )
}
