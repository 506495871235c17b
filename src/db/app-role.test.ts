import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { archiveJournal } from '#src/audit/archive.ts'
import { checkJournal } from '#src/audit/check-journal.ts'
import { audit, verifyJournal } from '#src/audit/journal.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { systemActor } from '#src/users/actor.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDialect } from '../../test/support/database.ts'
import { buildActor, buildCategory } from '../../test/support/factories.ts'
import { appRoleGrants, migrateDatabase } from './app-role.ts'
import { openDatabase } from './database.ts'
import { migrateToLatest, migrationsCurrent } from './migrate.ts'
import type { Db } from './schema.ts'

/**
 * The production setup on PostgreSQL: one role owns the tables and migrates, the app connects as
 * another. A scratch database and two roles of their own on the shared server, dropped afterwards.
 */
test('the grants name the role and the schema quoted, and leave the journal insert-only', () => {
  const statements = appRoleGrants('app"x', 'public')
  expect(statements[0]).toBe('grant usage on schema "public" to "app""x"')
  expect(statements).toContain(
    'revoke update, delete, truncate, references, trigger on "public".audit_log from "app""x"',
  )
})

if (testDialect() === 'postgres')
  describe('PostgreSQL: the app role does not own the journal', () => {
    const suffix = randomBytes(4).toString('hex')
    const owner = `hd_owner_${suffix}`
    const app = `hd_app_${suffix}`
    const name = `hd_roles_${suffix}`
    let admin: Db
    let appDb: Db

    const urlAs = (user: string) => {
      const url = new URL(process.env.TEST_DATABASE_URL ?? '')
      url.username = user
      url.pathname = `/${name}`
      return url.toString()
    }

    beforeAll(async () => {
      admin = openDatabase({ kind: 'postgres', url: process.env.TEST_DATABASE_URL ?? '' }, { poolSize: 1 })
      await sql`create role ${sql.id(owner)} login`.execute(admin)
      await sql`create role ${sql.id(app)} login`.execute(admin)
      await sql`create database ${sql.id(name)} owner ${sql.id(owner)}`.execute(admin)
      appDb = openDatabase({ kind: 'postgres', url: urlAs(app) }, { poolSize: 2 })
      // As serve does with MIGRATION_DATABASE_URL: the owner migrates and grants; the app's pool is its own.
      await migrateDatabase(appDb, { migrationDatabase: { kind: 'postgres', url: urlAs(owner) } })
    })

    afterAll(async () => {
      await appDb?.destroy()
      if (!admin) return
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
      await sql`drop role if exists ${sql.id(app)}`.execute(admin)
      await sql`drop role if exists ${sql.id(owner)}`.execute(admin)
      await admin.destroy()
    })

    test('the app role starts (migrations current, nothing to migrate) and files a ticket with its journal row', async () => {
      expect(await migrationsCurrent(appDb)).toBe(true)
      expect(await migrateToLatest(appDb)).toEqual([])
      const { actor } = await buildActor(appDb, {}, 'web')
      const category = await buildCategory(appDb)
      const ticket = await createTicket(appDb, actor, {
        title: 'Не печатает',
        description: 'Принтер',
        categoryId: category.id,
      })
      const rows = await appDb.selectFrom('audit_log').select(['action', 'object_id']).execute()
      expect(rows).toContainEqual({ action: 'ticket.create', object_id: String(ticket.id) })
      expect(await verifyJournal(appDb)).toMatchObject({ ok: true })
    })

    test.for([
      ['delete', 'delete from audit_log'],
      ['update', "update audit_log set description = 'Подмена'"],
      ['seal a sealed row again', "update audit_log set prev_hash = repeat('0', 64), hash = repeat('0', 64)"],
      ['truncate', 'truncate audit_log'],
      ['drop the trigger', 'drop trigger audit_log_no_change on audit_log'],
      ['disable the triggers', 'alter table audit_log disable trigger all'],
      ['drop the table', 'drop table audit_log'],
      ['change a migration record', "delete from kysely_migration where name = '0001-initial'"],
    ])('the app role may not %s', async ([, statement]) => {
      await expect(sql.raw(statement ?? '').execute(appDb)).rejects.toThrow(
        /permission denied|must be owner|append-only/,
      )
      expect((await verifyJournal(appDb)).ok).toBe(true)
    })

    test('archiving the journal: the app role may not record an archive or delete rows; the owner does both', async () => {
      setTestClock('2022-01-10T10:00:00.000Z')
      const { actor: admin } = await buildActor(appDb, { role: 'admin' }, 'cli')
      await audit(appDb, systemActor(), { action: 'test.entry', description: 'Старая запись' })
      setTestClock('2026-03-01T10:00:00.000Z')
      const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-archive-roles-'))
      try {
        await expect(archiveJournal(appDb, appDb, admin, { dir })).rejects.toThrow(/permission denied/)
        await expect(
          sql`insert into audit_archives (first_id, last_id, prev_hash, last_hash, count, first_at, last_at, file_name, sha256, created_at, created_by)
            values (1, 1000000, '', '', 1, '', '', 'x', 'x', '', 'x')`.execute(appDb),
        ).rejects.toThrow(/permission denied/)
        const ownerDb = openDatabase({ kind: 'postgres', url: urlAs(owner) }, { poolSize: 1 })
        try {
          const made = await archiveJournal(appDb, ownerDb, admin, { dir })
          expect(made?.removed).toBeGreaterThan(0)
        } finally {
          await ownerDb.destroy()
        }
        await expect(sql`delete from audit_log`.execute(appDb)).rejects.toThrow(/permission denied/)
        expect(await checkJournal(appDb, admin, { archiveDir: dir })).toMatchObject({
          ok: true,
          archives: { verified: 1 },
        })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
