import { closeSync, fdatasync, openSync } from 'node:fs'

/** Syncs a file's data to disk, calling back when done (fdatasync). */
export type SyncFile = (fd: number, done: (error: Error | null) => void) => void

/**
 * Durable commits that do not hold the event loop (issue 12). With `synchronous = FULL` SQLite syncs the WAL
 * inside COMMIT, on the thread that runs it, which is ours: every request waited for every fsync (a seventh of
 * a ticket view's time, more of a create's). The connection runs with `synchronous = NORMAL` instead, where
 * a commit only writes its frames to the WAL file (the system's page cache keeps them through a crash of the
 * process, not through a power cut), and this syncs that file with fdatasync on libuv's thread pool. Nothing
 * is answered before the sync that covers its commit: `durable()` resolves once every commit counted before
 * it is on disk. Commits that come while a sync runs share the next one.
 *
 * SQLite's own guarantees are unchanged (NORMAL keeps a WAL database consistent through a power cut; it
 * syncs the WAL itself before every checkpoint); a sync only makes acknowledged commits durable as FULL did.
 * A failed sync is not retried: after an fsync error Linux may drop the pages it could not write and report
 * the next sync as a success, so from then on every commit is refused (as PostgreSQL stops on one), until
 * the process is restarted and SQLite recovers the WAL as it is on disk.
 */
export class WalSync {
  readonly #file: string
  readonly #sync: SyncFile
  #fd: number | undefined
  #written = 0
  #synced = 0
  #syncing = false
  #failure: Error | undefined
  #deferred = false
  #syncs = 0
  readonly #waiting: Array<{ upTo: number; resolve: () => void; reject: (error: Error) => void }> = []

  /** `sync` is fdatasync; tests pass one they hold back or fail. */
  constructor(walFile: string, sync: SyncFile = fdatasync) {
    this.#file = walFile
    this.#sync = sync
  }

  /** Syncs run so far (each covers every commit written before it started). */
  get syncs(): number {
    return this.#syncs
  }

  /** A commit was written to the WAL (counted after it, so that the next sync to start covers it). */
  committed(): void {
    this.#written++
  }

  /** Resolves when every commit counted so far is on disk; rejects when a sync failed (now or before). */
  durable(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure)
    const upTo = this.#written
    if (this.#synced >= upTo) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.#waiting.push({ upTo, resolve, reject })
      this.#start()
    })
  }

  /**
   * The next commit on the connection need not wait for its sync inside the driver: its caller awaits
   * `durable()` itself, once the connection is free for others (the group commit). Set by the transaction's
   * own code just before it returns, when the commit is the connection's next statement.
   */
  deferNextCommit(): void {
    this.#deferred = true
  }

  /** Whether the commit about to run was deferred (and no longer, for the one after it). */
  takeDeferral(): boolean {
    const deferred = this.#deferred
    this.#deferred = false
    return deferred
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
  }

  #start(): void {
    if (this.#syncing) return
    let fd: number
    try {
      // Opened at the first sync: the WAL file exists from the first commit, and lives as long as the
      // connection does (SQLite truncates or rewrites it in place, and removes it only after its last close).
      this.#fd ??= openSync(this.#file, 'r')
      fd = this.#fd
    } catch (error) {
      this.#fail(error as Error)
      return
    }
    const upTo = this.#written
    this.#syncing = true
    this.#syncs++
    this.#sync(fd, (error) => {
      this.#syncing = false
      if (error) {
        this.#fail(error)
        return
      }
      this.#synced = upTo
      // Waiters queue in the order of their commits: those this sync covers are the first ones.
      while (this.#waiting[0] && this.#waiting[0].upTo <= upTo) this.#waiting.shift()?.resolve()
      if (this.#waiting.length > 0) this.#start()
    })
  }

  #fail(error: Error): void {
    this.#failure = error
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error)
  }
}
