import { sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { audit, verifyJournal } from '#src/audit/journal.ts'
import { openDatabase } from '#src/db/database.ts'
import type { Db } from '#src/db/schema.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabaseUrl } from './database.ts'
import { buildDepartment, buildUser } from './factories.ts'
import { capturePristine, recycle } from './pg-recycle.ts'

/** What a test may have changed of a database: its rows per table and where its sequences stand. */
async function state(db: Db) {
  const users = await db.selectFrom('users').select('id').orderBy('id').execute()
  const journal = await db.selectFrom('audit_log').select('id').execute()
  const settings = await db.selectFrom('settings').select(['key', 'value']).orderBy('key').execute()
  const departments = await db.selectFrom('departments').select('id').orderBy('id').execute()
  return { users, journal, settings, departments }
}

// The PostgreSQL suite's databases go through this between tests: defined where there is a server (CI has one).
if (process.env.TEST_DATABASE_URL)
  describe('a recycled PostgreSQL test database', () => {
    test('is as cloned: rows, the journal and sequences back; a changed schema is refused', async () => {
      const url = await testDatabaseUrl()
      const pristine = await capturePristine(url)
      const db = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
      const fresh = await state(db)
      const first = await buildDepartment(db)
      await buildUser(db)
      await audit(db, systemActor(), { action: 'test.write', description: 'Запись теста' })
      await db.updateTable('settings').set({ value: '"changed"' }).execute()
      expect(await state(db)).not.toEqual(fresh)
      await db.destroy()

      expect(await recycle(url, pristine)).toBe(true)
      const again = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
      try {
        expect(await state(again)).toEqual(fresh)
        // The journal's append-only triggers are back: a row cannot be removed.
        await audit(again, systemActor(), { action: 'test.write', description: 'Запись теста' })
        await expect(sql`delete from audit_log`.execute(again)).rejects.toThrow(/append-only/)
        expect(await verifyJournal(again)).toMatchObject({ ok: true })
        // Ids start where the clone's did.
        expect((await buildDepartment(again)).id).toBe(first.id)
        await sql`alter table departments add column extra text`.execute(again)
      } finally {
        await again.destroy()
      }
      expect(await recycle(url, pristine)).toBe(false)
    })
  })
