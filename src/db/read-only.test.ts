import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { CompiledQuery, sql } from 'kysely'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { DatabaseConfig } from '#src/config.ts'
import { testDatabase, testDatabaseUrl, testDialect } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { openDatabase } from './database.ts'
import { migrateToLatest } from './migrate.ts'
import { closeReadOnlyDb, openReadOnlyDb, type ReadOnlyOptions, readThreadsOf } from './read-only.ts'
import type { Db } from './schema.ts'

const sqlite = testDialect() === 'sqlite'

/**
 * The main handle and the read handle over one database: on SQLite a file (an in-memory database has nothing
 * a thread could open), on PostgreSQL a fresh database of the test server.
 */
async function handles(options: ReadOnlyOptions = {}): Promise<{ db: Db; readDb: Db }> {
  let config: DatabaseConfig
  if (sqlite) {
    const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-read-only-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    config = { kind: 'sqlite', file: path.join(dir, 'helpdesk.sqlite') }
  } else {
    config = { kind: 'postgres', url: await testDatabaseUrl() }
  }
  const db = openDatabase(config, { poolSize: 2 })
  if (sqlite) await migrateToLatest(db)
  const readDb = openReadOnlyDb(config, db, { poolSize: 2, ...options })
  // Registered after the folder's removal: runs first (vitest runs these in reverse).
  onTestFinished(async () => {
    await closeReadOnlyDb(readDb, db)
    await db.destroy()
  })
  return { db, readDb }
}

/** Timer ticks (every millisecond asked) while `work` runs: none when it holds the event loop throughout. */
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  try {
    const running = work()
    const before = ticks
    await running
    return ticks - before
  } finally {
    clearInterval(timer)
  }
}

/** A read that keeps SQLite busy for a while (counts to a million); PostgreSQL sleeps. */
function slowRead(db: Db) {
  return sqlite
    ? sql<{
        n: number
      }>`with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000000) select count(*) as n from c`.execute(
        db,
      )
    : sql<{ n: number }>`select count(*) as n from (select pg_sleep(0.3)) s`.execute(db)
}

describe('the read-only database', () => {
  test('answers the same rows as the main one, and sees what the main one commits later', async () => {
    const { db, readDb } = await handles()
    const requester = await buildUser(db, { fullName: 'Ёлкина Анна Сергеевна' })
    await buildTicket(db, { requesterId: requester.id, title: 'Не печатает принтер' })
    await buildTicket(db, { requesterId: requester.id, title: 'Нет сети; "кавычки"' })
    const read = (from: Db) =>
      from
        .selectFrom('tickets')
        .innerJoin('users', 'users.id', 'tickets.requester_id')
        .select(['tickets.id', 'tickets.title', 'tickets.status', 'users.full_name'])
        .where('users.full_name', '=', 'Ёлкина Анна Сергеевна')
        .orderBy('tickets.id')
        .execute()
    const main = await read(db)
    expect(main).toHaveLength(2)
    expect(await read(readDb)).toEqual(main)
    expect(await readDb.selectFrom('users').selectAll().orderBy('id').execute()).toEqual(
      await db.selectFrom('users').selectAll().orderBy('id').execute(),
    )

    await buildTicket(db, { requesterId: requester.id, title: 'Третья' })
    expect(await read(readDb)).toHaveLength(3)
  })

  test('refuses a write, and the row is not there', async () => {
    const { db, readDb } = await handles()
    const user = await buildUser(db, { fullName: 'Прежнее Имя' })
    const write = readDb.updateTable('users').set({ full_name: 'Новое Имя' }).where('id', '=', user.id).execute()
    if (sqlite) {
      const error = await write.catch((e: unknown) => e)
      // The thread's error arrives as better-sqlite3's own, with its code.
      expect(error).toBeInstanceOf(Database.SqliteError)
      expect(error).toMatchObject({ code: expect.stringMatching(/^SQLITE_READONLY/) })
    } else {
      // read_only_sql_transaction
      await expect(write).rejects.toMatchObject({ code: '25006' })
    }
    const row = await db.selectFrom('users').select('full_name').where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(row.full_name).toBe('Прежнее Имя')
  })

  test('a slow read leaves the event loop free: timers keep firing while it runs', async () => {
    const { db, readDb } = await handles()
    const ticks = await ticksDuring(async () => {
      const { rows } = await slowRead(readDb)
      expect(Number(rows[0]?.n)).toBe(sqlite ? 1_000_000 : 1)
    })
    expect(ticks).toBeGreaterThan(5)
    // The same read on the main SQLite connection holds the loop: what the threads are for.
    if (sqlite) expect(await ticksDuring(() => slowRead(db))).toBe(0)
  })

  test('a failing query fails alone: an error with its code, and the pool answers the next ones', async () => {
    const { readDb } = await handles()
    const failing = sql`select * from no_such_table`.execute(readDb)
    if (sqlite) {
      const error = await failing.catch((e: unknown) => e)
      expect(error).toBeInstanceOf(Database.SqliteError)
      expect(error).toMatchObject({ code: 'SQLITE_ERROR', message: expect.stringContaining('no_such_table') })
    } else {
      await expect(failing).rejects.toMatchObject({ code: '42P01' })
    }
    // More reads at once than there are threads (or connections): each waits its turn, none is lost.
    const counts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => sql<{ n: number }>`select ${i} + 1 as n`.execute(readDb)),
    )
    expect(counts.map((r) => Number(r.rows[0]?.n))).toEqual([1, 2, 3, 4, 5, 6])
  })

  test('a transaction reads on one connection, and one that fails is rolled back and leaves it usable', async () => {
    const { db, readDb } = await handles({ threads: 1 })
    await buildUser(db)
    const counted = await readDb.transaction().execute(async (tx) => {
      const first = await tx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
      const second = await tx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
      return [Number(first?.n), Number(second?.n)]
    })
    expect(counted).toEqual([1, 1])
    await expect(
      readDb.transaction().execute(async (tx) => {
        await sql`select * from no_such_table`.execute(tx)
      }),
    ).rejects.toThrow(/no_such_table|does not exist/)
    const after = await readDb
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst()
    expect(Number(after?.n)).toBe(1)
  })

  // The threads are SQLite's; defined only there, never skipped.
  if (sqlite) {
    test('a parameter that cannot reach the thread fails its query, and the pool goes on', async () => {
      const { readDb } = await handles({ threads: 1 })
      const uncopyable = readDb.executeQuery(CompiledQuery.raw('select ? as n', [Symbol('not data')]))
      await expect(uncopyable).rejects.toThrow(/could not be cloned/)
      const { rows } = await sql<{ n: number }>`select 7 as n`.execute(readDb)
      expect(rows[0]?.n).toBe(7)
    })

    test('a thread that dies fails its read, nothing waits for ever, and a new thread answers the next', async () => {
      const { readDb } = await handles({ threads: 1 })
      await sql`select 1`.execute(readDb)
      const [thread] = readThreadsOf(readDb)
      expect(thread).toBeDefined()
      const cut = slowRead(readDb)
      await thread?.terminate()
      await expect(cut).rejects.toThrow(/exited/)
      const { rows } = await sql<{ n: number }>`select 41 + 1 as n`.execute(readDb)
      expect(rows[0]?.n).toBe(42)
      const [next] = readThreadsOf(readDb)
      expect(next).toBeDefined()
      expect(next).not.toBe(thread)
    })

    test('an in-memory database has no file to share: the main handle is given back', async () => {
      const { db } = await testDatabase()
      const readDb = openReadOnlyDb({ kind: 'sqlite', file: ':memory:' }, db)
      expect(readDb).toBe(db)
      await closeReadOnlyDb(readDb, db)
      // Still open: closing the read handle left the main one alone.
      await expect(sql`select 1`.execute(db)).resolves.toBeDefined()
    })
  }

  test('after destroy a read is refused rather than left waiting', async () => {
    const { readDb } = await handles()
    await sql`select 1`.execute(readDb)
    await readDb.destroy()
    await expect(sql`select 1`.execute(readDb)).rejects.toThrow()
  })
})
