import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { verifyJournal } from '#src/audit/journal.ts'
import { dialectOf, openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import { type Db, ticketStatuses } from '#src/db/schema.ts'
import { now, setClock } from '#src/db/time.ts'
import { matchTickets } from '#src/tickets/ticket-search.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { generateDemo } from './generate.ts'

const actor = systemActor('cli')
const options = { staffPasswordHash: 'not-a-real-hash', requesters: 40 }

/** PostgreSQL: how often `tickets` was vacuumed and analyzed by hand (the statistics view); null on SQLite. */
async function vacuumsOfTickets(db: Db): Promise<{ vacuums: number; analyzes: number } | null> {
  if (dialectOf(db) !== 'postgres') return null
  const { rows } = await sql<{ vacuums: number; analyzes: number }>`select vacuum_count as vacuums,
      analyze_count as analyzes from pg_stat_user_tables where relname = 'tickets'`.execute(db)
  return rows[0] ?? null
}

describe('generateDemo', () => {
  test('builds a consistent hospital year: timelines in order, nothing in the future, one journal entry', async () => {
    const { db } = await testDatabase()
    const result = await generateDemo(db, actor, { ...options, tickets: 300, seed: 'a' })
    expect(result).toMatchObject({
      tickets: 300,
      departments: 31,
      groups: 6,
      staff: 10,
      requesters: expect.any(Number),
    })
    expect(result.categories).toBeGreaterThanOrEqual(25)

    const tickets = await db.selectFrom('tickets').selectAll().execute()
    expect(tickets).toHaveLength(300)
    const at = now()
    for (const t of tickets) {
      expect(ticketStatuses).toContain(t.status)
      for (const time of [t.created_at, t.updated_at, t.first_response_at, t.resolved_at, t.closed_at, t.rated_at]) {
        if (time !== null) expect(time <= at).toBe(true)
      }
      if (t.first_response_at) expect(t.first_response_at >= t.created_at).toBe(true)
      if (t.status === 'closed') {
        expect(t.assignee_id).not.toBeNull()
        expect(t.resolved_at !== null && t.closed_at !== null && t.resolved_at <= t.closed_at).toBe(true)
        expect(t.resolution).not.toBeNull()
      } else {
        expect(t.rating).toBeNull()
      }
      if (t.status === 'new') expect(t.assignee_id).toBeNull()
      if (t.status === 'cancelled') expect(t.cancel_reason).not.toBeNull()
      expect(t.response_due_at !== null && t.response_due_at > t.created_at).toBe(true)
    }
    expect(tickets.some((t) => t.rating !== null)).toBe(true)

    const kinds = await db.selectFrom('ticket_messages').select('kind').distinct().execute()
    expect(kinds.map((k) => k.kind).sort()).toEqual(['external', 'internal'])
    const journal = await db.selectFrom('audit_log').select('action').execute()
    expect(journal).toEqual([{ action: 'demo.generate' }])
    expect(await verifyJournal(db)).toMatchObject({ ok: true, count: 1 })
  })

  test('the bulk load leaves the indexes, the foreign keys and their checks as they were', async () => {
    const { db } = await testDatabase()
    const indexes = async () =>
      dialectOf(db) === 'postgres'
        ? (
            await sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition
              from pg_indexes where schemaname = current_schema() order by indexname`.execute(db)
          ).rows
        : (
            await sql<{ name: string; definition: string }>`select name, sql as definition from sqlite_master
              where type = 'index' order by name`.execute(db)
          ).rows
    const before = await indexes()
    expect(before.map((i) => i.name)).toEqual(expect.arrayContaining(['ticket_events_ticket_idx']))
    const vacuumsBefore = await vacuumsOfTickets(db)
    await generateDemo(db, actor, { ...options, tickets: 150, seed: 'i' })
    expect(await indexes()).toEqual(before)
    // The demo runs without SQLite's foreign-key checks: what it wrote must pass them, and they are back on.
    if (dialectOf(db) === 'sqlite') {
      expect((await sql`pragma foreign_key_check`.execute(db)).rows).toEqual([])
      expect((await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows).toEqual([{ foreign_keys: 1 }])
    }
    const orphans = await db
      .selectFrom('ticket_events')
      .leftJoin('tickets', 'tickets.id', 'ticket_events.ticket_id')
      .select(sql<number>`count(*)`.as('n'))
      .where('tickets.id', 'is', null)
      .executeTakeFirstOrThrow()
    expect(Number(orphans.n)).toBe(0)
    const events = await db.selectFrom('ticket_events').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
    expect(Number(events.n)).toBeGreaterThan(150)
    if (dialectOf(db) === 'postgres') {
      // Vacuumed and analyzed after the load, once: the visibility map lets counts and lists read the indexes
      // alone. (Whether every page ends all-visible depends on the other sessions of the server: a connection
      // starting up elsewhere holds the horizon back, and a full suite once left one page out.)
      expect(await vacuumsOfTickets(db)).toEqual({
        vacuums: (vacuumsBefore?.vacuums ?? 0) + 1,
        analyzes: (vacuumsBefore?.analyzes ?? 0) + 1,
      })
    }
  })

  if (testDialect() === 'sqlite') {
    test('on a database file the load goes through a rollback journal and leaves WAL, the triggers and a mark per hour', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'demo-bulk-'))
      const db = openDatabase({ kind: 'sqlite', file: path.join(dir, 'helpdesk.sqlite') })
      try {
        await migrateToLatest(db)
        const triggers = async () =>
          (await sql<{ sql: string }>`select sql from sqlite_master where type = 'trigger' order by name`.execute(db))
            .rows
        const before = await triggers()
        // While it loads, the file has a rollback journal beside it and no WAL.
        const files: string[] = []
        const file = path.join(dir, 'helpdesk.sqlite')
        await generateDemo(db, actor, {
          ...options,
          tickets: 200,
          seed: 'w',
          onProgress: () => files.push(`${existsSync(`${file}-journal`)} ${existsSync(`${file}-wal`)}`),
        })
        expect(files.length).toBeGreaterThan(0)
        expect(new Set(files)).toEqual(new Set(['true false']))
        expect((await sql`pragma journal_mode`.execute(db)).rows).toEqual([{ journal_mode: 'wal' }])
        expect(await triggers()).toEqual(before)
        // Every hour a ticket was created or resolved in is marked stale once, for the summary to compute.
        const hours = (
          await sql<{ hour: string }>`select distinct substr(at, 1, 13) as hour from (select created_at as at
            from tickets union all select resolved_at from tickets where resolved_at is not null) order by 1`.execute(
            db,
          )
        ).rows.map((r) => r.hour)
        const marked = await db.selectFrom('stats_daily_dirty').select('at').execute()
        expect(marked.map((m) => m.at.slice(0, 13)).sort()).toEqual(hours)
      } finally {
        await db.destroy()
        rmSync(dir, { recursive: true, force: true })
      }
    })
  }

  test('fills the full-text index that ticket search uses', async () => {
    const { db } = await testDatabase()
    await generateDemo(db, actor, { ...options, tickets: 200, seed: 'поиск' })
    const matching = (query: string) =>
      db
        .selectFrom('tickets')
        .select('id')
        .where((eb) => matchTickets(db, eb, query, true) ?? eb.val(false))
        .execute()
    const printers = await matching('картридж')
    const expected = await db
      .selectFrom('tickets')
      .select('id')
      .where((eb) => eb.or([eb('title', 'like', '%артридж%'), eb('description', 'like', '%артридж%')]))
      .execute()
    expect(expected.length).toBeGreaterThan(0)
    expect(printers.length).toBeGreaterThanOrEqual(expected.length)
  })

  test('the same seed gives the same data at any time of the day; another seed other data', async () => {
    const snapshot = async (seed: string, at: string) => {
      const { db } = await testDatabase()
      // The clock is global: the runs go one after another.
      const restore = setClock(() => new Date(at))
      await generateDemo(db, actor, { ...options, tickets: 300, seed }).finally(restore)
      // Statuses depend on age, which moves with the hour of the run; what was asked and by whom does not.
      const rows = await db
        .selectFrom('tickets')
        .select(['title', 'description', 'priority', 'requester_id', 'category_id'])
        .where('created_at', '<', '2026-11-25T00:00:00.000Z')
        .orderBy('id')
        .execute()
      const people = await db.selectFrom('users').select('full_name').orderBy('id').execute()
      return JSON.stringify([rows, people])
    }
    const morning = await snapshot('s', '2026-11-26T06:00:00.000Z')
    const afternoon = await snapshot('s', '2026-11-26T15:30:00.000Z')
    const other = await snapshot('t', '2026-11-26T06:00:00.000Z')
    expect(morning).toBe(afternoon)
    expect(morning).not.toBe(other)
  })

  test('refuses a database with tickets unless forced; forced, it adds and ids keep working', async () => {
    const { db } = await testDatabase()
    await generateDemo(db, actor, { ...options, tickets: 20, seed: 'x' })
    await expect(generateDemo(db, actor, { ...options, tickets: 20, seed: 'y' })).rejects.toMatchObject({
      code: 'conflict',
    })
    const again = await generateDemo(db, actor, { ...options, tickets: 20, seed: 'y', force: true })
    expect(again.tickets).toBe(20)
    const count = await db.selectFrom('tickets').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(40)
    // The id sequences continue after the explicit ids the generator wrote (PostgreSQL identity columns).
    const user = await buildUser(db)
    expect(user.id).toBeGreaterThan(80)
    const departments = await db
      .selectFrom('departments')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(departments.n)).toBe(31)
  })
})
