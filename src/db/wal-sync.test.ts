import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterEach, describe, expect, test } from 'vitest'
import { audit, verifyJournal } from '#src/audit/journal.ts'
import { systemActor } from '#src/users/actor.ts'
import { openDatabase, walSyncOf } from './database.ts'
import { migrateToLatest } from './migrate.ts'
import type { Db, Tx } from './schema.ts'
import { transact } from './transaction.ts'
import { WalSync } from './wal-sync.ts'

type Done = (error: Error | null) => void

/** A sync that runs at once until `hold()`, then is held back until the test lets it go (or fails it). */
function heldSync() {
  const held: Done[] = []
  let holding = false
  return {
    sync: (_fd: number, done: Done) => {
      if (holding) held.push(done)
      else setImmediate(() => done(null))
    },
    hold: () => {
      holding = true
    },
    held,
    release: (error: Error | null = null) => {
      for (const done of held.splice(0)) done(error)
    },
  }
}

/** Whether a promise has settled, after the event loop had a few turns to settle it. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  promise.then(
    () => (done = true),
    () => (done = true),
  )
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
  return done
}

const dirs: string[] = []
const opened: Db[] = []
afterEach(async () => {
  for (const db of opened.splice(0)) await db.destroy()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function fileDatabase(syncWal?: (fd: number, done: Done) => void): Promise<Db> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hd-wal-'))
  dirs.push(dir)
  const db = openDatabase({ kind: 'sqlite', file: path.join(dir, 'helpdesk.sqlite') }, { syncWal })
  opened.push(db)
  await migrateToLatest(db)
  return db
}

const putSetting = (db: Tx, key: string) =>
  db.insertInto('settings').values({ key, value: '1', updated_at: 'now', updated_by: null }).execute()

const hasSetting = async (db: Db, key: string) =>
  (await db.selectFrom('settings').select('key').where('key', '=', key).executeTakeFirst()) !== undefined

describe('WalSync', () => {
  test('a WAL file that cannot be opened fails the sync, and every later one: none is answered as durable', async () => {
    const { sync, held } = heldSync()
    const wal = new WalSync(path.join(tmpdir(), 'unused-wal'), sync)
    // No commit yet: nothing to wait for, and no sync is run.
    await wal.durable()
    expect(wal.syncs).toBe(0)

    wal.committed()
    const first = wal.durable()
    wal.committed()
    wal.committed()
    const second = wal.durable()
    const third = wal.durable()
    expect(held).toHaveLength(0) // the WAL file is opened at the first sync, which fails without one …
    await expect(first).rejects.toThrow(/ENOENT/)
    await expect(second).rejects.toThrow(/ENOENT/)
    // … and a failure is final: no later commit is ever answered as durable.
    await expect(third).rejects.toThrow(/ENOENT/)
    wal.committed()
    await expect(wal.durable()).rejects.toThrow(/ENOENT/)
  })

  test('on a real file: one sync at a time, the commits of its run covered by the next', async () => {
    const { sync, hold, held, release } = heldSync()
    const db = await fileDatabase(sync)
    const wal = walSyncOf(db) as WalSync
    hold()
    const before = wal.syncs

    wal.committed()
    const first = wal.durable()
    await settled(first)
    expect(held).toHaveLength(1)
    wal.committed()
    const second = wal.durable()
    wal.committed()
    const third = wal.durable()
    expect(held).toHaveLength(1) // one sync at a time
    release()
    expect(await settled(first)).toBe(true)
    expect(await settled(second)).toBe(false) // written after the first sync began
    expect(held).toHaveLength(1) // the next sync, for both
    release()
    expect(await settled(Promise.all([second, third]))).toBe(true)
    expect(wal.syncs - before).toBe(2)
  })
})

describe('durable commits on SQLite with the WAL synced off the event loop', () => {
  test('the connection leaves syncing to us: synchronous = NORMAL with a WAL (FULL in memory)', async () => {
    const db = await fileDatabase()
    const mode = await sql<{ synchronous: number }>`pragma synchronous`.execute(db)
    expect(mode.rows[0]?.synchronous).toBe(1)
    expect(walSyncOf(db)).toBeInstanceOf(WalSync)
    const memory = openDatabase({ kind: 'sqlite', file: ':memory:' })
    opened.push(memory)
    const full = await sql<{ synchronous: number }>`pragma synchronous`.execute(memory)
    expect(full.rows[0]?.synchronous).toBe(2)
    expect(walSyncOf(memory)).toBeUndefined()
  })

  test('a transaction is answered only after its sync, and the next batch commits meanwhile', async () => {
    const { sync, hold, held, release } = heldSync()
    const db = await fileDatabase(sync)
    hold()

    const first = transact(db, (tx) => putSetting(tx, 'wal.first'))
    expect(await settled(first)).toBe(false)
    // Committed (another reader sees it) but not answered: its sync is held.
    expect(await hasSetting(db, 'wal.first')).toBe(true)
    expect(held).toHaveLength(1)

    // The connection is free: the next batch commits while the first one's sync runs.
    const second = transact(db, (tx) => putSetting(tx, 'wal.second'))
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    expect(await hasSetting(db, 'wal.second')).toBe(true)
    expect(await settled(second)).toBe(false)

    release()
    expect(await settled(first)).toBe(true)
    expect(await settled(second)).toBe(false)
    release()
    await Promise.all([first, second])
  })

  test('a statement that writes on its own, and a transaction opened directly, wait for their sync too', async () => {
    const { sync, hold, held, release } = heldSync()
    const db = await fileDatabase(sync)
    hold()

    const alone = putSetting(db, 'wal.alone')
    expect(await settled(alone)).toBe(false)
    expect(held).toHaveLength(1)
    release()
    await alone

    const direct = db.transaction().execute((tx) => putSetting(tx, 'wal.direct'))
    expect(await settled(direct)).toBe(false)
    release()
    await direct

    // A read commits nothing: no sync is asked for.
    await db.selectFrom('settings').selectAll().execute()
    expect(held).toHaveLength(0)
  })

  test('a failed sync refuses the commits it covered and every one after it', async () => {
    const { sync, hold, release } = heldSync()
    const db = await fileDatabase(sync)
    hold()

    const reads = [1, 2, 3].map((i) =>
      audit(db, systemActor(), { action: 'test.read', description: `Просмотр ${i}`, pdn: true }),
    )
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
    const results = await Promise.allSettled(reads)
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected'])
    await expect(transact(db, (tx) => putSetting(tx, 'wal.after'))).rejects.toThrow(/EIO/)
    await expect(putSetting(db, 'wal.alone')).rejects.toThrow(/EIO/)
  })

  test('with the real fdatasync, work done together is answered after fewer syncs than commits', async () => {
    const db = await fileDatabase()
    const wal = walSyncOf(db) as WalSync
    const before = wal.syncs
    const rows = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        audit(db, systemActor(), { action: 'test.read', description: `Просмотр ${i}`, pdn: true }),
      ),
    )
    expect(new Set(rows.map((r) => r.id)).size).toBe(40)
    expect(wal.syncs - before).toBeGreaterThanOrEqual(1)
    expect(wal.syncs - before).toBeLessThan(40)
    expect(await verifyJournal(db)).toEqual({ ok: true, count: 40 })
  })
})
