import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { type VerifyResult, verifyJournal } from '#src/audit/journal.ts'
import type { Config } from '#src/config.ts'
import type { Database as Schema } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { fileStamp } from './backup.ts'

/**
 * Backups of the SQLite database alone, as `helpdesk backup` wrote them before issue 11 (`….sqlite`, a
 * `VACUUM INTO` copy): they stay restorable. A restore first proves that the file is a helpdesk database
 * whose audit journal verifies, then swaps it in with the server stopped, keeping the replaced database
 * beside the backups. New backups are bundles (backup.ts).
 */

/** The tables every helpdesk database has; a file without them is not one of our backups. */
const REQUIRED_TABLES = ['users', 'tickets', 'audit_log', 'settings', 'kysely_migration'] as const

export function backupDir(config: Config): string {
  return path.join(config.dataDir, 'backups')
}

function sqliteFile(config: Config): string {
  if (config.database.kind !== 'sqlite' || config.database.file === ':memory:') {
    throw new DomainError('bad_request', 'Резервное копирование этой командой — только для SQLite')
  }
  return config.database.file
}

/**
 * Proves that a file is a helpdesk database whose journal chain verifies with our key.
 * Opens it read-only; never changes it.
 */
export async function verifyBackupFile(file: string): Promise<VerifyResult & { ok: true }> {
  if (!existsSync(file)) throw new DomainError('not_found', `Файл ${file} не найден`)
  const notBackup = (why: string) =>
    new DomainError('validation', `Файл ${file} не является резервной копией helpdesk: ${why}`)
  let raw: Database.Database
  try {
    raw = new Database(file, { readonly: true, fileMustExist: true })
  } catch {
    throw notBackup('файл не открывается как база SQLite')
  }
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: raw }) })
  try {
    let check: unknown
    try {
      check = raw.pragma('quick_check', { simple: true })
    } catch {
      throw notBackup('это не база SQLite')
    }
    if (check !== 'ok') throw notBackup(`база повреждена (${String(check)})`)
    const tables = new Set(
      raw
        .prepare("select name from sqlite_master where type = 'table'")
        .pluck()
        .all()
        .filter((name): name is string => typeof name === 'string'),
    )
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t))
    if (missing.length > 0) throw notBackup(`нет таблиц ${missing.join(', ')}`)
    const result = await verifyJournal(db).catch(() => null)
    if (!result) throw notBackup('журнал аудита не читается')
    if (!result.ok) throw notBackup(`журнал аудита не проходит проверку — ${result.reason}`)
    return result
  } finally {
    await db.destroy()
  }
}

export interface RestorePlan {
  /** The live database file that will be replaced. */
  live: string
  /** Where the replaced database is kept, in case the restore was a mistake. */
  safetyCopy: string | null
  journalCount: number
}

/**
 * Replaces the live database with a verified backup. The caller has made sure that no server is
 * running; here the live file is checkpointed (nothing left in its WAL), copied aside, and the
 * backup's copy is renamed over it atomically.
 */
export async function restoreBackup(config: Config, source: string): Promise<RestorePlan> {
  const live = sqliteFile(config)
  const file = path.resolve(source)
  if (file === path.resolve(live)) throw new DomainError('validation', 'Нельзя восстановить базу из неё самой')
  const verified = await verifyBackupFile(file)

  let safetyCopy: string | null = null
  if (existsSync(live)) {
    const current = new Database(live, { fileMustExist: true })
    try {
      quiesce(current)
      mkdirSync(backupDir(config), { recursive: true })
      safetyCopy = path.join(backupDir(config), `helpdesk-before-restore-${fileStamp(now())}.sqlite`)
      current.prepare('vacuum into ?').run(safetyCopy)
    } finally {
      current.close()
    }
  }

  const incoming = `${live}.restoring`
  copyFileSync(file, incoming)
  const fd = openSync(incoming, 'r+')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  for (const leftover of [`${live}-wal`, `${live}-shm`, `${live}-journal`]) rmSync(leftover, { force: true })
  renameSync(incoming, live)
  return { live, safetyCopy, journalCount: verified.count }
}

/**
 * Nothing left in a live database's WAL, and no other process in it (a server, a command): a restore may
 * then replace the file. `PRAGMA wal_checkpoint` answers one row `{ busy, log, checkpointed }`; busy = 1
 * when others held it up.
 */
export function quiesce(db: Database.Database): void {
  db.pragma('busy_timeout = 2000')
  const rows: unknown = db.pragma('wal_checkpoint(TRUNCATE)')
  const first: unknown = Array.isArray(rows) ? rows[0] : undefined
  if (typeof first === 'object' && first !== null && 'busy' in first && first.busy !== 0) {
    throw new DomainError('conflict', 'База данных занята другим процессом: остановите сервер и повторите')
  }
}
