import { createHash } from 'node:crypto'
import { addressBlock } from '#src/api/client-address.ts'
import { auditDenied } from '#src/audit/denied.ts'
import type { Db } from '#src/db/schema.ts'
import { nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from './actor.ts'

/**
 * The password-guessing throttle (issue 8, items 6–8). Instead of locking an account after a few failures,
 * which lets anyone lock anyone out, failures are counted per (address, login): a few are free, then each
 * further attempt from that address for that login waits twice as long as the one before (30 s up to
 * 15 min). The real person at another address is not affected. A per-address count stops one address
 * from trying many logins. Unknown logins are counted exactly like real ones, so the throttle tells
 * nothing about which logins exist.
 *
 * Counting is atomic: an attempt is counted (reserved) by one conditional upsert per key, in one
 * transaction, before its password is checked, and given back when it succeeds, so that 600 parallel
 * attempts check at most the allowed number of passwords. The counts live in the database: every
 * instance sharing it sees the same counts, and `helpdesk users unlock` clears them. What is per
 * instance (per process): the refusal journal's windows below, and the estimate of how long a checked
 * attempt takes.
 *
 * A refused attempt writes nothing to the database (a read decides it), except the journal's first row
 * for an address in a window of 10 minutes and one summary row with the count when the window ends.
 */

export interface ThrottleRule {
  /** Failures allowed before any wait. */
  free: number
  /** The wait after the first failure beyond `free`; each further one doubles it, up to `maxDelayMs`. */
  firstDelayMs: number
  maxDelayMs: number
  /** A key without failures for this long starts again from zero. */
  forgetAfterMs: number
  /** On success: forget the key's failures (a person's own key), or only give this attempt back (an address). */
  onSuccess: 'forget' | 'give_back'
}

export interface ThrottleRules {
  /** One login (or one person's current password) from one address. */
  pair: ThrottleRule
  /** Everything from one address (an IPv6 /64), or every address for one person's current password. */
  wide: ThrottleRule
}

const MINUTE = 60_000

export const defaultRules: ThrottleRules = {
  pair: {
    free: 5,
    firstDelayMs: 30_000,
    maxDelayMs: 15 * MINUTE,
    forgetAfterMs: 24 * 60 * MINUTE,
    onSuccess: 'forget',
  },
  wide: { free: 20, firstDelayMs: MINUTE, maxDelayMs: 15 * MINUTE, forgetAfterMs: 60 * MINUTE, onSuccess: 'give_back' },
}

export interface ThrottleKey {
  key: string
  /** Whose failures these are, so that an unlock finds them: a login's digest or `user:<id>`. */
  subject: string | null
  rule: ThrottleRule
}

export interface ThrottleOptions {
  rules?: ThrottleRules
  /** How long one journal window of refusals per address lasts (10 minutes unless said). */
  refusalWindowMs?: number
}

/** The journal's view of a refused attempt. */
export interface Refusal {
  action: 'auth.login_failed' | 'auth.password_change'
  actor: Actor
  /** Per-instance window key: refusals are summed per address (and per person for /profile). */
  windowKey: string
  subjectId?: number | null
  /** The first row's description; the summary says how many more followed. */
  description: string
  details?: Record<string, unknown>
}

interface RefusalWindow {
  startedAt: number
  /** Refusals after the first, which was journaled on its own. */
  more: number
  refusal: Refusal
}

/** A login as it is looked up (trimmed, lower case), hashed: the table never holds what someone typed. */
export function loginSubject(login: string): string {
  return `login:${createHash('sha256').update(login.trim().toLowerCase()).digest('hex').slice(0, 32)}`
}

export function userSubject(userId: number): string {
  return `user:${userId}`
}

export class LoginThrottle {
  readonly rules: ThrottleRules
  /** Refused attempts in the journal: a first row and a summary per address and window. */
  readonly refusals: RefusalJournal
  /** How long a checked, failed attempt takes (argon2 and the journal): a refusal takes as long. */
  #typicalMs = 60
  #reservations = 0

  constructor(options: ThrottleOptions = {}) {
    this.rules = options.rules ?? defaultRules
    this.refusals = new RefusalJournal(options.refusalWindowMs)
  }

  /** The keys of a password login: (address, login) and the address. */
  loginKeys(address: string | null, login: string): ThrottleKey[] {
    const where = address ?? 'unknown'
    const subject = loginSubject(login)
    return [
      { key: `login:${where}:${subject.slice('login:'.length)}`, subject, rule: this.rules.pair },
      { key: `address:${address === null ? where : addressBlock(address)}`, subject: null, rule: this.rules.wide },
    ]
  }

  /** The keys of a guess at one's current password (/profile): (address, person) and the person. */
  passwordKeys(address: string | null, userId: number): ThrottleKey[] {
    const subject = userSubject(userId)
    return [
      { key: `password:${address ?? 'unknown'}:${userId}`, subject, rule: this.rules.pair },
      { key: `password:${userId}`, subject, rule: this.rules.wide },
    ]
  }

  /** True when one of the keys is waiting: decided by a read, so a refusal writes nothing. */
  async isBlocked(db: Db, keys: readonly ThrottleKey[]): Promise<boolean> {
    const at = nowDate().toISOString()
    const row = await db
      .selectFrom('login_throttle')
      .select('key')
      .where(
        'key',
        'in',
        keys.map((k) => k.key),
      )
      .where('blocked_until', '>', at)
      .executeTakeFirst()
    return row !== undefined
  }

  /**
   * Counts an attempt on every key, or on none when one of them is waiting (then false). Each count is one
   * conditional upsert, so concurrent attempts cannot all pass a check made before any of them counted.
   */
  async reserve(db: Db, keys: readonly ThrottleKey[]): Promise<boolean> {
    const at = nowDate().getTime()
    // Now and then, rows forgotten anyway go: the table holds what the last day's failures left.
    if (++this.#reservations % 1000 === 0) await this.#prune(db, at)
    try {
      await transact(db, async (tx) => {
        for (const key of keys) {
          if (!(await reserveOne(tx, key, at))) throw new Waiting()
        }
      })
      return true
    } catch (error) {
      if (error instanceof Waiting) return false
      throw error
    }
  }

  /** Gives a successful attempt back: a person's own keys forget their failures, an address keeps the others'. */
  async release(db: Db, keys: readonly ThrottleKey[]): Promise<void> {
    for (const { key, rule } of keys) {
      if (rule.onSuccess === 'forget') {
        await db.deleteFrom('login_throttle').where('key', '=', key).execute()
        continue
      }
      await this.#giveBackOne(db, key, rule)
    }
  }

  /**
   * Gives one attempt back on every key without forgetting earlier failures: a right password that still
   * lacks its second factor must not wipe the count of wrong codes guessed before it.
   */
  async giveBack(db: Db, keys: readonly ThrottleKey[]): Promise<void> {
    for (const { key, rule } of keys) await this.#giveBackOne(db, key, rule)
  }

  async #giveBackOne(db: Db, key: string, rule: ThrottleRule): Promise<void> {
    await db
      .updateTable('login_throttle')
      .set((eb) => ({
        failures: eb('failures', '-', 1),
        blocked_until: eb.case().when('failures', '<=', rule.free).then(null).else(eb.ref('blocked_until')).end(),
      }))
      .where('key', '=', key)
      .where('failures', '>', 0)
      .execute()
    await db.deleteFrom('login_throttle').where('key', '=', key).where('failures', '<=', 0).execute()
  }

  async #prune(db: Db, at: number): Promise<void> {
    const longest = Math.max(this.rules.pair.forgetAfterMs, this.rules.wide.forgetAfterMs)
    await db
      .deleteFrom('login_throttle')
      .where('last_failure_at', '<', new Date(at - longest).toISOString())
      .execute()
  }

  /** How long a refused attempt is made to take: what a checked one typically takes lately. */
  get typicalMs(): number {
    return this.#typicalMs
  }

  /** Records how long a checked attempt took, for `pace`. */
  observe(startedAt: number): void {
    const took = performance.now() - startedAt
    this.#typicalMs = Math.min(5_000, this.#typicalMs * 0.8 + took * 0.2)
  }

  /** Waits until a refused attempt has taken as long as a checked one does, so that timing tells nothing. */
  async pace(startedAt: number): Promise<void> {
    const until = startedAt + this.#typicalMs
    // A timer counts from the event loop's cached clock, which may lag performance.now() by a busy turn: it
    // can fire a little early, so the wait goes on until the clock says so.
    for (let left = until - performance.now(); left > 0; left = until - performance.now()) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, left)))
    }
  }
}

/**
 * A flood of refused attempts in the journal: the first refusal per window key (an address) and window is
 * journaled, then one summary row with the count when the window ends (at the next refusal after it, or
 * by a timer). The windows are per instance (per process): several instances each write their own.
 */
export class RefusalJournal {
  readonly #windowMs: number
  /** Per database handle, so that a summary goes to the database whose refusals it counts. */
  readonly #windows = new WeakMap<Db, Map<string, RefusalWindow>>()

  constructor(windowMs = 10 * MINUTE) {
    this.#windowMs = windowMs
  }

  /** Journals a refusal, or only counts it when its window has journaled one already. */
  async record(db: Db, refusal: Refusal): Promise<void> {
    const windows = this.#windowsOf(db)
    // Decided before the first await: two refusals at once must not both be the window's first, nor both
    // write the same summary.
    const ended = this.#takeEnded(windows)
    const open = windows.get(refusal.windowKey)
    if (open) open.more++
    else {
      windows.set(refusal.windowKey, { startedAt: nowDate().getTime(), more: 0, refusal })
      if (windows.size === 1) this.#closeLater(db)
    }
    await this.#summarise(db, ended)
    if (open) return
    await auditDenied(db, refusal.actor, {
      action: refusal.action,
      objectType: refusal.subjectId ? 'user' : null,
      objectId: refusal.subjectId ?? null,
      subjectId: refusal.subjectId ?? null,
      description: refusal.description,
      details: { reason: 'throttled', ...refusal.details },
    })
  }

  /** Writes the summaries of the ended windows now, or of all of them (tests, shutdown). */
  async close(db: Db, all = false): Promise<void> {
    await this.#summarise(db, this.#takeEnded(this.#windowsOf(db), all))
  }

  #windowsOf(db: Db): Map<string, RefusalWindow> {
    let windows = this.#windows.get(db)
    if (!windows) {
      windows = new Map()
      this.#windows.set(db, windows)
    }
    return windows
  }

  #takeEnded(windows: Map<string, RefusalWindow>, all = false): RefusalWindow[] {
    const endedBefore = nowDate().getTime() - this.#windowMs
    // A flood from very many addresses closes its windows early rather than growing the map without end.
    const crowded = windows.size > 10_000
    const ended: RefusalWindow[] = []
    for (const [key, window] of windows) {
      if (all || crowded || window.startedAt <= endedBefore) {
        windows.delete(key)
        ended.push(window)
      }
    }
    return ended
  }

  async #summarise(db: Db, ended: readonly RefusalWindow[]): Promise<void> {
    for (const window of ended) {
      if (window.more === 0) continue
      const { refusal } = window
      await auditDenied(db, refusal.actor, {
        action: refusal.action,
        objectType: refusal.subjectId ? 'user' : null,
        objectId: refusal.subjectId ?? null,
        subjectId: refusal.subjectId ?? null,
        description: `Ещё попыток, отклонённых тем же ограничением: ${window.more}`,
        details: {
          reason: 'throttled',
          ...refusal.details,
          repeated: window.more,
          since: new Date(window.startedAt).toISOString(),
        },
      })
    }
  }

  /** A summary is owed even when the attacker stops: a timer writes it when the window ends. */
  #closeLater(db: Db): void {
    const timer = setTimeout(() => {
      this.close(db)
        .then(() => {
          if (this.#windowsOf(db).size > 0) this.#closeLater(db)
        })
        // The database went away (a test ended, the process stops): only the summary row is lost.
        .catch(() => undefined)
    }, this.#windowMs + 1_000)
    timer.unref()
  }
}

/** A key that is waiting: the reservation's transaction rolls back. */
class Waiting extends Error {}

async function reserveOne(tx: Db, { key, subject, rule }: ThrottleKey, at: number): Promise<boolean> {
  const atIso = new Date(at).toISOString()
  const forgetBefore = new Date(at - rule.forgetAfterMs).toISOString()
  const row = await tx
    .insertInto('login_throttle')
    .values({ key, subject, failures: 1, blocked_until: blockedAfter(rule, 1, at), last_failure_at: atIso })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet((eb) => {
          const stale = eb('login_throttle.last_failure_at', '<=', forgetBefore)
          // The wait after this failure, by the failures before it: a CASE over the few steps to the cap,
          // computed here, so that the statement needs no date arithmetic of either database.
          let blocked = eb
            .case()
            .when(stale)
            .then(blockedAfter(rule, 1, at))
            .when('login_throttle.failures', '<', rule.free - 1)
            .then(null)
          for (let n = rule.free; delayAfter(rule, n) < rule.maxDelayMs; n++) {
            blocked = blocked.when('login_throttle.failures', '=', n - 1).then(blockedAfter(rule, n, at))
          }
          return {
            failures: eb
              .case()
              .when(stale)
              .then(1)
              .else(eb('login_throttle.failures', '+', 1))
              .end(),
            blocked_until: blocked.else(new Date(at + rule.maxDelayMs).toISOString()).end(),
            last_failure_at: atIso,
          }
        })
        .where((eb) =>
          eb.or([
            eb('login_throttle.blocked_until', 'is', null),
            eb('login_throttle.blocked_until', '<=', atIso),
            eb('login_throttle.last_failure_at', '<=', forgetBefore),
          ]),
        ),
    )
    .returning('failures')
    .executeTakeFirst()
  return row !== undefined
}

/** The wait after the `failures`-th failure: none within `free`, then doubling up to the cap. */
export function delayAfter(rule: ThrottleRule, failures: number): number {
  if (failures < rule.free) return 0
  return Math.min(rule.maxDelayMs, rule.firstDelayMs * 2 ** (failures - rule.free))
}

function blockedAfter(rule: ThrottleRule, failures: number, at: number): string | null {
  const delay = delayAfter(rule, failures)
  return delay === 0 ? null : new Date(at + delay).toISOString()
}
