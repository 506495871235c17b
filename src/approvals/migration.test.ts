import path from 'node:path'
import { sql } from 'kysely'
import { expect, onTestFinished, test } from 'vitest'
import { openDatabase } from '#src/db/database.ts'
import { migrateTo, migrateToLatest } from '#src/db/migrate.ts'
import type { Db } from '#src/db/schema.ts'
import { testDatabaseUrl, testDialect } from '../../test/support/database.ts'
import { tempDirs } from '../../test/support/temp-dirs.ts'

/**
 * Migration 0037 on a database that already holds tickets, on the engine of the run: the status's CHECK
 * constraint widened in place (SQLite: the table's SQL rewritten under writable_schema), every ticket kept, every
 * index of the table kept, `approval` accepted and a status outside the list still refused.
 */
const BEFORE = '0036-outages'

const folder = tempDirs('helpdesk-0037-')

async function databaseBefore0037(): Promise<{ db: Db; schema?: string; file?: string }> {
  if (testDialect() === 'sqlite') {
    // A file in WAL mode, as in production: the rewritten schema must hold for the next connection too.
    const file = path.join(folder(), 'helpdesk.db')
    const db = openDatabase({ kind: 'sqlite', file })
    onTestFinished(() => db.destroy())
    await migrateTo(db, BEFORE)
    return { db, file }
  }
  // A schema of its own in a fresh database, migrated only so far.
  const schema = 'before_0037'
  const url = await testDatabaseUrl()
  const admin = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
  await sql`create schema ${sql.id(schema)}`.execute(admin)
  await admin.destroy()
  const db = openDatabase({ kind: 'postgres', url }, { poolSize: 1, searchPath: schema })
  onTestFinished(() => db.destroy())
  await migrateTo(db, BEFORE, { schema })
  return { db, schema }
}

async function ticketIndexes(db: Db): Promise<string[]> {
  const rows =
    testDialect() === 'sqlite'
      ? await sql<{
          name: string
        }>`select name from sqlite_schema where type = 'index' and tbl_name = 'tickets'`.execute(db)
      : await sql<{ name: string }>`select indexname as name from pg_indexes
          where tablename = 'tickets' and schemaname = current_schema()`.execute(db)
  return rows.rows.map((r) => r.name).sort()
}

async function insertTicket(db: Db, status: string): Promise<void> {
  await sql`insert into tickets (title, description, priority, status, requester_id, source, created_by, created_at, updated_at)
    values ('Старая заявка', 'Описание', 'normal', ${status}, 1, 'web', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`.execute(
    db,
  )
}

test('0037 widens the ticket status to «approval» on a database with tickets, keeping them and their indexes', async () => {
  const { db, schema, file } = await databaseBefore0037()
  const at = '2026-01-01T00:00:00.000Z'
  await sql`insert into users (role, status, full_name, language, created_at, updated_at)
    values ('requester', 'active', 'Заявитель', 'ru', ${at}, ${at})`.execute(db)
  for (const status of ['new', 'in_progress', 'closed', 'cancelled']) await insertTicket(db, status)
  await expect(insertTicket(db, 'approval')).rejects.toThrow()
  const indexes = await ticketIndexes(db)
  expect(indexes).toContain('tickets_list_status_rank_idx')

  await migrateTo(db, '0037-approvals', schema ? { schema } : {})
  // 0037 rebuilds the table: every index it had is there again, and no other (later migrations add their own).
  expect(await ticketIndexes(db)).toEqual(indexes)
  await migrateToLatest(db, schema ? { schema } : {})

  const kept = await sql<{ status: string }>`select status from tickets order by id`.execute(db)
  expect(kept.rows.map((r) => r.status)).toEqual(['new', 'in_progress', 'closed', 'cancelled'])
  await insertTicket(db, 'approval')
  await expect(insertTicket(db, 'approved')).rejects.toThrow()
  await expect(sql`update tickets set status = 'bogus' where status = 'new'`.execute(db)).rejects.toThrow()
  const statuses = await sql<{ status: string }>`select status from tickets order by id`.execute(db)
  expect(statuses.rows.map((r) => r.status)).toEqual(['new', 'in_progress', 'closed', 'cancelled', 'approval'])
  // The new columns, with their defaults on the rows already there.
  await sql`insert into departments (name, created_at, updated_at) values ('Кардиология', ${at}, ${at})`.execute(db)
  const department = await db.selectFrom('departments').select('head_user_id').executeTakeFirstOrThrow()
  expect(department.head_user_id).toBeNull()
  if (testDialect() === 'sqlite') {
    const check = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db)
    expect(check.rows).toEqual([{ integrity_check: 'ok' }])
    // Another connection reads the new schema: `approval` accepted, a bad status refused, the file sound.
    if (file) {
      const other = openDatabase({ kind: 'sqlite', file })
      try {
        await insertTicket(other, 'approval')
        await expect(insertTicket(other, 'bogus')).rejects.toThrow()
        expect((await sql<{ quick_check: string }>`pragma quick_check`.execute(other)).rows).toEqual([
          { quick_check: 'ok' },
        ])
      } finally {
        await other.destroy()
      }
    }
    // Defensive mode is back on: the schema cannot be written to outside the migration.
    await expect(
      sql`pragma writable_schema = on`
        .execute(db)
        .then(() => sql`update sqlite_schema set sql = sql where name = 'tickets'`.execute(db)),
    ).rejects.toThrow()
  }
})
