import { sql } from 'kysely'
import { describe, expect, test, vi } from 'vitest'
import { AUDIT_HEAD_KEY, audit, verifyJournal } from '#src/audit/journal.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { groupCommit } from './group-commit.ts'
import type { Tx } from './schema.ts'
import { transact } from './transaction.ts'

/** A row of its own for each unit of work: which of them committed is which rows are there. */
const putSetting = (tx: Tx, key: string) =>
  tx.insertInto('settings').values({ key, value: '1', updated_at: 'now', updated_by: null }).execute()

const entry = (i: number) => ({ action: 'test.read', description: `Просмотр ${i}`, pdn: true })

const settingKeys = async (db: Awaited<ReturnType<typeof testDatabase>>['db']) =>
  (await db.selectFrom('settings').select('key').where('key', 'like', 'gc.%').orderBy('key').execute()).map(
    (r) => r.key,
  )

describe('group commit', () => {
  test('reads journaled together are written in fewer transactions, every row chained and there on return', async () => {
    const { db } = await testDatabase()
    const transactions = vi.spyOn(db, 'transaction')
    const rows = await Promise.all(Array.from({ length: 20 }, (_, i) => audit(db, systemActor(), entry(i))))
    const stored = await db.selectFrom('audit_log').select(['id', 'description']).orderBy('id').execute()
    const returned = [...rows].sort((a, b) => a.id - b.id)
    expect(stored.map((r) => [Number(r.id), r.description])).toEqual(returned.map((r) => [r.id, r.description]))
    expect(new Set(rows.map((r) => r.id)).size).toBe(20)
    if (testDialect() === 'sqlite') {
      expect(transactions.mock.calls.length).toBeGreaterThanOrEqual(1)
      expect(transactions.mock.calls.length).toBeLessThan(20)
    } else {
      // PostgreSQL: each row is a statement of its own, in no transaction opened around it.
      expect(transactions.mock.calls.length).toBe(0)
    }
    expect(await verifyJournal(db)).toEqual({ ok: true, count: 20 })
  })

  test('a journal that cannot be written fails every read of the batch, and writes none of it', async () => {
    const { db } = await testDatabase()
    await audit(db, systemActor(), entry(0))
    await db.deleteFrom('settings').where('key', '=', AUDIT_HEAD_KEY).execute()
    const results = await Promise.allSettled([1, 2, 3].map((i) => audit(db, systemActor(), entry(i))))
    if (testDialect() === 'sqlite') {
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected'])
      expect(await db.selectFrom('audit_log').select('id').execute()).toHaveLength(1)
    } else {
      // PostgreSQL writes unsealed rows without the head; their sealing is what needs it.
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    }
  })

  test('inside a transaction the row goes with it, and is rolled back with it', async () => {
    const { db } = await testDatabase()
    await expect(
      db.transaction().execute(async (tx) => {
        await audit(tx, systemActor(), entry(1))
        expect(await tx.selectFrom('audit_log').select('id').execute()).toHaveLength(1)
        throw new Error('the update failed')
      }),
    ).rejects.toThrow('the update failed')
    expect(await db.selectFrom('audit_log').select('id').execute()).toHaveLength(0)
  })

  test('a unit that fails in a batch rolls back its own writes only; the others commit and get their results', async () => {
    const { db } = await testDatabase()
    const transactions = vi.spyOn(db, 'transaction')
    const write = (key: string, fail: boolean) =>
      transact(db, async (tx) => {
        await putSetting(tx, key)
        if (fail) throw new Error(`${key} refused`)
        return key
      })
    const results = await Promise.allSettled([write('gc.a', false), write('gc.b', true), write('gc.c', false)])
    expect(results).toEqual([
      { status: 'fulfilled', value: 'gc.a' },
      { status: 'rejected', reason: new Error('gc.b refused') },
      { status: 'fulfilled', value: 'gc.c' },
    ])
    expect(await settingKeys(db)).toEqual(['gc.a', 'gc.c'])
    expect(transactions.mock.calls.length).toBe(testDialect() === 'sqlite' ? 1 : 3)
  })

  if (testDialect() === 'sqlite') {
    test('a transaction lost with a unit (SQLite rolled it back itself) refuses every unit of the batch, and keeps none', async () => {
      const { db } = await testDatabase()
      const lost = new Error('SQLITE_FULL: database or disk is full')
      const results = await Promise.allSettled([
        groupCommit(db, (tx) => putSetting(tx, 'gc.a')),
        groupCommit(db, async (tx) => {
          await putSetting(tx, 'gc.b')
          // What SQLite does on a full disk: the whole transaction is gone, savepoints with it.
          await sql`rollback`.execute(tx)
          throw lost
        }),
        groupCommit(db, (tx) => putSetting(tx, 'gc.c')),
      ])
      // The first unit had finished, but its commit never came: it is refused, not acknowledged.
      expect(results.map((r) => (r.status === 'rejected' ? r.reason : 'ok'))).toEqual([lost, lost, lost])
      expect(await settingKeys(db)).toEqual([])
      // The handle goes on working.
      await transact(db, (tx) => putSetting(tx, 'gc.d'))
      expect(await settingKeys(db)).toEqual(['gc.d'])
    })

    test('work that arrives while a batch commits is the next batch; a long queue is split', async () => {
      const { db } = await testDatabase()
      const transactions = vi.spyOn(db, 'transaction')
      const keys = Array.from({ length: 150 }, (_, i) => `gc.${String(i).padStart(3, '0')}`)
      await Promise.all(keys.map((key) => transact(db, (tx) => putSetting(tx, key))))
      expect(await settingKeys(db)).toEqual(keys)
      // 64 units at most per commit.
      expect(transactions.mock.calls.length).toBe(3)
    })
  }
})
