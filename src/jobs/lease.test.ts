import { beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { clockAt, T0 } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { acquireLease, releaseLease, renewLease } from './lease.ts'

/** One database per file (TESTING.md); each test starts from empty queue tables. */
let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})
beforeEach(async () => {
  for (const table of ['leases'] as const) await db.deleteFrom(table).execute()
})

describe('leases', () => {
  test('only one holder has a lease until it expires; then another may take it', async () => {
    clockAt(0)
    expect(await acquireLease(db, 'scheduler', 'a', 30_000)).toBe(true)
    expect(await acquireLease(db, 'scheduler', 'b', 30_000)).toBe(false)
    expect(await acquireLease(db, 'other', 'b', 30_000)).toBe(true)
    clockAt(29_999)
    expect(await acquireLease(db, 'scheduler', 'b', 30_000)).toBe(false)
    clockAt(30_000)
    expect(await acquireLease(db, 'scheduler', 'b', 30_000)).toBe(true)
    expect(await acquireLease(db, 'scheduler', 'a', 30_000)).toBe(false)
    expect(await renewLease(db, 'scheduler', 'a', 30_000)).toBe(false)
    const row = await db.selectFrom('leases').selectAll().where('name', '=', 'scheduler').executeTakeFirstOrThrow()
    expect(row).toEqual({ name: 'scheduler', holder: 'b', expires_at: new Date(T0 + 60_000).toISOString() })
  })

  test('the holder extends its lease by taking it again or renewing it', async () => {
    clockAt(0)
    expect(await acquireLease(db, 'scheduler', 'a', 30_000)).toBe(true)
    clockAt(20_000)
    expect(await acquireLease(db, 'scheduler', 'a', 30_000)).toBe(true)
    clockAt(45_000)
    expect(await renewLease(db, 'scheduler', 'a', 30_000)).toBe(true)
    clockAt(70_000)
    expect(await acquireLease(db, 'scheduler', 'b', 30_000)).toBe(false)
  })

  test('a released lease is free at once; releasing one held by another does nothing', async () => {
    clockAt(0)
    expect(await acquireLease(db, 'scheduler', 'a', 30_000)).toBe(true)
    await releaseLease(db, 'scheduler', 'b')
    expect(await acquireLease(db, 'scheduler', 'b', 30_000)).toBe(false)
    await releaseLease(db, 'scheduler', 'a')
    expect(await acquireLease(db, 'scheduler', 'b', 30_000)).toBe(true)
  })

  test('of many contenders racing for a free lease, exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      clockAt(round * 60_000)
      const wins = await Promise.all(
        Array.from({ length: 8 }, (_, i) => acquireLease(db, 'scheduler', `r${round}-${i}`, 30_000)),
      )
      expect(wins.filter(Boolean)).toHaveLength(1)
    }
  })
})
