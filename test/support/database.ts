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
  await migrateRetryingRaces(db, schema)
  opened.push(async () => {
    await db.destroy()
    await sql`drop schema ${sql.id(schema)} cascade`.execute(admin)
    await admin.destroy()
  })
  return { db, dialect: 'postgres' }
}

/**
 * Kysely's migrator introspects every schema of the database (`has_schema_privilege(nspname, …)`), so a
 * schema that another test file drops at that moment fails our migration with 3F000 (its schema) or 42P01
 * (one of its tables, from `pg_get_serial_sequence`) although ours exists.
 * The failure comes before any migration runs (each runs in its own transaction), so trying again is safe.
 */
async function migrateRetryingRaces(db: Db, schema: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateToLatest(db, { schema })
      return
    } catch (error) {
      const otherSchemaVanished =
        typeof error === 'object' &&
        error !== null &&
        'code' in error &&
        (error.code === '3F000' || error.code === '42P01') &&
        !String(error).includes(schema)
      if (!otherSchemaVanished || attempt >= 5) throw error
    }
  }
}
