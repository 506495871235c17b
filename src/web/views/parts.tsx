import type { Child } from 'hono/jsx'
import type { Priority, TicketStatus } from '#src/db/schema.ts'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import { CSRF_FIELD } from '../csrf.ts'
import { dateTime, relative } from '../format.ts'

export function CsrfField(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />
}

/** Status: colour and its label, never colour alone. */
export function StatusBadge(props: { status: TicketStatus }) {
  return <span class={`badge status status--${props.status}`}>{statusLabels[props.status]}</span>
}

export function PriorityBadge(props: { priority: Priority }) {
  return <span class={`badge prio prio--${props.priority}`}>{priorityLabels[props.priority]}</span>
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
