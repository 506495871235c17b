import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'

const THREAD_URL = new URL('./checkpoint-thread.mjs', import.meta.url)

/** SQLite's own threshold: a checkpoint once the WAL holds this many pages (what the main connection falls back to). */
const AUTOCHECKPOINT_PAGES = 1000

/**
 * WAL checkpoints off the event loop (issue 12). SQLite checkpoints when a COMMIT finds the WAL past 1 000
 * pages, on the connection that commits: ours, on the event loop. Such a commit copies the pages into the
 * database file and syncs it (10–25 ms at a million tickets, a few times a second while tickets are filed),
 * and every request waits. In a serving process the main connection does not checkpoint
 * (`wal_autocheckpoint = 0`); a thread with a connection of its own does, every second, PASSIVE:
 * it copies what no reader still needs and never waits for anyone. Should the thread end, the main
 * connection checkpoints as before. Every second, not more often: each checkpoint that copies anything syncs the
 * database file, and those syncs slowed the commits of a quiet server (a quarter second: e2e journeys 10 % slower).
 */
export class WalCheckpointer {
  readonly #database: Database.Database
  readonly #worker: Worker
  #pages = 0
  #stopping = false
  #exited = false

  constructor(database: Database.Database, file: string, everyMs = 1000) {
    this.#database = database
    database.pragma('wal_autocheckpoint = 0')
    // Its cost: ~6 MB of memory (a worker's isolate; smaller V8 limits did not make it less).
    this.#worker = new Worker(THREAD_URL, { workerData: { file, everyMs } })
    // A process that has nothing else to do may end: the checkpoints are not a reason to stay.
    this.#worker.unref()
    this.#worker.on('message', (message: { checkpointed?: number }) => {
      this.#pages += message.checkpointed ?? 0
    })
    this.#worker.on('error', () => this.#fallBack())
    this.#worker.on('exit', () => {
      this.#exited = true
      this.#fallBack()
    })
  }

  /** Pages copied into the database file by the thread so far (diagnostics, tests). */
  get pages(): number {
    return this.#pages
  }

  /** The thread (tests end it to see the fallback). */
  get worker(): Worker {
    return this.#worker
  }

  /** The thread checkpoints once more and ends; the main connection may still close after it. */
  async stop(): Promise<void> {
    this.#stopping = true
    if (this.#exited) return
    const ended = new Promise((resolve) => this.#worker.once('exit', resolve))
    this.#worker.postMessage({ close: true })
    await ended
  }

  #fallBack(): void {
    if (this.#stopping || !this.#database.open) return
    this.#stopping = true
    this.#database.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)
  }
}
