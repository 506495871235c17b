import { sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { testDatabase, testDatabaseUrl, testDialect } from '../../test/support/database.ts'
import { openDatabase, ping } from './database.ts'
import { transact } from './transaction.ts'
import { outageOf } from './unavailable.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

if (testDialect() === 'postgres')
  describe('a PostgreSQL connection killed under the app', () => {
    // Before the fix, the socket's end reached a checked-out client with no 'error' listener: an uncaught
    // exception that ended the process (vitest reports it as an unhandled error and fails the file).
    test('while checked out by a transaction: the transaction fails as an outage, the pool reconnects', async () => {
      const { db } = await testDatabase()
      const failure = await db
        .transaction()
        .execute(async (tx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)
          // Another pooled connection kills this one, as an administrator (or a failover) would.
          await sql`select pg_terminate_backend(${rows[0]?.pid})`.execute(db)
          // The termination and the socket's end arrive while the client sits checked out and idle.
          await sleep(200)
          await sql`select 1`.execute(tx)
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      expect(failure).toBeInstanceOf(Error)
      expect(outageOf(failure)).toBe('database')
      expect(await ping(db)).toBe(true)
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db)
      expect(rows).toEqual([{ one: 1 }])
    })

    test('while a query runs: it fails as an outage and the next query works', async () => {
      const { db } = await testDatabase()
      const failure = await db
        .connection()
        .execute(async (conn) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn)
          // Its rejection is awaited only after the kill: caught now, so that it is never an unhandled one.
          const running = sql`select pg_sleep(5)`.execute(conn).then(
            () => undefined,
            (error: unknown) => error,
          )
          await sleep(100)
          await sql`select pg_terminate_backend(${rows[0]?.pid})`.execute(db)
          throw await running
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      expect(outageOf(failure)).toBe('database')
      // The server's FATAL message reaches the query before the socket's end reaches the client: until then
      // the pool may hand the dying client out once more (that request fails as an outage too).
      await sleep(100)
      expect(await ping(db)).toBe(true)
    })

    test('ping gives up after its time limit: readyz answers while the database hangs', async () => {
      const { db } = await testDatabase()
      // Every pooled connection (the test pool has 4) busy in a query that does not come back soon.
      const hung = Array.from({ length: 4 }, () => sql`select pg_sleep(1.5)`.execute(db))
      await sleep(100)
      expect(await ping(db, 200)).toBe(false)
      await Promise.all(hung)
      expect(await ping(db)).toBe(true)
    })
  })

describe('ping', () => {
  test('is true while the database answers and false once it is closed', async () => {
    const { db } = await testDatabase()
    expect(await ping(db)).toBe(true)
    await db.destroy()
    expect(await ping(db)).toBe(false)
  })
})

if (testDialect() === 'sqlite')
  describe('a transaction SQLite rolled back by itself', () => {
    // SQLite ends the whole transaction on its own after some errors (SQLITE_FULL at commit on a full
    // disk); a raw `rollback` inside the transaction puts it in that state without filling a disk.
    test('fails with its own error, not «no transaction is active» from the second rollback', async () => {
      const { db } = await testDatabase()
      const failure = db.transaction().execute(async (tx) => {
        await sql`rollback`.execute(tx)
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
      })
      await expect(failure).rejects.toMatchObject({ code: 'SQLITE_FULL' })
      expect(await ping(db)).toBe(true)
    })

    test('a nested use case (savepoint) keeps its own error too', async () => {
      const { db } = await testDatabase()
      const failure = db.transaction().execute((tx) =>
        transact(tx, async (inner) => {
          await sql`rollback`.execute(inner)
          throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
        }),
      )
      await expect(failure).rejects.toMatchObject({ code: 'SQLITE_FULL' })
    })
  })

if (testDialect() === 'postgres')
  test('PostgreSQL plans our statements without parallel workers, on the main handle and the read-only one', async () => {
    const url = await testDatabaseUrl()
    for (const options of [{}, { readOnly: true }]) {
      const db = openDatabase({ kind: 'postgres', url }, { poolSize: 1, ...options })
      try {
        const shown = await sql<{
          value: string
        }>`select current_setting('max_parallel_workers_per_gather') as value`.execute(db)
        expect(shown.rows).toEqual([{ value: '0' }])
      } finally {
        await db.destroy()
      }
    }
  })

if (testDialect() === 'postgres')
  test('PostgreSQL parses a parameterised query once per connection: it is prepared under a name from its text', async () => {
    const db = openDatabase({ kind: 'postgres', url: await testDatabaseUrl() }, { poolSize: 1 })
    try {
      const prepared = async () =>
        (
          await sql<{ statement: string }>`select statement from pg_prepared_statements order by statement`.execute(db)
        ).rows.map((r) => r.statement)
      for (const id of [1, 2, 3]) await db.selectFrom('users').select('id').where('id', '=', id).execute()
      await db.selectFrom('users').select('login').execute()
      // One statement for the three runs; the query without parameters (and the one listing) is not named.
      expect(await prepared()).toEqual(['select "id" from "users" where "id" = $1'])
      expect(await db.selectFrom('users').select('id').where('id', '=', 1).execute()).toEqual([])
    } finally {
      await db.destroy()
    }
  })

if (testDialect() === 'postgres')
  test('a named statement whose table another instance changed is sent again unnamed, and stays unnamed', async () => {
    const url = await testDatabaseUrl()
    const db = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
    const other = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
    try {
      const read = () => db.selectFrom('departments').selectAll().where('id', '<', 0).execute()
      expect(await read()).toEqual([])
      // An upgrade's migration, run by another instance: `select *` now has another column.
      await sql`alter table departments add column extra text`.execute(other)
      expect(await read()).toEqual([])
      expect(await read()).toEqual([])
    } finally {
      await db.destroy()
      await other.destroy()
    }
  })
