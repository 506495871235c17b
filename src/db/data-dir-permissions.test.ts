import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { capturedLogger } from '../../test/support/logger.ts'
import { secureDataDir } from './data-dir-permissions.ts'

const folders: string[] = []
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

const modeOf = (file: string) => statSync(file).mode & 0o777

describe('data folder permissions', () => {
  test('a folder left readable by others (0755/0644) is corrected to 0700/0600 with one warning naming the paths', () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'helpdesk-perms-'))
    folders.push(parent)
    const dataDir = path.join(parent, 'data')
    const outside = path.join(parent, 'elsewhere.txt')
    writeFileSync(outside, 'not ours')
    chmodSync(outside, 0o644)
    const files = ['helpdesk.sqlite', 'helpdesk.sqlite-wal', 'secrets.json', 'backups/helpdesk-20260101-000000.sqlite']
    const sha = 'ab'.repeat(32)
    mkdirSync(path.join(dataDir, 'files', 'ab'), { recursive: true })
    mkdirSync(path.join(dataDir, 'backups'), { recursive: true })
    for (const file of [...files, `files/ab/${sha}`]) writeFileSync(path.join(dataDir, file), 'x')
    for (const dir of ['.', 'files', 'files/ab', 'backups']) chmodSync(path.join(dataDir, dir), 0o755)
    for (const file of [...files, `files/ab/${sha}`]) chmodSync(path.join(dataDir, file), 0o644)
    // Already private: left as it is, and not named.
    writeFileSync(path.join(dataDir, 'audit-checkpoint.json'), '{}', { mode: 0o600 })
    chmodSync(path.join(dataDir, 'audit-checkpoint.json'), 0o600)
    // A link is neither followed nor changed: what it points to is not ours to chmod.
    symlinkSync(outside, path.join(dataDir, 'link'))

    const { logger, lines } = capturedLogger()
    const report = secureDataDir(dataDir, { kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') }, logger)

    for (const dir of ['.', 'files', 'files/ab', 'backups']) expect(modeOf(path.join(dataDir, dir))).toBe(0o700)
    for (const file of [...files, `files/ab/${sha}`, 'audit-checkpoint.json']) {
      expect(modeOf(path.join(dataDir, file)), file).toBe(0o600)
    }
    expect(modeOf(outside)).toBe(0o644)
    expect(report.failed).toEqual([])
    expect(report.corrected.sort()).toEqual(['.', 'files', 'files/ab', 'backups', ...files, `files/ab/${sha}`].sort())
    const warnings = lines.filter((l) => l.level === 40)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ count: 9 })
    expect(warnings[0]?.corrected).toEqual(expect.arrayContaining(['.', 'helpdesk.sqlite', 'secrets.json']))
    // Relative names only: where the data folder is says nothing, and absolute paths stay out of the log.
    expect(JSON.stringify(warnings[0])).not.toContain(parent)

    // Corrected once: the next start has nothing to say.
    const again = capturedLogger()
    expect(
      secureDataDir(dataDir, { kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') }, again.logger),
    ).toEqual({ corrected: [], failed: [] })
    expect(again.lines.filter((l) => l.level === 40)).toEqual([])
  })

  test('a SQLite database outside the data folder is corrected too, with its WAL', () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'helpdesk-perms-'))
    folders.push(parent)
    const dataDir = path.join(parent, 'data')
    mkdirSync(dataDir, { mode: 0o700 })
    chmodSync(dataDir, 0o700)
    const database = path.join(parent, 'db', 'main.sqlite')
    mkdirSync(path.dirname(database))
    writeFileSync(database, 'x')
    writeFileSync(`${database}-wal`, 'x')
    chmodSync(database, 0o644)
    chmodSync(`${database}-wal`, 0o664)

    const { logger } = capturedLogger()
    const report = secureDataDir(dataDir, { kind: 'sqlite', file: database }, logger)
    expect(modeOf(database)).toBe(0o600)
    expect(modeOf(`${database}-wal`)).toBe(0o600)
    expect(report.corrected).toEqual(['../db/main.sqlite', '../db/main.sqlite-wal'])
  })
})
