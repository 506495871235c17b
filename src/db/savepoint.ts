import { CompiledQuery, type Transaction } from 'kysely'
import type { Database } from './schema.ts'

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

/**
 * Opens a savepoint named `label`. Savepoints nest (one is released or rolled back before the one it was opened
 * in), and both engines resolve a name to the most recent savepoint of that name: a name reused at every depth
 * means the same as a name of its own each, and the SQL of each statement is always the same text (a text new
 * each time was prepared again each time on SQLite, two statements of every unit of a group commit).
 */
export async function openSavepoint(tx: Transaction<Database>, label: string): Promise<Savepoint> {
  const statements = statementsOf(label)
  await tx.executeQuery(statements.open)
  const release = async () => {
    await tx.executeQuery(statements.release)
  }
  return {
    release,
    async rollback() {
      try {
        await tx.executeQuery(statements.rollback)
        await release()
        return true
      } catch {
        return false
      }
    },
  }
}

interface SavepointStatements {
  open: CompiledQuery
  release: CompiledQuery
  rollback: CompiledQuery
}

const compiled = new Map<string, SavepointStatements>()

/** The three statements of a label, compiled once (a group commit runs two of them for each of its units). */
function statementsOf(label: string): SavepointStatements {
  let statements = compiled.get(label)
  if (!statements) {
    const name = `"${label.replaceAll('"', '""')}"`
    statements = {
      open: CompiledQuery.raw(`savepoint ${name}`),
      release: CompiledQuery.raw(`release savepoint ${name}`),
      rollback: CompiledQuery.raw(`rollback to savepoint ${name}`),
    }
    compiled.set(label, statements)
  }
  return statements
}
