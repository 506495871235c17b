import { sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { audit, auditSealed, chainJournal, verifyJournal } from './journal.ts'

const entry = (description: string) => ({ action: 'test.entry', description })

async function journalOf(count: number): Promise<Db> {
  const { db } = await testDatabase()
  for (let i = 0; i < count; i++) {
    await audit(db, systemActor(), { action: 'test.entry', description: `Запись ${i + 1}`, details: { i } })
  }
  return db
}

/**
 * Tampering needs the guard triggers out of the way, as an attacker with the database file would. It meets
 * sealed rows: on PostgreSQL the chainer has run (a row is tamper-evident from its sealing on).
 */
async function tamper(db: Db, dialect: 'sqlite' | 'postgres', change: string): Promise<void> {
  await chainJournal(db)
  if (dialect === 'postgres') {
    await sql`alter table audit_log disable trigger all`.execute(db)
    await sql.raw(change).execute(db)
    return
  }
  await sql`drop trigger audit_log_no_update`.execute(db)
  await sql`drop trigger audit_log_no_delete`.execute(db)
  await sql.raw(change).execute(db)
}

describe('audit journal', () => {
  test('an untouched chain verifies', async () => {
    const db = await journalOf(5)
    expect(await verifyJournal(db)).toEqual({ ok: true, count: 5 })
  })

  test('an empty journal verifies', async () => {
    const { db } = await testDatabase()
    expect(await verifyJournal(db)).toEqual({ ok: true, count: 0 })
  })

  test('the database refuses to update or delete journal rows', async () => {
    const db = await journalOf(2)
    await expect(sql`update audit_log set description = 'x' where id = 1`.execute(db)).rejects.toThrow(/append-only/)
    await expect(sql`delete from audit_log where id = 2`.execute(db)).rejects.toThrow(/append-only/)
    expect(await verifyJournal(db)).toEqual({ ok: true, count: 2 })
  })

  test.each([
    ['a flipped byte in the description', "update audit_log set description = 'Запись X' where id = 3", 3],
    ['a changed actor', 'update audit_log set actor_id = 42 where id = 2', 2],
    ['a deleted row in the middle', 'delete from audit_log where id = 4', 4],
    ['a deleted last row', 'delete from audit_log where id = 6', 6],
    ['a truncated journal', 'delete from audit_log', 1],
    [
      'two swapped rows',
      `update audit_log set description = case id when 2 then 'Запись 5' else 'Запись 2' end,
         details = case id when 2 then '{"i":4}' else '{"i":1}' end where id in (2, 5)`,
      2,
    ],
  ])('verify names the first bad row after %s', async (_name, change, firstBadId) => {
    const { db, dialect } = await testDatabase()
    for (let i = 0; i < 6; i++) {
      await audit(db, systemActor(), { action: 'test.entry', description: `Запись ${i + 1}`, details: { i } })
    }
    await tamper(db, dialect, change)
    const result = await verifyJournal(db)
    expect(result).toMatchObject({ ok: false, firstBadId })
  })

  test('concurrent writers keep one unbroken chain', async () => {
    const { db } = await testDatabase()
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        audit(db, systemActor(), { action: 'test.parallel', description: `№ ${i}` }),
      ),
    )
    expect(await verifyJournal(db)).toEqual({ ok: true, count: 20 })
  })

  test('rows another process journals and seals during the walk are no break in the chain', async () => {
    const db = await journalOf(6)
    const headAt6 = await db.selectFrom('settings').select('value').where('key', '=', 'audit.head').executeTakeFirst()
    // Another process journals row 7 and seals it (SQLite seals as it writes, PostgreSQL's chainer later)…
    await db.transaction().execute((tx) => auditSealed(tx, systemActor(), entry('Запись 7')))
    // …after the walk read the head: until its first page, every read of the head still finds row 6's.
    let walked = false
    const racing = db.withPlugin({
      transformQuery: (args) => args.node,
      async transformResult({ result }) {
        const [first] = result.rows as Array<Record<string, unknown>>
        if (first && 'action' in first) walked = true
        const isHead = first && Object.keys(first).join() === 'value' && String(first.value).startsWith('{"id":')
        return !walked && isHead ? { ...result, rows: [headAt6] as typeof result.rows } : result
      },
    })
    expect(await verifyJournal(racing, 2)).toEqual({ ok: true, count: 7 })
    expect(walked).toBe(true)
  })

  test('the journal is written in the caller transaction and rolled back with it', async () => {
    const { db } = await testDatabase()
    await expect(
      db.transaction().execute(async (tx) => {
        await audit(tx, systemActor(), { action: 'test.rollback', description: 'не сохранится' })
        throw new Error('action failed')
      }),
    ).rejects.toThrow('action failed')
    const rows = await db.selectFrom('audit_log').select('id').execute()
    expect(rows).toHaveLength(0)
    expect(await verifyJournal(db)).toEqual({ ok: true, count: 0 })
  })
})

if (testDialect() === 'postgres')
  describe('PostgreSQL: rows written unsealed, sealed by the chainer in id order', () => {
    const writer = async (db: Db, description: string) => {
      let commit: () => void = () => {}
      let written: (id: number) => void = () => {}
      const id = new Promise<number>((resolve) => {
        written = resolve
      })
      const done = db.transaction().execute(async (tx) => {
        const row = await audit(tx, systemActor(), { action: 'test.entry', description })
        written(row.id)
        await new Promise<void>((resolve) => {
          commit = resolve
        })
      })
      return { id: await id, commit: () => commit(), done }
    }
    const sealed = async (db: Db) =>
      (await db.selectFrom('audit_log').select(['id', 'hash']).orderBy('id').execute()).map((r) => ({
        id: Number(r.id),
        sealed: r.hash !== null,
      }))
    const waitingForLock = async (db: Db) => {
      const { rows } = await sql<{ waiting: number }>`select count(*)::int as waiting from pg_locks
        where locktype = 'advisory' and not granted`.execute(db)
      return rows[0]?.waiting ?? 0
    }

    test('a row is written unsealed and sealed by chainJournal; a writer still open holds the chainer back', async () => {
      const { db } = await testDatabase()
      const early = await writer(db, 'Раньше, но закроется позже')
      const late = await writer(db, 'Позже, но закроется раньше')
      expect(late.id).toBeGreaterThan(early.id)
      late.commit()
      await late.done
      expect(await sealed(db)).toEqual([{ id: late.id, sealed: false }])

      const chaining = chainJournal(db)
      // The chainer waits for the open writer (its shared lock), instead of sealing the later row before it.
      await expect.poll(() => waitingForLock(db)).toBe(1)
      early.commit()
      await early.done
      expect(await chaining).toBe(2)
      expect(await sealed(db)).toEqual([
        { id: early.id, sealed: true },
        { id: late.id, sealed: true },
      ])
      expect(await verifyJournal(db)).toEqual({ ok: true, count: 2 })
    })

    test('a row written after a use case rolled back to its savepoint still holds the chainer back', async () => {
      const { db } = await testDatabase()
      let commit: () => void = () => {}
      let written: () => void = () => {}
      const rowWritten = new Promise<void>((resolve) => {
        written = resolve
      })
      const done = db.transaction().execute(async (tx) => {
        await transact(tx, async (inner) => {
          await audit(inner, systemActor(), { action: 'test.rollback', description: 'откатится до точки сохранения' })
          throw new Error('refused')
        }).catch(() => 'refused')
        await audit(tx, systemActor(), { action: 'test.entry', description: 'После точки сохранения' })
        written()
        await new Promise<void>((resolve) => {
          commit = resolve
        })
      })
      await rowWritten
      const later = await audit(db, systemActor(), { action: 'test.entry', description: 'Закрылась раньше' })
      const chaining = chainJournal(db)
      await expect.poll(() => waitingForLock(db)).toBe(1)
      commit()
      await done
      await chaining
      expect(await verifyJournal(db)).toEqual({ ok: true, count: 2 })
      expect((await sealed(db)).at(-1)).toEqual({ id: later.id, sealed: true })
    })

    test('a writer that rolled back leaves a gap in the ids that the chain bridges', async () => {
      const db = await journalOf(2)
      await expect(
        db.transaction().execute(async (tx) => {
          await audit(tx, systemActor(), { action: 'test.rollback', description: 'не сохранится' })
          throw new Error('action failed')
        }),
      ).rejects.toThrow('action failed')
      await audit(db, systemActor(), { action: 'test.entry', description: 'После отката' })
      const ids = (await sealed(db)).map((r) => r.id)
      expect(ids).toEqual([ids[0], (ids[0] ?? 0) + 1, (ids[0] ?? 0) + 3])
      expect(await verifyJournal(db)).toEqual({ ok: true, count: 3 })
      expect(await sealed(db)).toEqual(ids.map((id) => ({ id, sealed: true })))
    })

    test('the trigger seals an unsealed row once, and refuses any other change of it', async () => {
      const db = await journalOf(1)
      const { id } = await db.selectFrom('audit_log').select('id').executeTakeFirstOrThrow()
      await expect(
        sql`update audit_log set description = 'Подмена', prev_hash = ${'0'.repeat(64)}, hash = ${'1'.repeat(64)}
          where id = ${id}`.execute(db),
      ).rejects.toThrow(/append-only/)
      await chainJournal(db)
      await expect(sql`update audit_log set hash = ${'1'.repeat(64)} where id = ${id}`.execute(db)).rejects.toThrow(
        /append-only/,
      )
      await expect(
        sql`update audit_log set hash = null, prev_hash = null where id = ${id}`.execute(db),
      ).rejects.toThrow(/append-only/)
      expect(await verifyJournal(db)).toEqual({ ok: true, count: 1 })
    })

    test('many writers at once, some rolling back, and chainers beside them: one unbroken chain', async () => {
      const { db } = await testDatabase()
      const writes = Array.from({ length: 40 }, (_, i) =>
        db
          .transaction()
          .execute(async (tx) => {
            await audit(tx, systemActor(), { action: 'test.parallel', description: `№ ${i}` })
            if (i % 5 === 0) throw new Error('rolled back')
          })
          .catch(() => 'rolled back'),
      )
      const chainers = Array.from({ length: 4 }, () => chainJournal(db))
      await Promise.all([...writes, ...chainers])
      expect(await verifyJournal(db)).toEqual({ ok: true, count: 32 })
    })
  })
