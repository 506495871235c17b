import { DomainError } from '#src/errors.ts'

/**
 * The loser of a race for a unique value (login, Telegram chat, name, a key) gets the database's constraint
 * error, not our earlier check: PostgreSQL runs the two transactions side by side. It becomes the same
 * `conflict` the check would have given. (SQLite serialises writers, so there the check decides.)
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false
  const code = error.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** Runs the work; a unique-constraint violation becomes `DomainError('conflict', message)`. */
export async function refuseDuplicate<T>(message: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('conflict', message)
    throw error
  }
}
