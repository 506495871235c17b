import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { dialectOf } from '#src/db/database.ts'
import type { AuditRow, Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { checkJournal } from './check-journal.ts'
import { writeCheckpoint } from './checkpoints.ts'
import { AUDIT_HEAD_KEY, audit, chainHash, GENESIS_HASH, verifyJournal } from './journal.ts'

/**
 * F9 (TESTING.md): someone with the database in hand tampers with the journal; `audit verify` (the
 * checkJournal use case behind the CLI and the web) finds every tampering and names the first bad row.
 * The guards come off first, as they would for an attacker with the database file or PostgreSQL's
 * superuser: that the app's own role cannot remove them is src/db/app-role.test.ts.
 */

const folders: string[] = []
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function checkpointFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-f9-'))
  folders.push(dir)
  return path.join(dir, 'audit-checkpoints.log')
}

interface Journal {
  db: Db
  admin: Actor
  file: string
}

let shared: Promise<{ db: Db; admin: Actor }> | undefined

/** One database for the file, its guard triggers removed: a fresh database per case costs seconds on PostgreSQL. */
function unguarded(): Promise<{ db: Db; admin: Actor }> {
  shared ??= (async () => {
    const { db, dialect } = await testDatabase()
    if (dialect === 'postgres') await sql`alter table audit_log disable trigger all`.execute(db)
    else {
      await sql`drop trigger audit_log_no_update`.execute(db)
      await sql`drop trigger audit_log_no_delete`.execute(db)
    }
    const { actor: admin } = await buildActor(db, { role: 'admin' }, 'web')
    return { db, admin }
  })()
  return shared
}

/**
 * A journal of eight rows, from scratch (the admin's creation is not journaled by the factory),
 * checkpointed after row 2 and after row 8.
 */
async function tamperable(): Promise<Journal> {
  const { db, admin } = await unguarded()
  await db.deleteFrom('audit_log').execute()
  await setHead(db, 0, GENESIS_HASH)
  if (dialectOf(db) === 'postgres') await sql`select setval('audit_log_id_seq', 1, false)`.execute(db)
  const file = checkpointFile()
  for (let i = 1; i <= 8; i++) {
    await audit(db, i % 2 ? systemActor() : admin, {
      action: 'test.entry',
      description: `Запись ${i}`,
      objectType: 'ticket',
      objectId: i,
      subjectId: i % 3 ? null : 1,
      pdn: i % 3 === 0,
      details: { i },
    })
    if (i === 2 || i === 8) await writeCheckpoint(db, file, 'daily')
  }
  return { db, admin, file }
}

/** A row of the journal, sealed (the checkpoints after rows 2 and 8 sealed every row on PostgreSQL). */
async function row(db: Db, id: number): Promise<AuditRow & { prev_hash: string; hash: string }> {
  const found = await db.selectFrom('audit_log').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const { prev_hash, hash } = found
  if (prev_hash === null || hash === null) throw new Error(`row ${id} is not sealed`)
  return { ...found, prev_hash, hash }
}

async function setHead(db: Db, id: number, hash: string): Promise<void> {
  await db
    .updateTable('settings')
    .set({ value: JSON.stringify({ id, hash }) })
    .where('key', '=', AUDIT_HEAD_KEY)
    .execute()
}

/** PostgreSQL: the ids' sequence set back too, so that the journal's next rows fill the cut without a gap. */
async function rewind(db: Db, lastId: number): Promise<void> {
  if (dialectOf(db) === 'postgres') await sql`select setval('audit_log_id_seq', ${lastId})`.execute(db)
}

/** With the key read from DATA_DIR/secrets.json: every row from `fromId` on signed again, the head moved. */
async function resign(db: Db, fromId: number): Promise<void> {
  let prev = fromId === 1 ? GENESIS_HASH : (await row(db, fromId - 1)).hash
  const rows = await db.selectFrom('audit_log').selectAll().where('id', '>=', fromId).orderBy('id').execute()
  let last = fromId - 1
  for (const r of rows) {
    const { hash: _old, prev_hash: _prev, ...rest } = r
    const hash = chainHash({ ...rest, id: Number(r.id), prev_hash: prev })
    await db.updateTable('audit_log').set({ prev_hash: prev, hash }).where('id', '=', r.id).execute()
    prev = hash
    last = Number(r.id)
  }
  await setHead(db, last, prev)
}

/** One byte of a value changed (a bit of its last character), or a value where there was none. */
function flipped(value: string | number | null, column: string): string | number {
  if (value === null) return column === 'details' || column.endsWith('_type') || column === 'ip' ? 'x' : 1
  if (typeof value === 'number') return column === 'id' ? value + 1000 : value ^ 1
  const last = value.charCodeAt(value.length - 1)
  return value.slice(0, -1) + String.fromCharCode(last ^ 1)
}

const columns = [
  'id',
  'at',
  'actor_id',
  'channel',
  'ip',
  'action',
  'object_type',
  'object_id',
  'subject_id',
  'pdn_related',
  'result',
  'description',
  'details',
  'prev_hash',
  'hash',
] as const satisfies ReadonlyArray<keyof AuditRow>

async function setColumn(db: Db, id: number, column: (typeof columns)[number], value: unknown): Promise<void> {
  await sql`update audit_log set ${sql.ref(column)} = ${value} where id = ${id}`.execute(db)
}

describe('F9: tampering with the audit journal', () => {
  // Made before the first case, so that it lives for the file (a database made inside a case ends with it).
  beforeAll(async () => {
    await unguarded()
  })

  test('a byte flipped in any column of any row is found, and that row named', async () => {
    const { db, admin, file } = await tamperable()
    for (const id of [1, 5, 8]) {
      const original = await row(db, id)
      for (const column of columns) {
        const changed = flipped(original[column], column)
        await setColumn(db, id, column, changed)
        const check = await checkJournal(db, admin, { checkpointFile: file })
        expect({ column, id, check }).toMatchObject({ column, id, check: { ok: false, firstBadId: id } })
        await setColumn(db, column === 'id' ? Number(changed) : id, column, original[column])
        expect((await verifyJournal(db)).ok).toBe(true)
      }
    }
  })

  test('a row deleted from the middle is named', async () => {
    const { db, admin, file } = await tamperable()
    await db.deleteFrom('audit_log').where('id', '=', 4).execute()
    expect(await checkJournal(db, admin, { checkpointFile: file })).toMatchObject({
      ok: false,
      firstBadId: 4,
      reason: 'запись № 4 отсутствует',
    })
  })

  test('two rows swapped are found at the first of them', async () => {
    const { db, admin, file } = await tamperable()
    const [three, six] = [await row(db, 3), await row(db, 6)]
    await db
      .updateTable('audit_log')
      .set({ ...six, id: 3 })
      .where('id', '=', 3)
      .execute()
    await db
      .updateTable('audit_log')
      .set({ ...three, id: 6 })
      .where('id', '=', 6)
      .execute()
    expect(await checkJournal(db, admin, { checkpointFile: file })).toMatchObject({ ok: false, firstBadId: 3 })
  })

  test('a forged row without the key is found, appended or slipped into the middle', async () => {
    const { db, admin, file } = await tamperable()
    const forged = (id: number, prev: string): AuditRow => ({
      ...{ at: '2026-01-01T00:00:00.000Z', actor_id: null, channel: 'system', ip: null, action: 'user.confirm' },
      ...{ object_type: null, object_id: null, subject_id: null, pdn_related: 0, result: 'success', details: null },
      id,
      description: 'Подложная запись',
      prev_hash: prev,
      hash: 'f'.repeat(64),
    })
    const head = await row(db, 8)
    await db.insertInto('audit_log').values(forged(9, head.hash)).execute()
    await setHead(db, 9, 'f'.repeat(64))
    expect(await checkJournal(db, admin, { checkpointFile: file })).toMatchObject({
      ok: false,
      firstBadId: 9,
      // PostgreSQL's sequence meets the forged id 9 too: the check's own row cannot be written there either.
      reason: expect.stringMatching(/^запись № 9 изменена/),
    })

    const { db: other, admin: otherAdmin, file: otherFile } = await tamperable()
    await sql`update audit_log set id = id + 1000 where id >= 4`.execute(other)
    await sql`update audit_log set id = id - 999 where id >= 1000`.execute(other)
    await other
      .insertInto('audit_log')
      .values(forged(4, (await row(other, 3)).hash))
      .execute()
    // The forged row holds the id the head says comes next: the check cannot journal itself, and says so.
    expect(await checkJournal(other, otherAdmin, { checkpointFile: otherFile })).toMatchObject({
      ok: false,
      firstBadId: 4,
      reason: 'запись № 4 изменена; проверку не удалось записать в журнал',
    })
  })

  test('the tail cut and the head rewritten: the chain alone passes, the checkpoints name the first missing row', async () => {
    const { db, admin, file } = await tamperable()
    await db.deleteFrom('audit_log').where('id', '>=', 6).execute()
    await setHead(db, 5, (await row(db, 5)).hash)
    // What `audit verify` said before the checkpoints: intact.
    expect(await verifyJournal(db)).toEqual({ ok: true, count: 5 })
    const check = await checkJournal(db, admin, { checkpointFile: file, timeZone: 'UTC' })
    expect(check).toMatchObject({ ok: false, firstBadId: 6, checkpoints: { file, count: 2 } })
    expect(check.ok || check.reason).toMatch(
      /^журнал обрезан: записей № 6–8 нет, а контрольная точка от .* называет запись № 8; контрольными точками подтверждены записи по № 2$/,
    )
  })

  test('re-forged with the stolen key after cutting the tail: the chain passes, the checkpoints name where the forgery starts', async () => {
    const { db, admin, file } = await tamperable()
    // The attacker removes what rows 6–8 say, rewrites row 3, signs everything after row 2 again, and
    // journals harmless-looking rows with the key until the journal is as long as before, and longer.
    await db.deleteFrom('audit_log').where('id', '>=', 6).execute()
    await rewind(db, 5)
    await db.updateTable('audit_log').set({ description: 'Ничего не случилось' }).where('id', '=', 3).execute()
    await resign(db, 3)
    for (let i = 6; i <= 10; i++) await audit(db, systemActor(), { action: 'test.entry', description: `Запись ${i}` })
    expect(await verifyJournal(db)).toMatchObject({ ok: true })

    const check = await checkJournal(db, admin, { checkpointFile: file })
    expect(check).toMatchObject({ ok: false, firstBadId: 3 })
    expect(check.ok || check.reason).toMatch(
      /^запись № 8 не совпадает с контрольной точкой от .*: журнал переписан ключом журнала в записях № 3–8$/,
    )
  })

  test('re-forged shorter than a checkpoint: found as a cut, with how far the checkpoints vouch', async () => {
    const { db, admin, file } = await tamperable()
    await db.deleteFrom('audit_log').where('id', '>=', 4).execute()
    await rewind(db, 3)
    await resign(db, 1)
    await audit(db, systemActor(), { action: 'test.entry', description: 'Подложная 4' })
    await audit(db, systemActor(), { action: 'test.entry', description: 'Подложная 5' })
    const check = await checkJournal(db, admin, { checkpointFile: file })
    expect(check).toMatchObject({ ok: false, firstBadId: 6 })
    expect(check.ok || check.reason).toMatch(/записей № 6–8 нет.*подтверждены записи по № 2$/)
  })

  test('the check is journaled with the checkpoints it used; an untouched journal passes them', async () => {
    const { db, admin, file } = await tamperable()
    expect(await checkJournal(db, admin, { checkpointFile: file })).toEqual({
      ok: true,
      count: 8,
      checkpoints: { file, count: 2 },
    })
    const last = await db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    expect(last).toMatchObject({ action: 'audit.verify', result: 'success' })
    expect(last.description).toBe('Проверка журнала аудита: цел, записей: 8, контрольных точек: 2')
  })
})
