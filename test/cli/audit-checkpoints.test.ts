import { randomBytes } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { expect, test } from 'vitest'
import { audit, setAuditKey } from '#src/audit/journal.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import { systemActor } from '#src/users/actor.ts'
import { CLI_TIMEOUT, databaseFile, freshEnv, helpdesk, lines, withFileDatabase } from './helpers.ts'

function parsedLines(file: string): Array<Record<string, unknown>> {
  return lines(readFileSync(file, 'utf8')).map((line) => {
    const value: unknown = JSON.parse(line)
    if (typeof value !== 'object' || value === null) throw new Error(`not a checkpoint: ${line}`)
    return Object.fromEntries(Object.entries(value))
  })
}

test('F9 through the real command: checkpoint and backup anchor the head; a cut tail with a rewritten head is named', {
  timeout: CLI_TIMEOUT,
}, async () => {
  const env = await freshEnv()
  // Arranged in this process (a spawn costs seconds): the installation's key, its database, four rows.
  const auditKey = randomBytes(32).toString('hex')
  const secrets = { auditKey, secretKey: randomBytes(32).toString('hex') }
  writeFileSync(path.join(env.dataDir, 'secrets.json'), JSON.stringify(secrets), { mode: 0o600 })
  setAuditKey(auditKey)
  await withFileDatabase(env, async (db) => {
    await migrateToLatest(db)
    for (let i = 1; i <= 4; i++) await audit(db, systemActor(), { action: 'test.entry', description: `Запись ${i}` })
  })

  const [checkpoint, elsewhere] = await Promise.all([
    helpdesk(env, ['audit', 'checkpoint']),
    helpdesk(env, ['audit', 'verify', '--checkpoints', path.join(env.dataDir, 'нет такого.log')]),
  ])
  expect(elsewhere.code).toBe(2)
  expect(elsewhere.stderr).toContain('нет такого.log не найден')
  expect(checkpoint.code).toBe(0)
  expect(checkpoint.stdout).toMatch(/^Контрольная точка записана: запись № 4, хеш [0-9a-f]{64}\n$/)
  const file = path.join(env.dataDir, 'audit-checkpoints.log')
  expect(statSync(file).mode & 0o777).toBe(0o600)
  expect(parsedLines(file)).toMatchObject([{ id: 4, count: 4, reason: 'cli' }])

  // Row 5 journals the checkpoint itself; the backup's copy ends there, and its head goes beside the copy.
  const backup = await helpdesk(env, ['backup'])
  expect(backup.code).toBe(0)
  const copy = backup.stdout.trim()
  const manifest: unknown = JSON.parse(readFileSync(`${copy}.manifest.json`, 'utf8'))
  expect(manifest).toMatchObject({ file: path.basename(copy), journal: { id: 5, count: 5 } })
  expect(backup.stderr).toMatch(/Последняя запись журнала в копии: № 5, хеш [0-9a-f]{64}/)
  expect(parsedLines(file)).toMatchObject([{ id: 4 }, { id: 5, reason: 'backup' }])

  // Rows 4 onwards deleted and the head in settings moved back to row 3: no key needed for that.
  const raw = new Database(databaseFile(env))
  raw.exec('drop trigger audit_log_no_delete')
  raw.prepare('delete from audit_log where id >= 4').run()
  const three = raw.prepare('select hash from audit_log where id = 3').pluck().get()
  raw.prepare("update settings set value = ? where key = 'audit.head'").run(JSON.stringify({ id: 3, hash: three }))
  raw.close()

  const verify = await helpdesk(env, ['audit', 'verify'])
  expect(verify.code).toBe(1)
  expect(lines(verify.stderr)).toEqual([
    expect.stringMatching(
      /^Ошибка: журнал аудита нарушен — журнал обрезан: записи № 4 нет, а контрольная точка от .+ называет запись № 4 \(проверено записей: 3\)$/,
    ),
  ])
  expect(verify.stdout).toBe(`Контрольные точки: ${file} (2 шт.)\n`)
})
