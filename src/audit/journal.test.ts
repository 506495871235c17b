import { sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { audit, verifyJournal } from './journal.ts'

async function journalOf(count: number): Promise<Db> {
  const { db } = await testDatabase()
  for (let i = 0; i < count; i++) {
    await audit(db, systemActor(), { action: 'test.entry', description: `Запись ${i + 1}`, details: { i } })
  }
  return db
}

/** Tampering needs the guard triggers out of the way, as an attacker with the database file would. */
async function tamper(db: Db, dialect: 'sqlite' | 'postgres', change: string): Promise<void> {
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
