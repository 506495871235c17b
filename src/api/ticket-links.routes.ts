import { Hono } from 'hono'
import { z } from 'zod'
import { linkTickets } from '#src/tickets/link-tickets.ts'
import { mergeTicket } from '#src/tickets/merge-ticket.ts'
import { linkRequests } from '#src/tickets/ticket-links-store.ts'
import { unlinkTickets } from '#src/tickets/unlink-tickets.ts'
import { unmergeTicket } from '#src/tickets/unmerge-ticket.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { dbId, idParam, jsonBody } from './validate.ts'

/** `POST /tickets/{id}/links`: what `other_id` becomes to the ticket — related, its parent, or its child. */
export const linkBody = z.object({ kind: z.enum(linkRequests), other_id: dbId() }).strict()

/** `POST /tickets/{id}/merge`: the ticket is a duplicate of `into_id` (the same requester's, open). */
export const mergeBody = z.object({ into_id: dbId() }).strict()

/**
 * /tickets/{id}/links, /merge, /unmerge (issue 13), mounted before the ticket routes; the ticket card
 * (`GET /tickets/{id}`) lists the links and the merged duplicates.
 */
export function ticketLinkApiRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  // Each route authenticates itself: mounted before the other ticket routes (api.ts), a `use` would run for them too.

  routes.post('/:id/links', authenticate, async (c) => {
    const ticketId = idParam(c)
    const body = await jsonBody(c, linkBody)
    const link = await linkTickets(c.get('deps').db, c.get('actor'), {
      ticketId,
      otherId: body.other_id,
      kind: body.kind,
    })
    return c.json(link, 201)
  })

  routes.delete('/:id/links/:linkId', authenticate, async (c) => {
    const ticketId = idParam(c)
    const linkId = idParam(c, 'linkId')
    await unlinkTickets(c.get('deps').db, c.get('actor'), { ticketId, linkId })
    return c.body(null, 204)
  })

  routes.post('/:id/merge', authenticate, async (c) => {
    const ticketId = idParam(c)
    const body = await jsonBody(c, mergeBody)
    return c.json(await mergeTicket(c.get('deps').db, c.get('actor'), { ticketId, intoId: body.into_id }))
  })

  routes.post('/:id/unmerge', authenticate, async (c) => {
    return c.json(await unmergeTicket(c.get('deps').db, c.get('actor'), { ticketId: idParam(c) }))
  })

  return routes
}
