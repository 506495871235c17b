import type { Transaction } from 'kysely'
import { walSyncOf } from './database.ts'
import { openSavepoint } from './savepoint.ts'
import type { Database, Db } from './schema.ts'

/** Units of work one commit takes at most: a bound on how long the first of them waits for its answer. */
const MAX_BATCH = 64

interface Unit {
  run: (tx: Transaction<Database>) => Promise<void>
  resolve: () => void
  reject: (error: unknown) => void
}

const waiting = new WeakMap<Db, Unit[]>()
const writing = new WeakSet<Db>()

/**
 * Runs `fn` in a transaction shared with the other units of work that arrived in the same turn of the event
 * loop, and resolves with its result once that transaction has committed and is on disk (issue 12). Work that
 * arrives together pays for one commit; its sync runs off the event loop (wal-sync.ts) while the next batch
 * is written, and is shared with the commits made meanwhile.
 *
 * Each unit runs in a savepoint of its own: a unit that throws rolls back its own writes only, and is
 * refused with its error at once (nothing of it was acknowledged); the others go on. A failed commit, or a
 * savepoint SQLite lost with the whole transaction (a full disk), refuses every unit of the batch: none of
 * them is answered before its writes are durable, so nothing acknowledged is lost.
 *
 * For SQLite only: one connection writes there, one transaction at a time. PostgreSQL commits concurrent
 * transactions on their own connections, and flushes their WAL together by itself.
 */
export function groupCommit<T>(db: Db, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let result: T
    const unit: Unit = {
      run: async (tx) => {
        result = await fn(tx)
      },
      resolve: () => resolve(result),
      reject,
    }
    const batch = waiting.get(db)
    if (batch) batch.push(unit)
    else {
      waiting.set(db, [unit])
      // After the current turn: the work started by this turn of the event loop joins the same batch.
      if (!writing.has(db)) setImmediate(() => void write(db))
    }
  })
}

async function write(db: Db): Promise<void> {
  const queued = waiting.get(db) ?? []
  const batch = queued.splice(0, MAX_BATCH)
  if (queued.length === 0) waiting.delete(db)
  if (batch.length === 0) return
  writing.add(db)
  // The batch's commit is synced after the connection is free (wal-sync.ts): the next batch runs meanwhile.
  const wal = walSyncOf(db)
  const done: Unit[] = []
  try {
    if (batch.length === 1) {
      // Alone: its own transaction, as before group commit (no savepoint to pay for).
      const [unit] = batch as [Unit]
      await db.transaction().execute(async (tx) => {
        await unit.run(tx)
        wal?.deferNextCommit()
      })
      done.push(unit)
    } else {
      await db.transaction().execute(async (tx) => {
        for (const unit of batch) {
          if (await inSavepoint(tx, unit)) done.push(unit)
        }
        wal?.deferNextCommit()
      })
    }
  } catch (error) {
    // The commit failed, or the transaction went with a unit's failure: no unit of the batch is durable.
    for (const unit of batch) unit.reject(error)
    return
  } finally {
    writing.delete(db)
    // Work that came while this batch committed is the next batch.
    if (waiting.has(db)) setImmediate(() => void write(db))
  }
  try {
    await wal?.durable()
  } catch (error) {
    // Committed, but not known to be on disk: refused, as if the commit had failed.
    for (const unit of done) unit.reject(error)
    return
  }
  for (const unit of done) unit.resolve()
}

/**
 * Runs one unit in a savepoint. True when it succeeded; false when it threw, and was rolled back and refused.
 * Throws when the rollback itself fails: SQLite rolled the whole transaction back (SQLITE_FULL, an I/O error).
 */
async function inSavepoint(tx: Transaction<Database>, unit: Unit): Promise<boolean> {
  const savepoint = await openSavepoint(tx, 'gc')
  try {
    await unit.run(tx)
  } catch (error) {
    // The savepoint went with the whole transaction: the batch fails, for the cause the unit met.
    if (!(await savepoint.rollback())) throw error
    unit.reject(error)
    return false
  }
  await savepoint.release()
  return true
}
