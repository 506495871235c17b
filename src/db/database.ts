import { createHash } from 'node:crypto'
import path from 'node:path'
import Database from 'better-sqlite3'
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  type PostgresDialectConfig,
  PostgresDriver,
  type QueryResult,
  SqliteDialect,
  SqliteDriver,
  sql,
} from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '#src/config.ts'
import type { Db, Database as Schema, Tx } from './schema.ts'
import { WalCheckpointer } from './wal-checkpointer.ts'
import { type SyncFile, WalSync } from './wal-sync.ts'

export type Dialect = 'sqlite' | 'postgres'

/**
 * How long queries waited for a connection (read by /metrics at scrape time). On SQLite there is one
 * connection and Kysely hands it out in turns: a transaction holds it to its end, so this is the time
 * spent queued behind other transactions in this process (the write lock as this process sees it;
 * another process's lock is waited for inside SQLite, by busy_timeout, and is not counted here). On
 * PostgreSQL it is the time to check a client out of the pool.
 */
export interface ConnectionWaits {
  readonly dialect: Dialect
  /** Connections handed out. */
  acquired: number
  /** Seconds spent waiting for them, in total (waits that ended in a timeout included). */
  waitedSeconds: number
  /** PostgreSQL: the pool, for its total / idle / waiting counts. */
  readonly pool?: pg.Pool
}

const connectionWaits = new WeakMap<Db, ConnectionWaits>()
/** By the Kysely adapter, which a handle shares with its transactions. */
const sqliteHandles = new WeakMap<object, Database.Database>()

/**
 * The better-sqlite3 connection under a SQLite handle (or a transaction of it) made by `openDatabase`: for the rare
 * migration that must leave SQLite's defensive mode for a moment (0037: a CHECK constraint widened in place).
 */
export function sqliteHandleOf(db: Tx): Database.Database | undefined {
  return sqliteHandles.get(db.getExecutor().adapter)
}
const walSyncs = new WeakMap<Db, WalSync>()
const checkpointers = new WeakMap<Db, WalCheckpointer>()

/** The thread checkpointing a serving process's SQLite WAL, if it has one (diagnostics, tests). */
export function checkpointerOf(db: Db): WalCheckpointer | undefined {
  return checkpointers.get(db)
}

/** The WAL's syncing of a SQLite file opened by `openDatabase` (undefined for PostgreSQL and `:memory:`). */
export function walSyncOf(db: Db): WalSync | undefined {
  return walSyncs.get(db)
}

/** The connection waits of a handle made by `openDatabase` (undefined for anything else). */
export function connectionWaitsOf(db: Db): ConnectionWaits | undefined {
  return connectionWaits.get(db)
}

async function timed(waits: ConnectionWaits, acquire: () => Promise<DatabaseConnection>): Promise<DatabaseConnection> {
  const started = performance.now()
  try {
    const connection = await acquire()
    waits.acquired++
    return connection
  } finally {
    // A wait that ended in the pool's timeout was waited all the same.
    waits.waitedSeconds += (performance.now() - started) / 1000
  }
}

/** Prepared statements kept per SQL text (the most recently used ones): a request's queries repeat. */
const STATEMENT_CACHE = 500

/**
 * The database as Kysely's driver sees it, preparing each distinct SQL text once. better-sqlite3's statements are
 * reusable; one connection runs one query at a time (the driver's mutex), so a cached statement is never busy.
 * `last` is the statement of the query running (or last run): whether it wrote.
 */
class PreparingOnce {
  readonly #database: Database.Database
  readonly #statements = new Map<string, Database.Statement>()
  last: Database.Statement | undefined

  constructor(database: Database.Database) {
    this.#database = database
  }

  close(): void {
    this.#database.close()
  }

  prepare(text: string): Database.Statement {
    let statement = this.#statements.get(text)
    if (statement) this.#statements.delete(text)
    else {
      statement = this.#database.prepare(text)
      if (this.#statements.size >= STATEMENT_CACHE)
        this.#statements.delete(this.#statements.keys().next().value as string)
    }
    this.#statements.set(text, statement)
    this.last = statement
    return statement
  }
}

/**
 * SQLite's one connection, made durable by `WalSync`: a statement that wrote outside a transaction (its own
 * autocommit) is answered once its commit is synced. Transactions are synced at their commit, by the driver.
 */
class DurableConnection implements DatabaseConnection {
  readonly #inner: DatabaseConnection
  readonly #database: Database.Database
  readonly #statements: PreparingOnce
  readonly #wal: WalSync

  constructor(inner: DatabaseConnection, database: Database.Database, statements: PreparingOnce, wal: WalSync) {
    this.#inner = inner
    this.#database = database
    this.#statements = statements
    this.#wal = wal
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const inTransaction = this.#database.inTransaction
    const result = await this.#inner.executeQuery<R>(query)
    if (!inTransaction && !this.#database.inTransaction && !this.#statements.last?.readonly) {
      this.#wal.committed()
      await this.#wal.durable()
    }
    return result
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.#inner.streamQuery<R>(query, chunkSize)
  }
}

/**
 * SQLite's default `begin` is deferred: two writers that both read first then deadlock on the upgrade
 * (SQLITE_BUSY without waiting). `begin immediate` takes the write lock up front, so busy_timeout works.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #database: Database.Database
  readonly #statements: PreparingOnce
  readonly #waits: ConnectionWaits
  readonly #wal: WalSync | undefined
  readonly #checkpointer: WalCheckpointer | undefined
  #durable: DurableConnection | undefined

  constructor(
    database: Database.Database,
    statements: PreparingOnce,
    waits: ConnectionWaits,
    wal?: WalSync,
    checkpointer?: WalCheckpointer,
  ) {
    super({ database: statements })
    this.#database = database
    this.#statements = statements
    this.#waits = waits
    this.#wal = wal
    this.#checkpointer = checkpointer
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await timed(this.#waits, () => super.acquireConnection())
    if (!this.#wal) return connection
    this.#durable ??= new DurableConnection(connection, this.#database, this.#statements, this.#wal)
    return this.#durable
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }

  /** Answered once durable: at once here, or by the caller that deferred it (the group commit, `WalSync`). */
  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const deferred = this.#wal?.takeDeferral() ?? false
    await super.commitTransaction(connection)
    if (!this.#wal) return
    this.#wal.committed()
    if (!deferred) await this.#wal.durable()
  }

  /**
   * After SQLITE_FULL (a full disk) or an I/O error SQLite may have rolled the transaction back itself; a
   * second `rollback` then fails with «no transaction is active», and that error would replace the real
   * cause on its way up (a 500 instead of the 503 of a full disk).
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#wal?.takeDeferral()
    if (this.#database.inTransaction) await super.rollbackTransaction(connection)
  }

  override async destroy(): Promise<void> {
    // The thread's connection first: the main one, closing last, checkpoints the rest and removes the WAL.
    await this.#checkpointer?.stop()
    await super.destroy()
    this.#wal?.close()
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #database: Database.Database
  readonly #waits: ConnectionWaits
  readonly #wal: WalSync | undefined
  readonly #checkpointer: WalCheckpointer | undefined
  constructor(database: Database.Database, waits: ConnectionWaits, wal?: WalSync, checkpointer?: WalCheckpointer) {
    super({ database })
    this.#database = database
    this.#waits = waits
    this.#wal = wal
    this.#checkpointer = checkpointer
  }
  override createAdapter() {
    const adapter = super.createAdapter()
    sqliteHandles.set(adapter, this.#database)
    return adapter
  }
  override createDriver() {
    return new ImmediateSqliteDriver(
      this.#database,
      new PreparingOnce(this.#database),
      this.#waits,
      this.#wal,
      this.#checkpointer,
    )
  }
}

class TimedPostgresDriver extends PostgresDriver {
  readonly #waits: ConnectionWaits
  constructor(config: PostgresDialectConfig, waits: ConnectionWaits) {
    super(config)
    this.#waits = waits
  }
  override acquireConnection(): Promise<DatabaseConnection> {
    return timed(this.#waits, () => super.acquireConnection())
  }
}

class TimedPostgresDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig
  readonly #waits: ConnectionWaits
  constructor(config: PostgresDialectConfig, waits: ConnectionWaits) {
    super(config)
    this.#config = config
    this.#waits = waits
  }
  override createDriver() {
    return new TimedPostgresDriver(this.#config, this.#waits)
  }
}

export interface OpenOptions {
  /** PostgreSQL only: the schema to work in (tests use one per file). */
  searchPath?: string
  /** PostgreSQL pool size. */
  poolSize?: number
  /** PostgreSQL: commit without waiting for the WAL flush (tests only: their data need not survive a crash). */
  asyncCommit?: boolean
  /** PostgreSQL: every transaction read-only, a write refused (25006); the read handle of `read-only.ts`. */
  readOnly?: boolean
  /** SQLite: how the WAL file is synced (fdatasync; tests hold it back or fail it, wal-sync.ts). */
  syncWal?: SyncFile
  /** SQLite: WAL checkpoints in a thread of their own, never in a COMMIT (a serving process: wal-checkpointer.ts). */
  checkpointThread?: boolean
}

/** Opens Kysely over the configured engine, with the pragmas our durability rules need. */
export function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Db {
  if (config.kind === 'sqlite') {
    const database = new Database(config.file)
    const wal =
      config.file !== ':memory:' && database.pragma('journal_mode = WAL', { simple: true }) === 'wal'
        ? new WalSync(`${path.resolve(config.file)}-wal`, options.syncWal)
        : undefined
    // With a WAL, commits are synced off the event loop (wal-sync.ts); without one (in memory), by SQLite.
    database.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL')
    database.pragma('foreign_keys = ON')
    database.pragma('busy_timeout = 5000')
    database.pragma('secure_delete = ON')
    // A 16 MB page cache; no memory map: mapped pages of the file counted in the process's memory (PSS
    // 300–400 MB at 100 000 tickets with 256 MB maps on three connections) and the page cache of the system
    // keeps the file's pages all the same. 32 MB held 20 MB more under load (a million tickets: 223 → 202 MB)
    // for no speed a bench could tell: a request reads a few pages, and the system's cache has the rest.
    database.pragma('cache_size = -16384')
    const waits: ConnectionWaits = { dialect: 'sqlite', acquired: 0, waitedSeconds: 0 }
    const checkpointer =
      wal && options.checkpointThread ? new WalCheckpointer(database, path.resolve(config.file)) : undefined
    const db = new Kysely<Schema>({ dialect: new ImmediateSqliteDialect(database, waits, wal, checkpointer) })
    connectionWaits.set(db, waits)
    if (wal) walSyncs.set(db, wal)
    if (checkpointer) checkpointers.set(db, checkpointer)
    return db
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    // A server that vanished without closing the socket (a dead host, a dropped route) is noticed by TCP
    // keep-alive instead of leaving the connection, and the request on it, waiting for ever.
    keepAlive: true,
    options: [
      options.searchPath ? `-c search_path=${options.searchPath}` : '',
      options.asyncCommit ? '-c synchronous_commit=off' : '',
      options.readOnly ? '-c default_transaction_read_only=on' : '',
      // Our statements read a page, a few rows or a summary, by index: a parallel worker's start (20–30 ms
      // here) costs them more than it saves (the dashboard's «what changed»: 38 → 3 ms at a million tickets),
      // and under load the cores are the other requests'.
      '-c max_parallel_workers_per_gather=0',
    ].join(' '),
    types: { getTypeParser: pgTypeParser },
  })
  // A client losing its server (PostgreSQL restarted, the backend killed) emits 'error'. The pool listens on
  // idle clients only; on a checked-out one nobody would, and an unheard 'error' ends the process
  // (reliability F6). The request using it fails on its own (a 503) and the pool drops the broken client
  // when it comes back (`_queryable` is false), so both listeners only keep the event from being unheard.
  pool.on('error', () => {})
  pool.on('connect', (client) => {
    client.on('error', () => {})
    prepareByName(client)
  })
  const waits: ConnectionWaits = { dialect: 'postgres', acquired: 0, waitedSeconds: 0, pool }
  const db = new Kysely<Schema>({ dialect: new TimedPostgresDialect({ pool }, waits) })
  connectionWaits.set(db, waits)
  return db
}

/** Statements named on one connection at most: past it, queries go unnamed (parsed every time) as before. */
const PREPARED_PER_CONNECTION = 500

/** The names of SQL texts, shared by every connection: a query's text is hashed once, not at each run. */
const statementNames = new Map<string, string>()

function statementName(text: string): string {
  let name = statementNames.get(text)
  if (name === undefined) {
    name = `hd_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`
    if (statementNames.size >= PREPARED_PER_CONNECTION * 4) statementNames.clear()
    statementNames.set(text, name)
  }
  return name
}

/**
 * Names each parameterised query after its SQL text, so PostgreSQL parses and plans it once per connection
 * instead of at every run (pg sends an unnamed statement otherwise; the plan follows PostgreSQL's own choice
 * between a custom and a generic one). A ticket view's ten queries: 2.6–2.9 → 2.0–2.1 ms, four views at once.
 * Kysely calls `query(text, values)`; any other call goes through untouched.
 *
 * A statement prepared before another instance changed a table it reads (a column added by an upgrade's
 * migration) fails with «cached plan must not change result type» (0A000); that query is sent unnamed again,
 * and unnamed from then on. Inside a transaction the failure has aborted it: that one request fails.
 */
function prepareByName(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>
  const named = new Set<string>()
  const stale = new Set<string>()
  Object.assign(client, {
    query: (...args: unknown[]) => {
      const [text, values] = args
      if (args.length !== 2 || typeof text !== 'string' || !Array.isArray(values) || values.length === 0) {
        return query(...args)
      }
      const name = statementName(text)
      if (stale.has(name) || (!named.has(name) && named.size >= PREPARED_PER_CONNECTION)) return query(text, values)
      named.add(name)
      return query({ name, text, values }).catch((error: unknown) => {
        if ((error as { code?: string }).code !== '0A000') throw error
        stale.add(name)
        return query(text, values)
      })
    },
  })
}

const INT8 = 20
const NUMERIC = 1700
function pgTypeParser(oid: number, format?: 'text' | 'binary') {
  // count(*) and sums come back as int8/numeric; our numbers all fit in a double.
  if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value)
  return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text')
}

/** Which engine a handle (or transaction) talks to: the few dialect differences branch on this. */
export function dialectOf(db: Tx): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite'
}

/**
 * True when the database answers a trivial query within `timeoutMs`. A hung server (or a pool whose every
 * connection waits on one) would otherwise hold /readyz for as long as the load balancer cares to wait.
 */
export async function ping(db: Db, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs)
  })
  const answer = sql`select 1`.execute(db).then(
    () => true,
    () => false,
  )
  try {
    return await Promise.race([answer, timeout])
  } finally {
    clearTimeout(timer)
  }
}
