import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll } from 'vitest'
import { type Dialect, openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import type { Db } from '#src/db/schema.ts'

/**
 * A fresh, migrated database for a test: in-memory SQLite by default, or a new schema on the
 * PostgreSQL server of TEST_DATABASE_URL when the suite runs as the `postgres` project (TEST_DB=postgres).
 * Everything opened here is closed (and its schema dropped) after the test file.
 */
export interface TestDatabase {
  db: Db
  dialect: Dialect
}

const opened: Array<() => Promise<void>> = []

afterAll(async () => {
  for (const close of opened.splice(0)) await close()
})

export function testDialect(): Dialect {
  return process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite'
}

export async function testDatabase(): Promise<TestDatabase> {
  if (testDialect() === 'sqlite') {
    const db = openDatabase({ kind: 'sqlite', file: ':memory:' })
    await migrateToLatest(db)
    opened.push(() => db.destroy())
    return { db, dialect: 'sqlite' }
  }
  const url = process.env.TEST_DATABASE_URL
  if (!url) throw new Error('TEST_DB=postgres needs TEST_DATABASE_URL')
  const schema = `t_${randomBytes(6).toString('hex')}`
  const admin = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
  await sql`create schema ${sql.id(schema)}`.execute(admin)
  const db = openDatabase({ kind: 'postgres', url }, { searchPath: schema, poolSize: 4 })
  await migrateToLatest(db, { schema })
  opened.push(async () => {
    await db.destroy()
    await sql`drop schema ${sql.id(schema)} cascade`.execute(admin)
    await admin.destroy()
  })
  return { db, dialect: 'postgres' }
}
