import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'

/**
 * Live updates of ticket pages (ARCHITECTURE.md: Server-Sent Events). One poller per database handle —
 * in production one per process — reads the new rows of `ticket_events` by primary key and hands each
 * ticket's changes to the pages watching it. Every change of a ticket (web, API, bot, worker, another
 * server process) writes an event row in its own transaction, so reading that table is enough to see
 * them all, whichever process made them. The poller runs only while somebody watches.
 */

export interface TicketChange {
  eventId: number
  ticketId: number
  kind: string
}

export interface LiveSubscriber {
  /** New events of the watched ticket, oldest first (one call per poll). */
  changed(changes: readonly TicketChange[]): void
  /** The feed stopped (server shutdown): the stream should end. */
  closed(): void
}

/** Subscribes to every ticket's changes (the bell and the live ticket list: notification-live.ts). */
export const ALL_TICKETS = 0

/** Fast enough for «within a second», slow enough to cost nothing (one indexed range read). */
export const POLL_INTERVAL_MS = 400

/**
 * On PostgreSQL ids come from a sequence and commit out of order: a transaction holding id 10 may commit
 * after the one holding id 11 was seen. A skipped id is asked for again for this long; after that it
 * belongs to a transaction that rolled back (sequences never give an id back).
 */
const GAP_PATIENCE_MS = 10_000
/** At most this many skipped ids are remembered (a burst of rollbacks must not grow the query). */
const MAX_GAPS = 200

/** The most rows one poll reads; the rest come at the next poll. */
const BATCH = 500

export class LiveFeed {
  readonly #db: Db
  readonly #logger: Logger | undefined
  readonly #subscribers = new Map<number, Set<LiveSubscriber>>()
  /** Each start of polling is a generation: a poll of an earlier one never schedules another. */
  #generation = 0
  #running = false
  #timer: NodeJS.Timeout | undefined
  #starting: Promise<void> = Promise.resolve()
  #polling: Promise<void> | undefined
  /** The highest event id read; undefined until the feed (re)starts. */
  #lastSeen: number | undefined
  /** Ids skipped over (not yet committed, or rolled back), with when they were first missed. */
  readonly #gaps = new Map<number, number>()
  #stopped = false

  constructor(db: Db, logger?: Logger) {
    this.#db = db
    this.#logger = logger
  }

  /** Watches one ticket (or ALL_TICKETS); returns the function that stops watching. */
  subscribe(ticketId: number, subscriber: LiveSubscriber): () => void {
    if (this.#stopped) {
      subscriber.closed()
      return () => {}
    }
    let set = this.#subscribers.get(ticketId)
    if (!set) {
      set = new Set()
      this.#subscribers.set(ticketId, set)
    }
    set.add(subscriber)
    this.#start()
    return () => {
      const current = this.#subscribers.get(ticketId)
      current?.delete(subscriber)
      if (current?.size === 0) this.#subscribers.delete(ticketId)
      if (this.#subscribers.size === 0) this.#pause()
    }
  }

  /**
   * Resolves once the feed knows the last event id: every event after that point reaches the subscribers,
   * so a stream checks for what happened before it only after this.
   */
  ready(): Promise<void> {
    return this.#starting
  }

  /** How many pages watch at the moment (all tickets). */
  get watchers(): number {
    let n = 0
    for (const set of this.#subscribers.values()) n += set.size
    return n
  }

  /** Ends every stream and refuses new ones: the server is stopping. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#pause()
    await this.#polling
    const all = [...this.#subscribers.values()].flatMap((set) => [...set])
    this.#subscribers.clear()
    for (const subscriber of all) subscriber.closed()
  }

  #start(): void {
    if (this.#running || this.#stopped) return
    this.#running = true
    const generation = ++this.#generation
    this.#starting = this.#readLastId()
      .catch((error: unknown) => this.#logger?.warn({ err: error }, 'live updates: start failed'))
      .finally(() => this.#schedule(generation))
  }

  #pause(): void {
    this.#running = false
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    // Nobody watches: the next watcher starts from the events of that moment, not from old ones.
    this.#lastSeen = undefined
    this.#gaps.clear()
  }

  #schedule(generation: number): void {
    if (!this.#running || generation !== this.#generation) return
    this.#timer = setTimeout(() => this.#tick(generation), POLL_INTERVAL_MS)
    // A page left open must not keep a stopping process alive.
    this.#timer.unref()
  }

  #tick(generation: number): void {
    this.#timer = undefined
    this.#polling = this.#poll()
      .catch((error: unknown) => this.#logger?.warn({ err: error }, 'live updates: poll failed'))
      .finally(() => {
        this.#polling = undefined
        this.#schedule(generation)
      })
  }

  async #readLastId(): Promise<void> {
    const row = await this.#db
      .selectFrom('ticket_events')
      .select((eb) => eb.fn.max('id').as('last'))
      .executeTakeFirst()
    this.#lastSeen = Number(row?.last ?? 0)
  }

  async #poll(): Promise<void> {
    const lastSeen = this.#lastSeen
    if (lastSeen === undefined) return this.#readLastId()
    const gaps = [...this.#gaps.keys()]
    const rows = await this.#db
      .selectFrom('ticket_events')
      .select(['id', 'ticket_id', 'kind'])
      .where((eb) =>
        gaps.length > 0 ? eb.or([eb('id', '>', lastSeen), eb('id', 'in', gaps)]) : eb('id', '>', lastSeen),
      )
      .orderBy('id')
      .limit(BATCH)
      .execute()
    // The feed paused meanwhile: whatever was read belongs to nobody.
    if (this.#lastSeen !== lastSeen) return
    this.#noteGaps(
      lastSeen,
      rows.map((r) => r.id),
    )
    this.#fanOut(rows.map((r) => ({ eventId: r.id, ticketId: r.ticket_id, kind: r.kind })))
  }

  /** Moves the high-water mark and remembers the ids it passed without seeing them. */
  #noteGaps(lastSeen: number, ids: readonly number[]): void {
    const at = Date.now()
    let previous = lastSeen
    for (const id of ids) {
      if (this.#gaps.delete(id)) continue
      for (let missing = previous + 1; missing < id && this.#gaps.size < MAX_GAPS; missing++)
        this.#gaps.set(missing, at)
      previous = Math.max(previous, id)
    }
    this.#lastSeen = previous
    for (const [id, since] of this.#gaps) if (at - since > GAP_PATIENCE_MS) this.#gaps.delete(id)
  }

  #fanOut(changes: readonly TicketChange[]): void {
    const everything = this.#subscribers.get(ALL_TICKETS)
    if (everything && changes.length > 0) for (const subscriber of [...everything]) subscriber.changed(changes)
    const byTicket = new Map<number, TicketChange[]>()
    for (const change of changes) {
      if (!this.#subscribers.has(change.ticketId)) continue
      const list = byTicket.get(change.ticketId) ?? []
      list.push(change)
      byTicket.set(change.ticketId, list)
    }
    for (const [ticketId, list] of byTicket) {
      for (const subscriber of [...(this.#subscribers.get(ticketId) ?? [])]) subscriber.changed(list)
    }
  }
}

const feeds = new WeakMap<Db, LiveFeed>()

/** The feed of this database handle (created on first use). */
export function liveFeed(db: Db, logger?: Logger): LiveFeed {
  let feed = feeds.get(db)
  if (!feed) {
    feed = new LiveFeed(db, logger)
    feeds.set(db, feed)
  }
  return feed
}

/** Stops the feed of this database handle, if any: its streams end, so the HTTP server can close. */
export async function stopLiveUpdates(db: Db): Promise<void> {
  await feeds.get(db)?.stop()
}
