import { t } from '../i18n.ts'

/** Shown as a number up to this; past it «99+». */
const SHOWN_MAX = 99

function shownUnread(unread: number): string {
  return unread > SHOWN_MAX ? `${SHOWN_MAX}+` : String(unread)
}

/**
 * The bell of IT staff in the top bar (issue 13): a link to /notifications saying how many are unread, in words
 * for a screen reader and as a number beside the icon (hidden at zero). Rendered on every page, and again by the
 * person's event stream (notification-live.tsx) whenever the number changes: app.js swaps it in.
 */
export function Bell(props: { unread: number }) {
  const label = t('Уведомления: непрочитанных {n}', { n: props.unread })
  return (
    <a class="bell" href="/notifications" title={label} data-bell>
      <svg viewBox="0 0 24 24" width="20" height="20" fill="currentColor" aria-hidden="true" focusable="false">
        <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" />
      </svg>
      <span class="visually-hidden">{label}</span>
      <span class="bell__count" aria-hidden="true" hidden={props.unread === 0}>
        {shownUnread(props.unread)}
      </span>
    </a>
  )
}
