import { describe, expect, test, vi } from 'vitest'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { auditRead } from './group-commit.ts'
import { AUDIT_HEAD_KEY, verifyJournal } from './journal.ts'

const entry = (i: number) => ({ action: 'test.read', description: `Просмотр ${i}`, pdn: true })

describe('journaled reads by group commit', () => {
  test('reads that arrive together are journaled in fewer transactions, every row chained and there on return', async () => {
    const { db } = await testDatabase()
    const transactions = vi.spyOn(db, 'transaction')
    const rows = await Promise.all(Array.from({ length: 20 }, (_, i) => auditRead(db, systemActor(), entry(i))))
    const stored = await db.selectFrom('audit_log').select(['id', 'description']).orderBy('id').execute()
    const returned = [...rows].sort((a, b) => a.id - b.id)
    expect(stored.map((r) => [Number(r.id), r.description])).toEqual(returned.map((r) => [r.id, r.description]))
    expect(new Set(rows.map((r) => r.id)).size).toBe(20)
    if (testDialect() === 'sqlite') {
      expect(transactions.mock.calls.length).toBeGreaterThanOrEqual(1)
      expect(transactions.mock.calls.length).toBeLessThan(20)
    }
    expect(await verifyJournal(db)).toEqual({ ok: true, count: 20 })
  })

  test('a journal that cannot be written fails every read of the batch, and writes none of it', async () => {
    const { db } = await testDatabase()
    await auditRead(db, systemActor(), entry(0))
    await db.deleteFrom('settings').where('key', '=', AUDIT_HEAD_KEY).execute()
    const results = await Promise.allSettled([1, 2, 3].map((i) => auditRead(db, systemActor(), entry(i))))
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
        await auditRead(tx, systemActor(), entry(1))
        expect(await tx.selectFrom('audit_log').select('id').execute()).toHaveLength(1)
        throw new Error('the update failed')
      }),
    ).rejects.toThrow('the update failed')
    expect(await db.selectFrom('audit_log').select('id').execute()).toHaveLength(0)
  })
})
