import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { loadConfig } from '#src/config.ts'
import { serve } from '#src/main.ts'
import { capturedLogger } from './support/logger.ts'

const folders: string[] = []
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function startLines(env: Record<string, string>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-serve-backup-'))
  folders.push(dataDir)
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', WORKER: 'off', ...env })
  const { logger, lines } = capturedLogger()
  const running = await serve(config, logger, { handleSignals: false })
  await running.stop()
  return lines
}

test('serve warns at start that backups are not encrypted, and says nothing of it with a passphrase', async () => {
  const plain = await startLines({})
  expect(plain.filter((l) => l.level === 40 && /backups are NOT encrypted/.test(String(l.msg)))).toHaveLength(1)
  const encrypted = await startLines({ BACKUP_PASSPHRASE: 'фраза копий' })
  expect(encrypted.some((l) => /backups are NOT encrypted/.test(String(l.msg)))).toBe(false)
})

test('a mistyped BACKUP_SCHEDULE or BACKUP_KEEP stops the start with a Russian line', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-serve-backup-'))
  folders.push(dataDir)
  expect(() => loadConfig({ DATA_DIR: dataDir, BACKUP_SCHEDULE: '61 2 * * *' })).toThrow(
    /^Неверная настройка BACKUP_SCHEDULE: «61 2 \* \* \*» — не выражение cron/,
  )
  expect(() => loadConfig({ DATA_DIR: dataDir, BACKUP_KEEP: '7 дней' })).toThrow(/^Неверная настройка BACKUP_KEEP/)
  expect(() => loadConfig({ DATA_DIR: dataDir, BACKUP_PASSPHRASE: 'a', BACKUP_KEY_FILE: '/x' })).toThrow(/что-то одно/)
  expect(loadConfig({ DATA_DIR: dataDir, BACKUP_SCHEDULE: 'off' }).backup?.schedule).toBeNull()
  expect(loadConfig({ DATA_DIR: dataDir }).backup).toMatchObject({
    dir: path.join(dataDir, 'backups'),
    schedule: '30 2 * * *',
    keep: '7d,4w,12m',
  })
})
