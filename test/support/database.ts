import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { onTestFinished } from 'vitest'
import { type Dialect, openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import type { Database, Db } from '#src/db/schema.ts'
import { capturePristine, type Pristine, recycle } from './pg-recycle.ts'

/**
 * A fresh, migrated database for a test: in-memory SQLite by default, or a new database on the
 * PostgreSQL server of TEST_DATABASE_URL when the suite runs as the `postgres` project (TEST_DB=postgres),
 * cloned from a migrated template. Everything opened here is closed (and dropped) after the test file.
 */
export interface TestDatabase {
  db: Db
  dialect: Dialect
}

const opened: Array<() => Promise<void>> = []

/** After each test file (test/support/setup.ts): everything opened here is closed, PostgreSQL's dropped. */
export async function closeTestDatabases(): Promise<void> {
  for (const close of opened.splice(0)) await close()
  const url = process.env.TEST_DATABASE_URL
  if (url) for (const name of recycled.splice(0)) await dropDatabase(url, name)
  const pool = adminPool
  adminPool = undefined
  await pool?.db.destroy()
}

export function testDialect(): Dialect {
  return process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite'
}

export async function testDatabase(): Promise<TestDatabase> {
  if (testDialect() === 'sqlite') {
    const db = openDatabase({ kind: 'sqlite', file: ':memory:' })
    await migrateToLatest(db)
    closeAfter(() => db.destroy())
    return { db, dialect: 'sqlite' }
  }
  const url = process.env.TEST_DATABASE_URL
  if (!url) throw new Error('TEST_DB=postgres needs TEST_DATABASE_URL')
  // A database an earlier test of this file used, put back as it was cloned (pg-recycle.ts), or a new clone.
  const name = recycled.pop() ?? (await cloneTemplate(url)).name
  const dbUrl = withDatabase(url, name)
  pristine ??= capturePristine(dbUrl)
  const state = await pristine
  const db = openDatabase({ kind: 'postgres', url: dbUrl }, { poolSize: 4, asyncCommit: true })
  closeAfter(async () => {
    await db.destroy()
    if (await recycle(dbUrl, state)) recycled.push(name)
    else await dropDatabase(url, name)
  })
  return { db, dialect: 'postgres' }
}

/** Databases of this process emptied back to the template's state, for its next tests (dropped at its end). */
const recycled: string[] = []
/** The template's state, read from this process's first clone before any test used it. */
let pristine: Promise<Pristine> | undefined

/**
 * A database made inside a test is closed (and dropped) when that test ends, one made in a `beforeAll` when
 * the file ends: a file of thirty tests used to hold thirty databases' connections to its end, and two
 * workers side by side came near PostgreSQL's `max_connections` (100).
 */
function closeAfter(close: () => Promise<void>): void {
  try {
    onTestFinished(close)
  } catch {
    // Not inside a test (a beforeAll): the file's end closes it.
    opened.push(close)
  }
}

/** One connection of the process creates and drops the test databases. */
let adminPool: { url: string; db: Db } | undefined
function admin(url: string): Db {
  if (adminPool?.url !== url) adminPool = { url, db: openDatabase({ kind: 'postgres', url }, { poolSize: 1 }) }
  return adminPool.db
}

async function dropDatabase(url: string, name: string): Promise<void> {
  await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin(url))
}

/**
 * PostgreSQL only: the address of a fresh migrated database, dropped after the test file, for code that
 * opens its own connections (a worker thread).
 */
export async function testDatabaseUrl(): Promise<string> {
  const url = process.env.TEST_DATABASE_URL
  if (!url) throw new Error('TEST_DB=postgres needs TEST_DATABASE_URL')
  const { name } = await cloneTemplate(url)
  closeAfter(() => dropDatabase(url, name))
  return withDatabase(url, name)
}

let template: Promise<string> | undefined

async function cloneTemplate(url: string): Promise<{ name: string }> {
  const source = await migratedTemplate(url)
  const name = `hd_test_${randomBytes(6).toString('hex')}`
  await sql`create database ${sql.id(name)} template ${sql.id(source)}`.execute(admin(url))
  return { name }
}

/**
 * Migrating a fresh PostgreSQL database for every test costs a few hundred milliseconds; cloning a migrated
 * template (`create database … template …`) costs a few dozen. The template is named after a hash of the
 * migrations' source and their list, so a changed migration builds a new one; an advisory lock lets one test process build
 * it while the others wait.
 */
function migratedTemplate(url: string): Promise<string> {
  template ??= (async () => {
    const name = `hd_template_${migrationsHash()}`
    const admin = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
    try {
      await sql`select pg_advisory_lock(727274001)`.execute(admin)
      const exists = await sql<{ one: number }>`select 1 as one from pg_database where datname = ${name}`.execute(admin)
      if (exists.rows.length === 0) {
        await sql`create database ${sql.id(name)}`.execute(admin)
        const db = openDatabase({ kind: 'postgres', url: withDatabase(url, name) }, { poolSize: 1 })
        try {
          await migrateToLatest(db)
        } catch (error) {
          await db.destroy()
          await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
          throw error
        }
        await db.destroy()
      }
      await sql`select pg_advisory_unlock(727274001)`.execute(admin)
      return name
    } finally {
      await admin.destroy()
    }
  })()
  return template
}

function migrationsHash(): string {
  const dir = path.join(import.meta.dirname, '../../src/db/migrations')
  const hash = createHash('sha256')
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(path.join(dir, file)))
  // The list of applied migrations lives in migrate.ts: a file added before it is listed must not leave a
  // template without that migration behind under the final hash.
  hash.update(readFileSync(path.join(dir, '../migrate.ts')))
  return hash.digest('hex').slice(0, 16)
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** How many rows a table holds. */
export async function rowCount(db: Db, table: keyof Database): Promise<number> {
  const found = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow()
  return Number(found.n)
}
