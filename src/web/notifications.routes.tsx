import type { Context } from 'hono'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { idParam } from '#src/api/validate.ts'
import { now } from '#src/db/time.ts'
import { parseId } from '#src/format/ids.ts'
import { listNotifications } from '#src/notifications/list-notifications.ts'
import { markTicketNotificationsRead } from '#src/notifications/notification-store.ts'
import { readNotifications } from '#src/notifications/read-notifications.ts'
import { requireStaff } from '#src/notifications/staff-only.ts'
import { isStaff } from '#src/tickets/rules.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { t } from './i18n.ts'
import { navCounts } from './nav-counts.ts'
import { runPersonStream } from './notification-live.tsx'
import { requireSession } from './session.ts'
import { NotificationsPage } from './views/notifications.tsx'

/** Streams of one person at once (tabs, PCs); more is a runaway script. */
const MAX_PERSON_STREAMS = 8

/** Open streams per person, per database handle (tests run many databases in one process). */
const openStreams = new WeakMap<object, Map<number, number>>()

/**
 * /notifications (issue 13): staff's notifications, «прочитано» one by one or all at once, and the person's
 * event stream (the bell's number, and for the ticket list the tickets that changed). Anyone else gets the
 * 404 page, the try journaled (notifications/staff-only.ts).
 */
export function notificationRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)

  routes.get('/', async (c) => {
    const { db, config } = c.get('deps')
    const unreadOnly = c.req.query('unread') === '1'
    // The bell's number, read by the session middleware for the page, is the list's too.
    const list = await listNotifications(db, c.get('actor'), {
      unreadOnly,
      before: parseId(c.req.query('before')),
      knownUnread: navCounts()?.unreadNotifications,
    })
    return c.html(
      <NotificationsPage
        user={c.get('user')}
        csrf={c.get('csrf')}
        items={list.items}
        unread={list.unread}
        unreadOnly={unreadOnly}
        next={list.next}
        now={now()}
        tz={config.tzDisplay}
      />,
    )
  })

  routes.post('/read-all', async (c) => {
    await readNotifications(c.get('deps').db, c.get('actor'), { all: true })
    return c.redirect('/notifications', 303)
  })

  routes.post('/:id/read', async (c) => {
    const form = await readForm(c)
    await readNotifications(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.redirect(form.text('unread') === '1' ? '/notifications?unread=1' : '/notifications', 303)
  })

  routes.get('/events', async (c) => {
    const { db, logger } = c.get('deps')
    const userId = await requireStaff(db, c.get('actor'), 'notification.watch')
    let streams = openStreams.get(db)
    if (!streams) {
      streams = new Map()
      openStreams.set(db, streams)
    }
    const open = streams
    if ((open.get(userId) ?? 0) >= MAX_PERSON_STREAMS) {
      return c.text(t('Открыто слишком много страниц: закройте лишние'), 429)
    }
    // The list's last event: from the page, or from the browser reconnecting on its own (Last-Event-ID).
    const given = [c.req.query('after'), c.req.header('last-event-id')].filter((v) => v && /^[0-9]{1,10}$/.test(v))
    const after = given.length > 0 ? Math.max(...given.map(Number)) : undefined
    open.set(userId, (open.get(userId) ?? 0) + 1)
    c.header('x-accel-buffering', 'no')
    return streamSSE(c, async (stream) => {
      try {
        await runPersonStream(stream, {
          db,
          logger,
          userId,
          language: c.get('user').language,
          sessionToken: c.get('sessionToken'),
          list: c.req.query('list') === '1',
          after,
        })
      } finally {
        const left = (open.get(userId) ?? 1) - 1
        if (left > 0) open.set(userId, left)
        else open.delete(userId)
      }
    })
  })
  return routes
}

/**
 * The ticket page was opened (GET /tickets/:id): what the person's notifications said about the ticket is read
 * now, and the page's bell says so. Staff only; anyone else has no notifications.
 */
export async function readTicketNotifications(c: Context<WebEnv>, ticketId: number): Promise<void> {
  const counts = navCounts()
  // Nothing unread (the page's bell says so): nothing to mark.
  if (!isStaff(c.get('actor')) || counts?.unreadNotifications === 0) return
  const read = await markTicketNotificationsRead(c.get('deps').db, c.get('user').id, ticketId)
  if (read > 0 && counts?.unreadNotifications !== undefined) {
    counts.unreadNotifications = Math.max(0, counts.unreadNotifications - read)
  }
}
