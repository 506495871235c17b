import { type RawBuilder, sql, type Transaction } from 'kysely'
import type { Database } from './schema.ts'

let savepoints = 0

/** A savepoint opened in a transaction, to roll back the writes made after it alone. */
export interface Savepoint {
  /** Keeps the writes made since it was opened, and ends it. */
  release(): Promise<void>
  /**
   * Undoes the writes made since it was opened, and ends it. False when there was nothing left to roll back
   * to: the savepoint went with the whole transaction (SQLite rolls back by itself on a full disk or an I/O
   * error, a PostgreSQL connection died), so the transaction fails too.
   */
  rollback(): Promise<boolean>
}

export async function openSavepoint(tx: Transaction<Database>, prefix: string): Promise<Savepoint> {
  const name: RawBuilder<unknown> = sql.id(`${prefix}_${++savepoints}`)
  await sql`savepoint ${name}`.execute(tx)
  const release = async () => {
    await sql`release savepoint ${name}`.execute(tx)
  }
  return {
    release,
    async rollback() {
      try {
        await sql`rollback to savepoint ${name}`.execute(tx)
        await release()
        return true
      } catch {
        return false
      }
    },
  }
}
