import type { Transaction } from 'kysely'
import { dialectOf } from './database.ts'
import { groupCommit } from './group-commit.ts'
import { openSavepoint } from './savepoint.ts'
import type { Database, Db, Tx } from './schema.ts'

/**
 * Runs `fn` in a transaction. Given a handle, it opens one (on SQLite, one shared with the other work of
 * the same turn, committed once for all: `group-commit.ts`); given an open transaction (the bot applies a
 * Telegram update and its effects in one), it nests through a savepoint, so that a refused use case
 * rolls back its own writes and leaves the caller's transaction usable.
 */
export async function transact<T>(db: Db, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (!db.isTransaction) return dialectOf(db) === 'sqlite' ? groupCommit(db, fn) : db.transaction().execute(fn)
  const tx = db as Transaction<Database>
  const savepoint = await openSavepoint(tx, 'uc')
  try {
    const result = await fn(tx)
    await savepoint.release()
    return result
  } catch (error) {
    // Rolled back alone; or the savepoint went with the whole transaction, and the caller's fails too, for the
    // cause that is thrown here.
    await savepoint.rollback()
    throw error
  }
}

/**
 * Runs a read that journals itself (`audit` among its statements). On SQLite, or inside a transaction, it is
 * `transact`: one snapshot, the journal row in the turn's group commit, answered once durable. On PostgreSQL it
 * runs on the handle: under READ COMMITTED a transaction gives its statements no common snapshot anyway, and the
 * journal row is a statement that commits on its own before anything is answered (journal.ts). A ticket view
 * saved BEGIN and COMMIT, two of its fourteen round trips. A read that fails after its journal row leaves the
 * row: a read journaled and not answered, never one answered and not journaled.
 */
export function journaledRead<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!db.isTransaction && dialectOf(db) === 'postgres') return fn(db)
  return transact(db, fn)
}
