import { performance } from 'node:perf_hooks'
import { dialectOf } from '#src/db/database.ts'
import type { Db, OutboxRow, Tx } from '#src/db/schema.ts'
import { now, nowDate } from '#src/db/time.ts'
import type { Logger } from '#src/logger.ts'
import type { NoticeChannel, SendResult } from './channel.ts'
import { chatIdOf, messengerOf } from './chat-key.ts'

/**
 * Delivers the outbox (ARCHITECTURE.md, data-flow rules). A row's life:
 * pending → sending (claimed; `next_attempt_at` then holds the claim's deadline) → sent | pending
 * again (retry) | failed. A sender that dies between send and mark leaves the row `sending`; after
 * the claim deadline it goes back to pending and is sent again (at-least-once: a duplicate is the
 * price of never losing a notice).
 *
 * `attempts` is counted at claim and fences the marks: only the claimer of that attempt may settle it.
 */

/** How long a claim holds before a row stuck in `sending` is taken back. */
export const OUTBOX_CLAIM_MS = 5 * 60_000
const BASE_BACKOFF_MS = 15_000
const MAX_BACKOFF_MS = 60 * 60_000
/** setTimeout may fire a little early and clocks are read twice: pace with a hair of margin. */
const PACING_MARGIN_MS = 1

export interface DrainOptions {
  /** Rows claimed in one call. */
  limit?: number
  /** At least this long between two sends to the same recipient (Telegram: 1 message/s per chat). */
  perChatIntervalMs?: number
  /** At most this many sends in any second, over all recipients (Telegram: about 30/s per bot). */
  globalPerSecond?: number
  /** At most this many rows of one recipient in one call, so one busy chat cannot hold up the rest. */
  perRecipientPerCall?: number
  /** Give up after this many attempts … */
  maxAttempts?: number
  /** … or this long after the notice was queued. */
  maxAgeMs?: number
  /** Sends in flight at once (each to a different recipient). */
  concurrency?: number
  /** A send that has not answered by then counts as failed (it may still have arrived). */
  sendTimeoutMs?: number
  /** The first retry of a failed send waits this long; each next one twice as long (at most an hour). */
  retryBaseMs?: number
  /** Pacing state carried from one call to the next; the worker keeps one for its lifetime. */
  pacing?: SendPacing
  logger?: Logger
}

export interface DrainResult {
  claimed: number
  sent: number
  retried: number
  failed: number
  /** Claimed but put back unsent because the channel asked to wait. */
  deferred: number
}

/**
 * What one sender remembers between calls: when the last sends happened (monotonic ms), per
 * recipient and overall, and which channels asked to wait until when (epoch ms of the clock).
 */
export interface SendPacing {
  lastByRecipient: Map<string, number>
  recent: number[]
  pausedUntil: Map<string, number>
}

export function createSendPacing(): SendPacing {
  return { lastByRecipient: new Map(), recent: [], pausedUntil: new Map() }
}

/** Delay before the retry that follows the given (1-based) attempt. */
export function noticeBackoffMs(attempt: number, baseMs = BASE_BACKOFF_MS): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1))
}

interface Settings {
  limit: number
  perChatIntervalMs: number
  globalPerSecond: number
  perRecipientPerCall: number
  maxAttempts: number
  maxAgeMs: number
  concurrency: number
  sendTimeoutMs: number
  retryBaseMs: number
}

/**
 * Sends due notices through their channels, within the rate limits, and records each outcome.
 * Rows whose channel is not among `channels` are left alone. Safe to run from several workers at once.
 */
export async function drainOutbox(
  db: Db,
  channels: readonly NoticeChannel[],
  options: DrainOptions = {},
): Promise<DrainResult> {
  const settings: Settings = {
    limit: options.limit ?? 25,
    perChatIntervalMs: options.perChatIntervalMs ?? 1000,
    globalPerSecond: options.globalPerSecond ?? 25,
    perRecipientPerCall: options.perRecipientPerCall ?? 3,
    maxAttempts: options.maxAttempts ?? 12,
    maxAgeMs: options.maxAgeMs ?? 24 * 60 * 60_000,
    concurrency: options.concurrency ?? 4,
    sendTimeoutMs: options.sendTimeoutMs ?? 30_000,
    retryBaseMs: options.retryBaseMs ?? BASE_BACKOFF_MS,
  }
  const pacing = options.pacing ?? createSendPacing()
  const log = options.logger
  const result: DrainResult = { claimed: 0, sent: 0, retried: 0, failed: 0, deferred: 0 }
  await recoverStuckRows(db, settings)
  // A channel that asked to wait gets nothing, not even notices queued since it asked.
  const open = channels.filter((c) => (pacing.pausedUntil.get(c.name) ?? 0) <= nowDate().getTime())
  const byName = new Map(open.map((c) => [c.name, c]))
  if (byName.size === 0) return result
  const rows = await claimDueRows(db, [...byName.keys()], settings)
  result.claimed = rows.length
  if (rows.length === 0) return result

  const queue = [...rows]
  const inFlight = new Set<Promise<void>>()
  const busy = new Set<string>()

  const sendOne = async (row: OutboxRow, channel: NoticeChannel): Promise<void> => {
    const outcome = await attempt(channel, row, settings.sendTimeoutMs)
    let unsent: OutboxRow[] = []
    const waitUntil = !outcome.ok && outcome.retryAfterMs !== undefined ? afterMs(outcome.retryAfterMs) : undefined
    if (waitUntil !== undefined) {
      const until = Math.max(pacing.pausedUntil.get(row.channel) ?? 0, Date.parse(waitUntil))
      pacing.pausedUntil.set(row.channel, until)
      unsent = queue.filter((r) => r.channel === row.channel)
      for (const r of unsent) queue.splice(queue.indexOf(r), 1)
      result.deferred += unsent.length
    }
    try {
      const settled = await settle(db, row, outcome, settings)
      result[settled]++
      if (!outcome.ok) {
        log?.warn(
          { outboxId: row.id, kind: row.kind, attempts: row.attempts, outcome: settled, error: outcome.error },
          'notice not delivered',
        )
      }
      if (waitUntil !== undefined) await pauseChannel(db, row.channel, waitUntil, unsent)
    } catch (error) {
      // The database is away: the row stays `sending` and is taken back after its claim expires.
      log?.error({ err: error, outboxId: row.id }, 'could not record a delivery outcome')
    }
  }

  while (queue.length > 0 || inFlight.size > 0) {
    const t = performance.now()
    let wakeAt = Number.POSITIVE_INFINITY
    let picked: OutboxRow | undefined
    if (inFlight.size < settings.concurrency) {
      const globalReady = globalReadyAt(pacing, settings, t)
      for (const row of queue) {
        const key = recipientKey(row)
        if (busy.has(key)) continue
        const last = pacing.lastByRecipient.get(key)
        const ready = Math.max(
          globalReady,
          last === undefined ? t : last + settings.perChatIntervalMs + PACING_MARGIN_MS,
        )
        if (ready <= t) {
          picked = row
          break
        }
        wakeAt = Math.min(wakeAt, ready)
      }
    }
    if (picked) {
      const row = picked
      queue.splice(queue.indexOf(row), 1)
      const channel = byName.get(row.channel)
      if (!channel) continue
      const key = recipientKey(row)
      const started = performance.now()
      pacing.lastByRecipient.set(key, started)
      pacing.recent.push(started)
      busy.add(key)
      const running: Promise<void> = sendOne(row, channel).finally(() => {
        busy.delete(key)
        inFlight.delete(running)
      })
      inFlight.add(running)
      continue
    }
    // Nothing to wait for (cannot happen while the queue holds sendable rows): leave the rest to recovery.
    if (inFlight.size === 0 && wakeAt === Number.POSITIVE_INFINITY) break
    await waitForAny(inFlight, wakeAt === Number.POSITIVE_INFINITY ? undefined : Math.max(1, wakeAt - t))
  }
  prunePacing(pacing, settings, performance.now())
  return result
}

function recipientKey(row: OutboxRow): string {
  return `${row.channel}:${row.recipient}`
}

function afterMs(ms: number): string {
  return new Date(nowDate().getTime() + Math.max(0, ms)).toISOString()
}

function globalReadyAt(pacing: SendPacing, settings: Settings, t: number): number {
  while (pacing.recent.length > 0 && (pacing.recent[0] ?? t) + 1000 + PACING_MARGIN_MS <= t) pacing.recent.shift()
  if (pacing.recent.length < settings.globalPerSecond) return t
  const oldest = pacing.recent[pacing.recent.length - settings.globalPerSecond] ?? t
  return oldest + 1000 + PACING_MARGIN_MS
}

function prunePacing(pacing: SendPacing, settings: Settings, t: number): void {
  for (const [key, last] of pacing.lastByRecipient) {
    if (last + settings.perChatIntervalMs + PACING_MARGIN_MS <= t) pacing.lastByRecipient.delete(key)
  }
}

async function waitForAny(inFlight: Set<Promise<void>>, ms: number | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const sleep = ms === undefined ? undefined : new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))
  try {
    await Promise.race([...inFlight, ...(sleep ? [sleep] : [])])
  } finally {
    clearTimeout(timer)
  }
}

/** One send, with a deadline; a throwing channel counts as a plain failure. */
async function attempt(channel: NoticeChannel, row: OutboxRow, timeoutMs: number): Promise<SendResult> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<SendResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs)
  })
  try {
    return await Promise.race([channel.send(row), timeout])
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  } finally {
    clearTimeout(timer)
  }
}

/** Rows left `sending` past their claim go back to pending — or fail, if they are out of chances. */
async function recoverStuckRows(db: Db, settings: Settings): Promise<void> {
  const at = now()
  const stuck = await db
    .selectFrom('outbox')
    .select(['id', 'attempts', 'created_at', 'message_id'])
    .where('status', '=', 'sending')
    .where('next_attempt_at', '<=', at)
    .execute()
  if (stuck.length === 0) return
  const givingUp = stuck.filter((r) => outOfChances(r, settings))
  const retrying = stuck.filter((r) => !outOfChances(r, settings))
  await db.transaction().execute(async (tx) => {
    if (retrying.length > 0) {
      await tx
        .updateTable('outbox')
        .set({ status: 'pending', next_attempt_at: at, last_error: 'claim expired while sending' })
        .where(
          'id',
          'in',
          retrying.map((r) => r.id),
        )
        .where('status', '=', 'sending')
        .where('next_attempt_at', '<=', at)
        .execute()
    }
    if (givingUp.length > 0) {
      const failed = await tx
        .updateTable('outbox')
        .set({ status: 'failed', last_error: 'claim expired while sending; out of attempts' })
        .where(
          'id',
          'in',
          givingUp.map((r) => r.id),
        )
        .where('status', '=', 'sending')
        .where('next_attempt_at', '<=', at)
        .returning('message_id')
        .execute()
      await markMessages(tx, failed, 'failed')
    }
  })
}

function outOfChances(row: Pick<OutboxRow, 'attempts' | 'created_at'>, settings: Settings): boolean {
  return row.attempts >= settings.maxAttempts || tooOld(row, settings)
}

function tooOld(row: Pick<OutboxRow, 'created_at'>, settings: Settings): boolean {
  return Date.parse(row.created_at) + settings.maxAgeMs <= nowDate().getTime()
}

/**
 * Claims due rows, oldest first, at most `perRecipientPerCall` per recipient. PostgreSQL skips rows
 * another drainer has locked; SQLite holds its write lock for the whole transaction.
 */
async function claimDueRows(db: Db, channelNames: string[], settings: Settings): Promise<OutboxRow[]> {
  const at = now()
  const claimUntil = new Date(nowDate().getTime() + OUTBOX_CLAIM_MS).toISOString()
  const rows = await db.transaction().execute(async (tx) => {
    let due = tx
      .selectFrom('outbox')
      .select(['id', 'channel', 'recipient'])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', at)
      .where('channel', 'in', channelNames)
      .orderBy('id')
      .limit(settings.limit * 4)
    if (dialectOf(tx) === 'postgres') due = due.forUpdate().skipLocked()
    const candidates = await due.execute()
    const perRecipient = new Map<string, number>()
    const chosen: number[] = []
    for (const c of candidates) {
      if (chosen.length >= settings.limit) break
      const key = `${c.channel}:${c.recipient}`
      const count = perRecipient.get(key) ?? 0
      if (count >= settings.perRecipientPerCall) continue
      perRecipient.set(key, count + 1)
      chosen.push(c.id)
    }
    if (chosen.length === 0) return []
    return tx
      .updateTable('outbox')
      .set((eb) => ({ status: 'sending', next_attempt_at: claimUntil, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', chosen)
      .where('status', '=', 'pending')
      .returningAll()
      .execute()
  })
  return rows.sort((a, b) => a.id - b.id)
}

type Settled = 'sent' | 'retried' | 'failed'

/** Records the outcome of one attempt, fenced by the attempt number the row was claimed with. */
async function settle(db: Db, row: OutboxRow, outcome: SendResult, settings: Settings): Promise<Settled> {
  return db.transaction().execute(async (tx) => {
    const mine = tx
      .updateTable('outbox')
      .where('id', '=', row.id)
      .where('status', '=', 'sending')
      .where('attempts', '=', row.attempts)
    if (outcome.ok) {
      const done = await mine.set({ status: 'sent', sent_at: now(), last_error: null }).executeTakeFirst()
      if (done.numUpdatedRows > 0n) await markMessages(tx, [row], 'sent')
      return 'sent'
    }
    const error = outcome.error.slice(0, 1000)
    if (outcome.permanent) {
      const done = await mine.set({ status: 'failed', last_error: error }).executeTakeFirst()
      if (done.numUpdatedRows > 0n) {
        await markMessages(tx, [row], 'failed')
        await recipientUnreachable(tx, row)
      }
      return 'failed'
    }
    // Being told to wait is not the notice's failure: only its age can end it then.
    const waitAsked = outcome.retryAfterMs !== undefined
    if (waitAsked ? tooOld(row, settings) : outOfChances(row, settings)) {
      const done = await mine.set({ status: 'failed', last_error: error }).executeTakeFirst()
      if (done.numUpdatedRows > 0n) await markMessages(tx, [row], 'failed')
      return 'failed'
    }
    if (waitAsked) {
      await mine
        .set((eb) => ({
          status: 'pending',
          next_attempt_at: afterMs(outcome.retryAfterMs ?? 0),
          attempts: eb('attempts', '-', 1),
          last_error: error,
        }))
        .executeTakeFirst()
      return 'retried'
    }
    await mine
      .set({
        status: 'pending',
        next_attempt_at: afterMs(noticeBackoffMs(row.attempts, settings.retryBaseMs)),
        last_error: error,
      })
      .executeTakeFirst()
    return 'retried'
  })
}

/**
 * The channel asked us to wait (Telegram's flood control is per bot): nothing more goes through it
 * before `untilIso` — neither the rows this call claimed and has not sent yet, nor any pending row.
 */
async function pauseChannel(db: Db, channel: string, untilIso: string, unsent: OutboxRow[]): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const row of unsent) {
      await tx
        .updateTable('outbox')
        .set((eb) => ({ status: 'pending', next_attempt_at: untilIso, attempts: eb('attempts', '-', 1) }))
        .where('id', '=', row.id)
        .where('status', '=', 'sending')
        .where('attempts', '=', row.attempts)
        .execute()
    }
    await tx
      .updateTable('outbox')
      .set({ next_attempt_at: untilIso })
      .where('channel', '=', channel)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<', untilIso)
      .execute()
  })
}

/**
 * The recipient blocked the bot or is gone: mark the person in that messenger (the recipient is the chat key,
 * chat-key.ts), and fail what else waits for them there — it would only be refused again.
 */
async function recipientUnreachable(tx: Tx, row: OutboxRow): Promise<void> {
  const at = now()
  if (row.channel === 'telegram') {
    await tx
      .updateTable('users')
      .set({ telegram_blocked_at: at, updated_at: at })
      .where('telegram_chat_id', '=', row.recipient)
      .where('telegram_blocked_at', 'is', null)
      .execute()
  } else if (row.channel === 'max' && messengerOf(row.recipient) === 'max') {
    await tx
      .updateTable('users')
      .set({ max_blocked_at: at, updated_at: at })
      .where('max_user_id', '=', chatIdOf(row.recipient))
      .where('max_blocked_at', 'is', null)
      .execute()
  }
  const others = await tx
    .updateTable('outbox')
    .set({ status: 'failed', last_error: 'recipient unreachable' })
    .where('channel', '=', row.channel)
    .where('recipient', '=', row.recipient)
    .where('status', '=', 'pending')
    .returning('message_id')
    .execute()
  await markMessages(tx, others, 'failed')
}

async function markMessages(
  tx: Tx,
  rows: ReadonlyArray<Pick<OutboxRow, 'message_id'>>,
  status: 'sent' | 'failed',
): Promise<void> {
  const ids = [...new Set(rows.flatMap((r) => (r.message_id === null ? [] : [r.message_id])))]
  if (ids.length === 0) return
  await tx.updateTable('ticket_messages').set({ delivery_status: status }).where('id', 'in', ids).execute()
}
