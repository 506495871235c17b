import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely'
import type { DatabaseConfig } from '#src/config.ts'
import { type OpenOptions, openDatabase } from './database.ts'
import type { Db, Database as Schema } from './schema.ts'

/**
 * A handle for the heavy reads (reports, the journal, exports) that never holds the event loop: better-sqlite3
 * answers synchronously, so a year's statistics held every other request for seconds. On SQLite each query
 * is posted to a small pool of threads, each with its own read-only connection to the database file
 * (`src/db/read-only-thread.mjs`); WAL lets them read beside the main connection's writes. On PostgreSQL the
 * driver is asynchronous already: a pool of its own whose transactions are read-only.
 *
 * Writes are refused on both (SQLITE_READONLY, PostgreSQL 25006): a read that must be journaled writes its
 * journal row on the main handle, as before. Close it with `closeReadOnlyDb` (at shutdown, before the main
 * handle). Rows cross to the main thread by structured clone: a BLOB arrives as a Uint8Array, not a Buffer.
 */

export interface ReadOnlyOptions extends OpenOptions {
  /** SQLite: threads in the pool (default: one per core, at most two). */
  threads?: number
}

/**
 * The read handle for `config`. For an in-memory SQLite database (the tests) there is no file for a
 * second connection to open: the main handle itself is given back, reads then run on the event loop as
 * before, and writes are not refused. Destroy the result only when it is not `main`.
 */
export function openReadOnlyDb(config: DatabaseConfig, main: Db, options: ReadOnlyOptions = {}): Db {
  if (config.kind === 'postgres') {
    const { threads: _threads, ...open } = options
    return openDatabase(config, { poolSize: 4, ...open, readOnly: true })
  }
  if (config.file === ':memory:' || config.file === '') return main
  const threads = Math.max(1, Math.floor(options.threads ?? Math.min(2, availableParallelism())))
  const driver = new ThreadDriver(config.file, threads)
  const readDb = new Kysely<Schema>({ dialect: new ThreadDialect(driver) })
  drivers.set(readDb, driver)
  return readDb
}

/** Closes a handle made by `openReadOnlyDb`, unless it is the main handle given back for `:memory:`. */
export async function closeReadOnlyDb(readDb: Db, main: Db): Promise<void> {
  if (readDb !== main) await readDb.destroy()
}

/** True when `readDb` reads on threads of its own (a SQLite file's pool), not on the event loop. */
export function hasReadThreads(readDb: Db): boolean {
  return drivers.has(readDb)
}

/** The threads of a handle made by `openReadOnlyDb` on SQLite that are running now (diagnostics, tests). */
export function readThreadsOf(readDb: Db): Worker[] {
  return drivers.get(readDb)?.workers() ?? []
}

const THREAD_URL = new URL('./read-only-thread.mjs', import.meta.url)

interface ThreadError {
  name: string
  message: string
  code?: string
}

interface ThreadAnswer {
  id: number
  rows?: unknown[]
  done?: boolean
  changes?: number
  inTransaction?: boolean
  error?: ThreadError
}

interface Pending {
  rows: unknown[]
  resolve: (result: QueryResult<unknown>) => void
  reject: (error: Error) => void
}

/** The thread's error as the caller would have had it on the main thread (SqliteError with its code). */
function errorFrom(error: ThreadError): Error {
  if (error.name === 'SqliteError' && error.code) return new Database.SqliteError(error.message, error.code)
  const made =
    error.name === 'TypeError'
      ? new TypeError(error.message)
      : error.name === 'RangeError'
        ? new RangeError(error.message)
        : new Error(error.message)
  return Object.assign(made, error.code ? { code: error.code } : {})
}

let nextId = 0
const drivers = new WeakMap<Db, ThreadDriver>()

/** A savepoint's name as an SQL identifier. */
function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/**
 * One thread and its connection. Started on its first query; one that dies (an uncaught error, killed) fails
 * the queries it had and the next query starts a new one. Kept from holding the process open while idle.
 */
class ReadThread {
  readonly #file: string
  #worker: Worker | undefined
  readonly #pending = new Map<number, Pending>()
  /** The connection is inside `begin` … `commit` (as the thread last said). */
  inTransaction = false

  constructor(file: string) {
    this.#file = file
  }

  /** The thread running now, if any. */
  get worker(): Worker | undefined {
    return this.#worker
  }

  run(query: CompiledQuery): Promise<QueryResult<unknown>> {
    const id = ++nextId
    const worker = this.#start()
    return new Promise<QueryResult<unknown>>((resolve, reject) => {
      this.#pending.set(id, { rows: [], resolve, reject })
      // Held open while a query waits: a command's read finishes before the process may end.
      worker.ref()
      try {
        worker.postMessage({ id, sql: query.sql, parameters: query.parameters })
      } catch (error) {
        // A parameter that cannot be copied to the thread: this query fails, nothing is left waiting.
        this.#pending.delete(id)
        if (this.#pending.size === 0) worker.unref()
        reject(error)
      }
    })
  }

  #start(): Worker {
    if (this.#worker) return this.#worker
    const worker = new Worker(THREAD_URL, { workerData: { file: this.#file } })
    worker.unref()
    worker.on('message', (answer: ThreadAnswer) => this.#answer(worker, answer))
    worker.on('error', (error) => this.#lost(worker, error))
    worker.on('exit', (code) => this.#lost(worker, new Error(`read-only SQLite thread exited with code ${code}`)))
    this.#worker = worker
    return worker
  }

  #answer(worker: Worker, answer: ThreadAnswer): void {
    const pending = this.#pending.get(answer.id)
    if (!pending) return
    if (answer.rows) for (const row of answer.rows) pending.rows.push(row)
    if (!answer.done) return
    this.#pending.delete(answer.id)
    if (this.#pending.size === 0) worker.unref()
    this.inTransaction = answer.inTransaction === true
    if (answer.error) pending.reject(errorFrom(answer.error))
    else if (answer.changes !== undefined) pending.resolve({ rows: [], numAffectedRows: BigInt(answer.changes) })
    else pending.resolve({ rows: pending.rows })
  }

  /** Its queries fail with the thread (nothing is left waiting); the next query starts another. */
  #lost(worker: Worker, error: Error): void {
    if (this.#worker !== worker) return
    this.#worker = undefined
    this.inTransaction = false
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
  }

  /**
   * The connection is closed after the read in hand, if any (terminating the thread would not cut it short
   * either: SQLite runs it in native code), and the thread ends.
   */
  async close(): Promise<void> {
    const worker = this.#worker
    if (!worker) return
    const ended = new Promise((resolve) => worker.once('exit', resolve))
    worker.postMessage({ close: true })
    await ended
  }
}

/** A connection of the pool is one thread, held by one caller at a time (a transaction stays on its thread). */
class ThreadConnection implements DatabaseConnection {
  readonly thread: ReadThread
  constructor(thread: ReadThread) {
    this.thread = thread
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.thread.run(query) as Promise<QueryResult<R>>
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(query)
    for (let start = 0; start < rows.length; start += chunkSize) yield { rows: rows.slice(start, start + chunkSize) }
  }
}

class ThreadDriver implements Driver {
  readonly #connections: ThreadConnection[]
  readonly #idle: ThreadConnection[]
  readonly #waiting: Array<{ resolve: (connection: ThreadConnection) => void; reject: (error: Error) => void }> = []
  #closed = false

  constructor(file: string, threads: number) {
    this.#connections = Array.from({ length: threads }, () => new ThreadConnection(new ReadThread(file)))
    this.#idle = [...this.#connections]
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    if (this.#closed) return Promise.reject(new Error('the read-only database is closed'))
    const idle = this.#idle.pop()
    if (idle) return Promise.resolve(idle)
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }))
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const next = this.#waiting.shift()
    if (next) next.resolve(connection as ThreadConnection)
    else this.#idle.push(connection as ThreadConnection)
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  /** A thread that died took its transaction along: a `rollback` then would only replace the real error. */
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if ((connection as ThreadConnection).thread.inTransaction) {
      await connection.executeQuery(CompiledQuery.raw('rollback'))
    }
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoted(name)}`))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoted(name)}`))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoted(name)}`))
  }

  workers(): Worker[] {
    return this.#connections.flatMap((connection) => connection.thread.worker ?? [])
  }

  async destroy(): Promise<void> {
    this.#closed = true
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new Error('the read-only database is closed'))
    await Promise.all(this.#connections.map((connection) => connection.thread.close()))
  }
}

class ThreadDialect implements Dialect {
  readonly #driver: ThreadDriver
  constructor(driver: ThreadDriver) {
    this.#driver = driver
  }
  createDriver(): Driver {
    return this.#driver
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler()
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter()
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db)
  }
}
