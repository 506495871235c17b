import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { auditCheckpointSchedule } from '#src/jobs/schedules.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { checkJournal } from './check-journal.ts'
import { appendCheckpoint, journalHead, verifyCheckpoints, writeCheckpoint } from './checkpoints.ts'
import { audit, GENESIS_HASH } from './journal.ts'

const root = mkdtempSync(path.join(tmpdir(), 'helpdesk-checkpoints-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshFile = () => path.join(root, `case-${++n}`, 'nested', 'audit-checkpoints.log')

describe('audit checkpoints', () => {
  // One database for the three cases, in order (a database each costs seconds on PostgreSQL).
  let db: Db
  beforeAll(async () => {
    db = (await testDatabase()).db
  })

  test('the daily schedule appends the head to a private file, keeping earlier lines as they were', async () => {
    const file = freshFile()
    const daily = auditCheckpointSchedule(file)
    expect(daily.everyMs).toBe(24 * 60 * 60_000)
    expect(await daily.run(db)).toBe(1)
    const first = readFileSync(file, 'utf8')
    expect(JSON.parse(first)).toMatchObject({ id: 0, hash: GENESIS_HASH, count: 0, reason: 'daily' })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700)

    await audit(db, systemActor(), { action: 'test.entry', description: 'Запись' })
    await daily.run(db)
    const text = readFileSync(file, 'utf8')
    expect(text.startsWith(first)).toBe(true)
    const second: unknown = JSON.parse(text.slice(first.length))
    expect(second).toMatchObject({ id: 1, count: 1 })
    expect(second).toMatchObject({ hash: (await journalHead(db)).hash })
  })

  test('a line that is not a checkpoint makes the check refuse, naming the line', async () => {
    const { actor } = await buildActor(db, { role: 'admin' })
    const file = freshFile()
    await writeCheckpoint(db, file, 'cli')
    appendFileSync(file, '{"id": 1, "hash": "подделка"}\n')
    await expect(checkJournal(db, actor, { checkpointFile: file })).rejects.toMatchObject({
      code: 'validation',
      message: `Файл контрольных точек ${file} повреждён: строка 2`,
    })
  })

  test('a restore sets aside the checkpoints of the replaced journal past its head, and counts them', async () => {
    for (let i = 1; i <= 3; i++) await audit(db, systemActor(), { action: 'test.entry', description: `Запись ${i}` })
    const at = new Date().toISOString()
    const real = await journalHead(db)
    const lost = { at, id: real.id + 4, hash: 'a'.repeat(64), count: real.id + 4, reason: 'daily' } as const
    const restored = { at, ...real, reason: 'restore' } as const
    const file = freshFile()
    // Before the restore: a checkpoint of a row the journal no longer has, of the journal the backup replaced.
    expect(await verifyCheckpoints(db, [lost], 'UTC')).toMatchObject({ ok: false, firstBadId: real.id + 1 })
    expect(await verifyCheckpoints(db, [lost, restored], 'UTC')).toEqual({
      ok: true,
      count: 1,
      superseded: 1,
      unchecked: 0,
    })
    // A checkpoint written after the restore is held like any other.
    expect(await verifyCheckpoints(db, [lost, restored, { ...lost, at }], 'UTC')).toMatchObject({ ok: false })
    await appendCheckpoint(file, lost)
    await appendCheckpoint(file, restored)
    const { actor } = await buildActor(db, { role: 'admin' })
    expect(await checkJournal(db, actor, { checkpointFile: file })).toMatchObject({
      ok: true,
      checkpoints: { file, count: 2, superseded: 1 },
    })
  })
})
