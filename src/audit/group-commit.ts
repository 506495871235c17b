import { dialectOf } from '#src/db/database.ts'
import type { AuditRow, Db, Tx } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { type AuditEntry, audit } from './journal.ts'

/**
 * Journals a read by group commit (issue 12). SQLite makes every commit durable with an fsync that holds the
 * event loop; a read that only journals need not pay one of its own. Reads that arrive together wait for one
 * transaction that writes all their rows, each chained as `audit` chains it, and each read answers only once
 * that transaction has committed: a shown page is never unjournaled, and a journal that cannot be written
 * fails every read of the batch (fail closed, as `audit` does).
 *
 * Inside a transaction (a bot update applies its reads with its effects) the row goes with that transaction;
 * PostgreSQL writes the row at once, unsealed, without queueing behind other writers (journal.ts).
 */
export function auditRead(db: Tx, actor: Actor, entry: AuditEntry): Promise<AuditRow> {
  if (db.isTransaction || dialectOf(db) === 'postgres') return audit(db, actor, entry)
  const root = db as Db
  return new Promise((resolve, reject) => {
    const batch = waiting.get(root)
    if (batch) batch.push({ actor, entry, resolve, reject })
    else {
      waiting.set(root, [{ actor, entry, resolve, reject }])
      // After the current turn: the reads served by this turn of the event loop join the same batch.
      if (!writing.has(root)) setImmediate(() => void write(root))
    }
  })
}

interface Waiting {
  actor: Actor
  entry: AuditEntry
  resolve: (row: AuditRow) => void
  reject: (error: unknown) => void
}

const waiting = new WeakMap<Db, Waiting[]>()
const writing = new WeakSet<Db>()

async function write(db: Db): Promise<void> {
  const batch = waiting.get(db) ?? []
  waiting.delete(db)
  if (batch.length === 0) return
  writing.add(db)
  try {
    const rows = await db.transaction().execute(async (tx) => {
      const written: AuditRow[] = []
      for (const { actor, entry } of batch) written.push(await audit(tx, actor, entry))
      return written
    })
    for (const [i, { resolve }] of batch.entries()) resolve(rows[i] as AuditRow)
  } catch (error) {
    for (const { reject } of batch) reject(error)
  } finally {
    writing.delete(db)
    // Reads that came while this batch committed are the next batch.
    if (waiting.has(db)) setImmediate(() => void write(db))
  }
}
