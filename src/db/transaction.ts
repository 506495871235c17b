import { sql, type Transaction } from 'kysely'
import { dialectOf } from './database.ts'
import { groupCommit } from './group-commit.ts'
import type { Database, Db } from './schema.ts'

let savepoints = 0

/**
 * Runs `fn` in a transaction. Given a handle, it opens one (on SQLite, one shared with the other work of
 * the same turn, committed once for all: `group-commit.ts`); given an open transaction (the bot applies a
 * Telegram update and its effects in one), it nests through a savepoint, so that a refused use case
 * rolls back its own writes and leaves the caller's transaction usable.
 */
export async function transact<T>(db: Db, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (!db.isTransaction) return dialectOf(db) === 'sqlite' ? groupCommit(db, fn) : db.transaction().execute(fn)
  const tx = db as Transaction<Database>
  const name = sql.id(`uc_${++savepoints}`)
  await sql`savepoint ${name}`.execute(tx)
  try {
    const result = await fn(tx)
    await sql`release savepoint ${name}`.execute(tx)
    return result
  } catch (error) {
    try {
      await sql`rollback to savepoint ${name}`.execute(tx)
      await sql`release savepoint ${name}`.execute(tx)
    } catch {
      // The savepoint went with the whole transaction (SQLite rolls back by itself on a full disk, a
      // PostgreSQL connection died): the caller's transaction fails too, and for the cause that is thrown.
    }
    throw error
  }
}
