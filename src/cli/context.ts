import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { MAX_ID, parseId as rowId } from '#src/format/ids.ts'
import type { Actor } from '#src/users/actor.ts'
import type { Output } from './output.ts'

/**
 * What every command shares. The database, zod and the use cases are imported lazily, inside the
 * commands that need them: `--help` and a mistyped flag answer at once instead of loading everything.
 */

/** A mistake in how the command was called (or in its settings): one line on stderr and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** What every command gets: where to print, and a way to set the exit code without throwing. */
export interface CliContext {
  readonly output: Output
  exitCode: number
}

export interface Session {
  readonly config: Config
  readonly db: Db
  /** The person at the server's console: channel `cli`, journaled with the OS account and host (`cliActor`). */
  readonly actor: Actor
  readonly output: Output
}

/** The configuration from the environment; a bad setting is a usage error. */
export async function loadCliConfig(): Promise<Config> {
  const { ConfigError, loadConfig } = await import('#src/config.ts')
  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message)
    throw error
  }
}

/**
 * Opens the configured database, brings it up to date (as MIGRATION_DATABASE_URL's owner when set), sets
 * the journal's key, runs `work`, seals its journal rows and closes the database again whatever happens.
 */
export async function withDatabase<T>(output: Output, work: (session: Session) => Promise<T>): Promise<T> {
  const config = await loadCliConfig()
  const [{ chainJournal, setAuditKey }, { openDatabase }, { migrateDatabase }, { cliActor }] = await Promise.all([
    import('#src/audit/journal.ts'),
    import('#src/db/database.ts'),
    import('#src/db/app-role.ts'),
    import('#src/users/actor.ts'),
  ])
  setAuditKey(config.auditKey)
  const db = openDatabase(config.database, { poolSize: 2 })
  try {
    await migrateDatabase(db, config)
    const result = await work({ config, db, actor: cliActor(), output })
    // PostgreSQL: the command's journal rows are sealed before it ends, with or without a server running.
    await chainJournal(db)
    return result
  } finally {
    await db.destroy()
  }
}

/** A positive whole number from a flag, or a usage error naming the flag. */
export function parseId(value: string | undefined, flag: string): number {
  // Bounded as every edge bounds ids: past MAX_ID PostgreSQL would refuse the query with an error.
  const id = rowId(value)
  if (id === undefined) {
    throw new UsageError(`${flag}: нужно целое положительное число до ${MAX_ID}, получено «${value ?? ''}»`)
  }
  return id
}
