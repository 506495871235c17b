import type { SSEStreamingApi } from 'hono/streaming'
import type { Db } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'
import type { Logger } from '#src/logger.ts'
import { unreadCount } from '#src/notifications/notification-store.ts'
import { isStaff } from '#src/tickets/rules.ts'
import { hashToken, SESSION_IDLE_MINUTES } from '#src/users/sessions.ts'
import { inLanguage, type Language } from './i18n.ts'
import { MAX_LIVE_ROWS } from './live-list.routes.tsx'
import { ALL_TICKETS, liveFeed } from './live-updates.ts'
import { HEARTBEAT_MS } from './ticket-live.routes.tsx'
import { Bell } from './views/bell.tsx'

/**
 * The bell and the ticket list, live (issue 13), over the feed the ticket pages use (live-updates.ts): one
 * poller of `ticket_events` per process. Every notification is written with its event (notifications/fan-out.ts),
 * so when a poll brings events, one query asks which of the people listening got a notification from them —
 * one query per poll for everybody, not one per open page — and only their streams count again.
 */

interface BellSubscriber {
  /** Something new for this person: count again. */
  rang(): void
  closed(): void
}

class BellFeed {
  readonly #db: Db
  readonly #logger: Logger | undefined
  readonly #people = new Map<number, Set<BellSubscriber>>()
  #unsubscribe: (() => void) | undefined
  /** Checks run one after another, in the order the polls delivered them. */
  #checking: Promise<void> = Promise.resolve()

  constructor(db: Db, logger?: Logger) {
    this.#db = db
    this.#logger = logger
  }

  subscribe(userId: number, subscriber: BellSubscriber): () => void {
    let set = this.#people.get(userId)
    if (!set) {
      set = new Set()
      this.#people.set(userId, set)
    }
    set.add(subscriber)
    this.#unsubscribe ??= liveFeed(this.#db, this.#logger).subscribe(ALL_TICKETS, {
      changed: (changes) => {
        const events = changes.map((change) => change.eventId)
        this.#checking = this.#checking
          .then(() => this.#check(events))
          .catch((error: unknown) => this.#logger?.warn({ err: error }, 'live bell: check failed'))
      },
      closed: () => {
        const everyone = [...this.#people.values()].flatMap((s) => [...s])
        this.#people.clear()
        this.#unsubscribe = undefined
        for (const one of everyone) one.closed()
      },
    })
    return () => {
      const current = this.#people.get(userId)
      current?.delete(subscriber)
      if (current?.size === 0) this.#people.delete(userId)
      if (this.#people.size === 0) {
        this.#unsubscribe?.()
        this.#unsubscribe = undefined
      }
    }
  }

  async #check(events: readonly number[]): Promise<void> {
    const listening = [...this.#people.keys()]
    if (listening.length === 0 || events.length === 0) return
    const rows = await this.#db
      .selectFrom('web_notifications')
      .select('user_id')
      .distinct()
      .where('event_id', 'in', events)
      .where('user_id', 'in', listening)
      .execute()
    for (const { user_id } of rows) for (const one of [...(this.#people.get(user_id) ?? [])]) one.rang()
  }
}

const feeds = new WeakMap<Db, BellFeed>()

function bellFeed(db: Db, logger?: Logger): BellFeed {
  let feed = feeds.get(db)
  if (!feed) {
    feed = new BellFeed(db, logger)
    feeds.set(db, feed)
  }
  return feed
}

export interface PersonStream {
  db: Db
  logger: Logger | undefined
  userId: number
  language: Language
  sessionToken: string
  /** The ticket list is open: tell it which tickets changed. */
  list: boolean
  /** The last event the list knows of: the tickets changed since are told at once. */
  after: number | undefined
}

/**
 * Streams `bell` (the bell itself, rendered: at once, then whenever its number may have changed) and, for the
 * list, `tickets` (`{"ids": [...]}`: tickets that changed, for the page to fetch their rows) until the browser
 * goes away, the session ends, the person is no longer active staff, or the server stops. A number and ids only:
 * what the ids stand for is fetched, and journaled, by the page.
 */
export async function runPersonStream(stream: SSEStreamingApi, watch: PersonStream): Promise<void> {
  let finish = () => {}
  const finished = new Promise<void>((resolve) => {
    finish = resolve
  })
  stream.onAbort(finish)
  let writing: Promise<unknown> = Promise.resolve()
  const inTurn = (work: () => Promise<unknown>) => {
    writing = writing.then(work).catch(finish)
  }
  const allowed = async () => {
    if (await stillStaff(watch.db, watch.sessionToken)) return true
    finish()
    return false
  }
  let shown = -1
  const bell = async () => {
    const unread = await unreadCount(watch.db, watch.userId)
    if (unread === shown) return
    shown = unread
    await stream.writeSSE({ event: 'bell', data: inLanguage(watch.language, () => String(<Bell unread={unread} />)) })
  }
  // The SSE id is the newest event told, so that the page names it when it opens the stream again.
  let lastSent = watch.after ?? 0
  const tickets = async (events: ReadonlyArray<{ id: number; ticket_id: number }>) => {
    if (events.length === 0) return
    lastSent = Math.max(lastSent, ...events.map((e) => e.id))
    const ids = [...new Set(events.map((e) => e.ticket_id))]
    // No more in one event than GET /tickets/rows renders at once.
    for (let i = 0; i < ids.length; i += MAX_LIVE_ROWS) {
      const part = ids.slice(i, i + MAX_LIVE_ROWS)
      await stream.writeSSE({ event: 'tickets', id: String(lastSent), data: JSON.stringify({ ids: part }) })
    }
  }
  const feed = liveFeed(watch.db, watch.logger)
  const stops = [
    bellFeed(watch.db, watch.logger).subscribe(watch.userId, {
      rang: () =>
        inTurn(async () => {
          if (await allowed()) await bell()
        }),
      closed: finish,
    }),
  ]
  if (watch.list) {
    stops.push(
      feed.subscribe(ALL_TICKETS, {
        changed: (changes) =>
          inTurn(async () => {
            if (!(await allowed())) return
            await tickets(changes.map((change) => ({ id: change.eventId, ticket_id: change.ticketId })))
          }),
        closed: finish,
      }),
    )
  }
  const heartbeat = setInterval(() => {
    // The count is checked again too: a «прочитано» in another tab brings no event.
    inTurn(async () => {
      if (!(await allowed())) return
      await stream.write(': ping\n\n')
      await bell()
    })
  }, HEARTBEAT_MS)
  heartbeat.unref()
  try {
    await stream.write('retry: 3000\n\n')
    // Counted once the feed knows where it starts: whatever comes later rings.
    await feed.ready()
    inTurn(bell)
    const after = watch.after
    if (watch.list) {
      inTurn(async () => {
        if (after !== undefined) return tickets(await changedSince(watch.db, after))
        // A list opened afresh: told where it starts, so that it names it when it opens the stream again.
        lastSent = await lastEventId(watch.db)
        await stream.writeSSE({ event: 'tickets', id: String(lastSent), data: JSON.stringify({ ids: [] }) })
      })
    }
    await finished
  } finally {
    clearInterval(heartbeat)
    for (const stop of stops) stop()
  }
}

async function lastEventId(db: Db): Promise<number> {
  const row = await db
    .selectFrom('ticket_events')
    .select((eb) => eb.fn.max('id').as('last'))
    .executeTakeFirst()
  return Number(row?.last ?? 0)
}

/** The events after the list's last (the newest few hundred are plenty to say which rows changed). */
async function changedSince(db: Db, after: number) {
  return db
    .selectFrom('ticket_events')
    .select(['id', 'ticket_id'])
    .where('id', '>', after)
    .orderBy('id', 'desc')
    .limit(500)
    .execute()
}

/**
 * Whether the session behind a stream still stands and its person is still active IT staff: one query, as the
 * ticket pages' streams check theirs (ticket-live.routes.tsx). It does not touch the session: an open page is not
 * activity, the idle timeout must still end it.
 */
async function stillStaff(db: Db, token: string): Promise<boolean> {
  const at = now()
  const person = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select('users.role')
    .where('sessions.id', '=', hashToken(token))
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', at)
    .where('sessions.last_seen_at', '>', addMinutes(at, -SESSION_IDLE_MINUTES))
    .where('users.status', '=', 'active')
    .executeTakeFirst()
  return person !== undefined && isStaff(person)
}
