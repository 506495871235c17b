import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../support/database.ts'

/**
 * Bot tests live under test/, which runs as the `sqlite` project only; those that store what people type
 * choose their databases themselves: SQLite always, PostgreSQL too when the run has one (CI always does).
 */
export type Dialect = 'sqlite' | 'postgres'

export const botDialects: readonly Dialect[] = [
  'sqlite',
  ...(process.env.TEST_DATABASE_URL ? ['postgres' as const] : []),
]

/** A fresh migrated database of this dialect (closed and dropped after the file, as testDatabase does). */
export async function databaseFor(dialect: Dialect): Promise<Db> {
  const previous = process.env.TEST_DB
  process.env.TEST_DB = dialect
  try {
    return (await testDatabase()).db
  } finally {
    if (previous === undefined) delete process.env.TEST_DB
    else process.env.TEST_DB = previous
  }
}
