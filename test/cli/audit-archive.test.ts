import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { expect, test } from 'vitest'
import { audit, setAuditKey } from '#src/audit/journal.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import { systemActor } from '#src/users/actor.ts'
import { setTestClock } from '../support/clock.ts'
import { CLI_TIMEOUT, freshEnv, helpdesk, lines, withFileDatabase } from './helpers.ts'

test('helpdesk audit archive: describes without --yes, archives with it; verify checks the file, or says it is gone', {
  timeout: CLI_TIMEOUT,
}, async () => {
  const env = await freshEnv()
  // Arranged in this process (a spawn costs seconds): the installation's key and six rows of 2021.
  const auditKey = randomBytes(32).toString('hex')
  writeFileSync(
    path.join(env.dataDir, 'secrets.json'),
    JSON.stringify({ auditKey, secretKey: randomBytes(32).toString('hex') }),
    { mode: 0o600 },
  )
  setAuditKey(auditKey)
  await withFileDatabase(env, async (db) => {
    await migrateToLatest(db)
    setTestClock('2021-05-04T09:00:00.000Z')
    for (let i = 1; i <= 6; i++) await audit(db, systemActor(), { action: 'test.entry', description: `Запись ${i}` })
  })

  const asked = await helpdesk(env, ['audit', 'archive'])
  expect(asked.code).toBe(1)
  const archiveDir = path.join(env.dataDir, 'audit-archive')
  expect(lines(asked.stdout)).toEqual([expect.stringMatching(/^К архивированию: 6 записей старше .* \(по № 6\) → /)])
  expect(asked.stdout).toContain(archiveDir)
  expect(asked.stderr).toContain('повторите команду с --yes')
  expect(existsSync(archiveDir)).toBe(false)

  const done = await helpdesk(env, ['audit', 'archive', '--yes'])
  expect(done.code).toBe(0)
  const file = path.join(archiveDir, 'audit-archive-000000001-000000006.jsonl.gz')
  expect(lines(done.stdout)).toEqual([file])
  expect(done.stderr).toMatch(/^Архив журнала: записи № 1–6 \(6 записей\), SHA-256 [0-9a-f]{64}; удалено из базы: 6\n$/)

  const verified = await helpdesk(env, ['audit', 'verify'])
  expect(verified.code).toBe(0)
  expect(verified.stdout).toContain('Журнал аудита цел')
  expect(verified.stdout).toContain('В архивах: 6 записей; файлов сверено: 1 из 1')

  // Moved to long-term storage: said, not failed; pointed at with --archive-dir, it is checked again.
  const storage = path.join(env.dataDir, 'storage')
  mkdirSync(storage)
  renameSync(file, path.join(storage, path.basename(file)))
  const [gone, elsewhere, again] = await Promise.all([
    helpdesk(env, ['audit', 'verify']),
    helpdesk(env, ['audit', 'verify', '--archive-dir', storage]),
    helpdesk(env, ['audit', 'archive', '--yes']),
  ])
  expect(gone.code, gone.stderr).toBe(0)
  expect(gone.stdout).toContain(`Файла архива ${path.basename(file)} нет: его записи не сверены`)
  expect(elsewhere.code, elsewhere.stderr).toBe(0)
  expect(elsewhere.stdout).toContain('файлов сверено: 1 из 1')
  expect(again.code, again.stderr).toBe(0)
  expect(again.stdout).toMatch(/^Записей старше 1095 дней нет: архивировать нечего\n$/)
})
