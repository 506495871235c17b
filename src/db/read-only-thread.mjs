// One thread of the read-only SQLite pool (src/db/read-only.ts): a read-only connection to the database file,
// which runs the queries it is posted and answers their rows. Plain JavaScript, so that the compiled build
// (dist/, where it is copied as it is) and the sources (tsx, vitest) run the same file without a compiler.
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

/** Rows per message: a large answer arrives in several, and the main thread reads each in its own turn. */
const CHUNK_ROWS = 2000
/** Prepared statements kept for reuse, by their SQL: the app asks the same few queries again and again. */
const KEPT_STATEMENTS = 200

/** @type {import('better-sqlite3').Database | undefined} */
let db
/** @type {Map<string, import('better-sqlite3').Statement>} */
const statements = new Map()

/**
 * Opened on the first query rather than at start: a file that cannot be opened fails that query (and is
 * tried again with the next) instead of killing the thread.
 */
function open() {
  if (db) return db
  const opened = new Database(workerData.file, { readonly: true, fileMustExist: true })
  try {
    // A reader in rollback-journal mode would hold writers off for as long as it reads: only WAL lets a long
    // report run beside them. The main connection made the file WAL (openDatabase); a read-only one cannot.
    const mode = opened.pragma('journal_mode', { simple: true })
    if (mode !== 'wal') throw new Error(`read-only thread: ${workerData.file} is in ${mode} mode, not WAL`)
    opened.pragma('query_only = ON')
    opened.pragma('busy_timeout = 5000')
    // As the main connection (database.ts): a page cache of its own, 16 MB, and no memory map.
    opened.pragma('cache_size = -16384')
  } catch (error) {
    opened.close()
    throw error
  }
  db = opened
  return db
}

function prepare(sql) {
  const kept = statements.get(sql)
  if (kept) {
    // Least recently used goes first: move this one to the end.
    statements.delete(sql)
    statements.set(sql, kept)
    return kept
  }
  const statement = open().prepare(sql)
  statements.set(sql, statement)
  if (statements.size > KEPT_STATEMENTS) statements.delete(statements.keys().next().value)
  return statement
}

function describe(error) {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  return { name: error.name, message: error.message, code: typeof error.code === 'string' ? error.code : undefined }
}

parentPort?.on('message', (message) => {
  if (message.close) {
    statements.clear()
    db?.close()
    db = undefined
    parentPort?.close()
    return
  }
  const { id, sql, parameters } = message
  try {
    const statement = prepare(sql)
    if (!statement.reader) {
      // begin, commit, rollback, savepoints; a write fails here (query_only, read-only file).
      const { changes } = statement.run(parameters)
      parentPort?.postMessage({ id, done: true, changes, inTransaction: db?.inTransaction ?? false })
      return
    }
    const rows = statement.all(parameters)
    let start = 0
    for (; rows.length - start > CHUNK_ROWS; start += CHUNK_ROWS) {
      parentPort?.postMessage({ id, rows: rows.slice(start, start + CHUNK_ROWS) })
    }
    parentPort?.postMessage({ id, done: true, rows: rows.slice(start), inTransaction: db?.inTransaction ?? false })
  } catch (error) {
    parentPort?.postMessage({ id, done: true, error: describe(error), inTransaction: db?.inTransaction ?? false })
  }
})
