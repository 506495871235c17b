import { Hono } from 'hono'
import { type SSEStreamingApi, streamSSE } from 'hono/streaming'
import { idParam } from '#src/api/validate.ts'
import type { Db } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { MAX_ID } from '#src/format/ids.ts'
import { journalingDenials } from '#src/tickets/ticket-access.ts'
import { findTicket } from '#src/tickets/ticket-store.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { hashToken, SESSION_IDLE_MINUTES } from '#src/users/sessions.ts'
import type { WebEnv } from './env.ts'
import { t } from './i18n.ts'
import { type LiveFeed, liveFeed, type TicketChange } from './live-updates.ts'

/** Pages of one person watching tickets at once (tabs, PCs); more is a runaway script. */
export const MAX_STREAMS_PER_USER = 8

/** A comment line this often keeps proxies from cutting an idle stream; the session is checked then too. */
export const HEARTBEAT_MS = 25_000

/** Timeline entries for IT's eyes only (as in view-ticket.ts): a requester's page is not told of them. */
const internalEventKinds: readonly string[] = ['note', 'deadline_breached', 'escalated', 'escalation_acknowledged']

/** Open streams per person, per database (tests run many databases in one process). */
const openStreamsByDb = new WeakMap<Db, Map<number, number>>()

function openStreamsOf(db: Db): Map<number, number> {
  let map = openStreamsByDb.get(db)
  if (!map) {
    map = new Map()
    openStreamsByDb.set(db, map)
  }
  return map
}

/**
 * GET /tickets/:id/events — a Server-Sent Events stream telling the ticket page that the ticket changed.
 * It carries event ids only, never content: the page then fetches its parts again (a journaled read).
 * Visible to whoever may open the page; 404 otherwise. The right is checked again before every report
 * and heartbeat: a stream outlives no revoked session, deactivation or demotion.
 */
export function ticketLiveRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.get('/:id/events', async (c) => {
    const { db, logger } = c.get('deps')
    const actor = c.get('actor')
    const userId = c.get('user').id
    const ticketId = idParam(c)
    const internal = await journalingDenials(db, actor, { action: 'ticket.watch', ticketId }, async () => {
      const ticket = await findTicket(db, ticketId)
      if (!ticket || !can(actor, 'ticket.view', ticket)) throw new DomainError('not_found', 'Заявка не найдена')
      return can(actor, 'ticket.view_internal', ticket)
    })
    const openStreams = openStreamsOf(db)
    if ((openStreams.get(userId) ?? 0) >= MAX_STREAMS_PER_USER) {
      return c.text(t('Открыто слишком много страниц заявок: закройте лишние'), 429)
    }
    const after = Math.max(eventIdOf(c.req.query('after')), eventIdOf(c.req.header('last-event-id')))
    const watch: Watch = {
      db,
      feed: liveFeed(db, logger),
      ticketId,
      internal,
      after,
      sessionToken: c.get('sessionToken'),
    }
    openStreams.set(userId, (openStreams.get(userId) ?? 0) + 1)
    c.header('x-accel-buffering', 'no')
    return streamSSE(c, async (stream) => {
      try {
        await runWatch(stream, watch)
      } finally {
        const left = (openStreams.get(userId) ?? 1) - 1
        if (left > 0) openStreams.set(userId, left)
        else openStreams.delete(userId)
      }
    })
  })
  return routes
}

interface Watch {
  db: Db
  feed: LiveFeed
  ticketId: number
  /** Whether the person sees internal notes (and so is told of them); follows a change of role. */
  internal: boolean
  /** The last event the page shows. */
  after: number
  sessionToken: string
}

/** Streams `change` events until the browser goes away, the session ends or the server stops. */
async function runWatch(stream: SSEStreamingApi, watch: Watch): Promise<void> {
  let finish = () => {}
  const finished = new Promise<void>((resolve) => {
    finish = resolve
  })
  stream.onAbort(finish)
  // The SSE id is the newest event reported, so a reconnecting browser names it (Last-Event-ID). An event
  // that commits after a newer one (PostgreSQL) is reported as `late`: the page refreshes for it anyway.
  let lastSent = watch.after
  const reported = new Set<number>()
  // Checks and writes run one after another, in the order the feed delivered them.
  let writing: Promise<unknown> = Promise.resolve()
  const inTurn = (work: () => Promise<unknown>) => {
    writing = writing.then(work).catch(finish)
  }
  const report = async (ids: readonly number[]) => {
    const fresh = ids.filter((id) => id > watch.after && !reported.has(id))
    if (fresh.length === 0) return
    for (const id of fresh) reported.add(id)
    const newest = Math.max(...fresh)
    const late = newest <= lastSent
    lastSent = Math.max(lastSent, newest)
    await stream.writeSSE({ event: 'change', id: String(lastSent), data: JSON.stringify({ event: newest, late }) })
  }
  /** Whether the stream may go on; ends it otherwise, and follows a change of role meanwhile. */
  const stillAllowed = async (): Promise<boolean> => {
    const right = await currentRight(watch.db, watch.sessionToken, watch.ticketId)
    if (right === undefined) {
      finish()
      return false
    }
    watch.internal = right.internal
    return true
  }
  const visible = (change: TicketChange) => watch.internal || !internalEventKinds.includes(change.kind)
  const unsubscribe = watch.feed.subscribe(watch.ticketId, {
    changed: (changes) =>
      inTurn(async () => {
        if (await stillAllowed()) await report(changes.filter(visible).map((change) => change.eventId))
      }),
    closed: finish,
  })
  const heartbeat = setInterval(() => {
    inTurn(async () => {
      if (await stillAllowed()) await stream.write(': ping\n\n')
    })
  }, HEARTBEAT_MS)
  heartbeat.unref()
  try {
    // Reconnect after 3 s if the connection drops; the browser then names the last event it got.
    await stream.write('retry: 3000\n\n')
    // What changed between the page's rendering and this subscription is sent at once.
    await watch.feed.ready()
    const missed = await eventsSincePage(watch)
    inTurn(() => report(missed))
    await finished
  } finally {
    clearInterval(heartbeat)
    unsubscribe()
  }
}

/** Events the page does not show yet (the newest hundred is plenty to say «it changed»). */
async function eventsSincePage(watch: Watch): Promise<number[]> {
  let query = watch.db
    .selectFrom('ticket_events')
    .select('id')
    .where('ticket_id', '=', watch.ticketId)
    .where('id', '>', watch.after)
  if (!watch.internal) query = query.where('kind', 'not in', internalEventKinds)
  const rows = await query.orderBy('id', 'desc').limit(100).execute()
  return rows.map((row) => row.id)
}

/**
 * What the person behind a stream may still see of the ticket, as of now: undefined once the session is
 * revoked, expired or idle, the person no longer active, or their role (or the ticket) no longer lets
 * them see it. Unlike resolveSession it does not touch the session: an open page is not activity, and
 * the idle timeout (COMPLIANCE.md §5) must still end it.
 */
async function currentRight(db: Db, token: string, ticketId: number): Promise<{ internal: boolean } | undefined> {
  const at = now()
  const user = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.role', 'users.status'])
    .where('sessions.id', '=', hashToken(token))
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', at)
    .where('sessions.last_seen_at', '>', addMinutes(at, -SESSION_IDLE_MINUTES))
    .where('users.status', '=', 'active')
    .executeTakeFirst()
  if (!user) return undefined
  const actor = actorFromUser(user, 'web')
  const ticket = await findTicket(db, ticketId)
  if (!ticket || !can(actor, 'ticket.view', ticket)) return undefined
  return { internal: can(actor, 'ticket.view_internal', ticket) }
}

function eventIdOf(value: string | undefined): number {
  if (!value || !/^[0-9]{1,10}$/.test(value)) return 0
  const n = Number(value)
  return n <= MAX_ID ? n : 0
}
