import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import { readDbOf } from '#src/api/env.ts'
import { clientIp } from '#src/api/request.ts'
import { audit } from '#src/audit/journal.ts'
import { now } from '#src/db/time.ts'
import { parseId } from '#src/format/ids.ts'
import { requireStaff } from '#src/notifications/staff-only.ts'
import { listTicketPage, type TicketListItem, unindexedSorts } from '#src/tickets/ticket-store.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { resolveSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { enrolmentRequired } from '#src/users/totp.ts'
import type { WebEnv } from './env.ts'
import { inLanguage } from './i18n.ts'
import { parseListQuery, toFilter } from './ticket-query.ts'
import { Row } from './views/ticket-list.tsx'

/**
 * The most rows one request renders again, and so the most tickets one `tickets` event of the person's stream
 * names (notification-live.tsx): a bulk change of hundreds comes in several.
 */
export const MAX_LIVE_ROWS = 100

/**
 * The session check of a request the page makes by itself: as `requireSession` for a GET, but the session is
 * not touched, so that a list left open on a busy day still ends at the idle timeout (COMPLIANCE.md §5). Nothing
 * here is a form: no CSRF token.
 */
const peekedSession = createMiddleware<WebEnv>(async (c, next) => {
  const { db, config } = c.get('deps')
  const token = getCookie(c, SESSION_COOKIE)
  const person = token ? await resolveSession(db, token, { touch: false }) : undefined
  if (!token || !person || person.consentDue || enrolmentRequired(person.user, config.require2fa)) {
    return c.redirect('/login?next=%2Ftickets', 303)
  }
  c.set('user', person.user)
  c.set('actor', actorFromUser(person.user, 'web', clientIp(c)))
  c.set('sessionToken', token)
  await inLanguage(person.user.language, next)
  c.res.headers.set('cache-control', 'no-store')
})

/**
 * GET /tickets/rows?ids=…&<the list's filters>: the rows of these tickets as the list page at that address
 * shows them now — the page read again with its filters, sort and cursor, and only the asked-for rows kept —
 * and the page's order (`data-order`), for app.js to replace the changed rows and put new ones in their place.
 * An asked-for ticket the page no longer holds is simply absent. Staff only (the live list is theirs);
 * mounted before the ticket routes, with its own session check, which leaves the session's idle time alone.
 */
export function liveListRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.get('/rows', peekedSession, async (c) => {
    const deps = c.get('deps')
    const actor = c.get('actor')
    await requireStaff(deps.db, actor, 'ticket.list', 'ticket')
    const params = new URL(c.req.url).searchParams
    const ids = new Set(
      (params.get('ids') ?? '')
        .split(',')
        .slice(0, MAX_LIVE_ROWS)
        .map((id) => parseId(id))
        .filter((id) => id !== undefined),
    )
    params.delete('ids')
    if (ids.size === 0) return c.html(<LiveRows items={[]} order={[]} q={undefined} tz={deps.config.tzDisplay} />)
    const query = parseListQuery(params, { staff: true })
    // As the list itself: a search or a sort by names through the read handle.
    const heavy = query.q !== undefined || (query.sort !== undefined && unindexedSorts.includes(query.sort))
    // The page alone, without the count of all that match: the rows and their order are all this needs.
    const page = await listTicketPage(heavy ? readDbOf(deps) : deps.db, actor, toFilter(query, deps.config.tzDisplay))
    const rows = page.items.filter((item) => ids.has(item.id))
    // Requesters' names again: a read of personal data, journaled as the list's is (without the list's total).
    if (rows.length > 0) {
      await audit(deps.db, actor, {
        action: 'ticket.list',
        objectType: 'ticket',
        pdn: true,
        description: `Просмотр списка заявок: ${rows.length} (обновление открытого списка)`,
        details: { ids: rows.map((t) => t.id), live: true },
      })
    }
    return c.html(
      <LiveRows items={rows} order={page.items.map((item) => item.id)} q={query.q} tz={deps.config.tzDisplay} />,
    )
  })
  return routes
}

function LiveRows(props: { items: TicketListItem[]; order: number[]; q: string | undefined; tz: string }) {
  const at = now()
  return (
    <table>
      <tbody data-order={props.order.join(',')}>
        {props.items.map((ticket) => (
          <Row ticket={ticket} now={at} tz={props.tz} pick={true} q={props.q} />
        ))}
      </tbody>
    </table>
  )
}
