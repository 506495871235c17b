import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { followTicket } from '#src/notifications/follow-ticket.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { requireSession } from './session.ts'

/**
 * POST /tickets/:id/watch (`follow=1` or `0`): «Следить» / «Не следить» from the ticket page, back to it (PRG).
 * Mounted before the ticket routes, with its own session check. A ticket one may not see, or following by
 * someone who is not staff, is the 404 page (the try journaled by the use case).
 */
export function ticketWatchRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.post('/:id/watch', requireSession, async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    await followTicket(c.get('deps').db, c.get('actor'), { ticketId, follow: form.text('follow') !== '0' })
    return c.redirect(`/tickets/${ticketId}`, 303)
  })
  return routes
}
