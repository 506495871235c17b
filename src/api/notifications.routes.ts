import { Hono } from 'hono'
import { createFactory } from 'hono/factory'
import { z } from 'zod'
import { followTicket } from '#src/notifications/follow-ticket.ts'
import { listNotifications, MAX_NOTIFICATIONS } from '#src/notifications/list-notifications.ts'
import { readNotifications } from '#src/notifications/read-notifications.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { idParam, q, queryOf } from './validate.ts'

export const notificationListQuery = z
  .object({
    /** Only the unread ones. */
    unread: q.bool().optional(),
    /** `next` of an earlier answer: the older ones. */
    before: q.int().optional(),
    limit: q.int(1, MAX_NOTIFICATIONS).optional(),
  })
  .strict()

/** /notifications: the bell of IT staff — what concerns them, and «прочитано» (src/notifications/). */
export function notificationRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const query = queryOf(c, notificationListQuery)
    const list = await listNotifications(c.get('deps').db, c.get('actor'), {
      unreadOnly: query.unread,
      before: query.before,
      limit: query.limit,
    })
    return c.json({ items: list.items, unread: list.unread, next: list.next })
  })

  routes.post('/read-all', async (c) => {
    const unread = await readNotifications(c.get('deps').db, c.get('actor'), { all: true })
    return c.json({ unread })
  })

  routes.post('/:id/read', async (c) => {
    const unread = await readNotifications(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.json({ unread })
  })
  return routes
}

const { createHandlers } = createFactory<ApiEnv>()

/**
 * PUT and DELETE /tickets/:id/watch: follow a ticket, or stop. Mounted before the other ticket routes (api.ts),
 * each route with its own `authenticate`, so that the one that answers is the only one that authenticates.
 */
export function ticketWatchRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  const watch = (follow: boolean) =>
    createHandlers(authenticate, async (c) =>
      c.json(await followTicket(c.get('deps').db, c.get('actor'), { ticketId: idParam(c), follow })),
    )
  routes.put('/:id/watch', ...watch(true))
  routes.delete('/:id/watch', ...watch(false))
  return routes
}
