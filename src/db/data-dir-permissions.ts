import { chmodSync, lstatSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { isMainThread } from 'node:worker_threads'
import type { DatabaseConfig } from '#src/config.ts'
import type { Logger } from '#src/logger.ts'

/**
 * The data folder holds personal data (the database and its WAL, attached files, backups, the keys):
 * nobody but the service's own account may read it (COMPLIANCE.md; issue 8, item 9).
 */

/** Group and others get nothing: new files are 0600, new folders 0700. */
export const PRIVATE_UMASK = 0o077

/**
 * Makes every file this process creates from now on private to its account. Node refuses to change the
 * umask inside a worker thread (a test runner's thread): there the start-up check below still corrects.
 */
export function restrictNewFiles(): void {
  if (isMainThread) process.umask(PRIVATE_UMASK)
}

/** How many corrected paths the warning names; the rest are counted. */
const NAMED_IN_WARNING = 20

export interface PermissionReport {
  /** Paths relative to the data folder (`.` is the folder itself) whose group/other bits were removed. */
  corrected: string[]
  /** Paths whose mode could not be changed (owned by another account). */
  failed: string[]
}

/**
 * Takes group and other permissions off the data folder, everything under it, and the SQLite database
 * with its -wal/-shm wherever DATABASE_URL puts it. Symbolic links are neither followed nor changed: a
 * link inside the folder must not make us chmod something elsewhere.
 */
export function privatiseDataDir(dataDir: string, database?: DatabaseConfig): PermissionReport {
  const report: PermissionReport = { corrected: [], failed: [] }
  const root = path.resolve(dataDir)
  const visit = (file: string, descend: boolean) => {
    let stats: ReturnType<typeof lstatSync>
    try {
      stats = lstatSync(file)
    } catch {
      return // gone meanwhile, or never there (-wal, -shm)
    }
    if (stats.isSymbolicLink()) return
    const name = path.relative(root, file) || '.'
    if ((stats.mode & 0o077) !== 0) {
      try {
        chmodSync(file, stats.mode & 0o700)
        report.corrected.push(name)
      } catch {
        report.failed.push(name)
      }
    }
    if (descend && stats.isDirectory()) {
      for (const entry of readdirSync(file)) visit(path.join(file, entry), true)
    }
  }
  visit(root, true)
  if (database?.kind === 'sqlite' && database.file !== ':memory:') {
    const file = path.resolve(database.file)
    const relative = path.relative(root, file)
    // Inside the folder it has been visited already.
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      for (const suffix of ['', '-wal', '-shm', '-journal']) visit(`${file}${suffix}`, false)
    }
  }
  return report
}

/**
 * At start: new files private from now on, and what earlier versions (or a copy by hand) left readable
 * corrected, with one warning naming it (paths relative to DATA_DIR: hashes and backup names, no ПДн).
 */
export function secureDataDir(dataDir: string, database: DatabaseConfig, logger: Logger): PermissionReport {
  restrictNewFiles()
  const report = privatiseDataDir(dataDir, database)
  if (report.corrected.length > 0) {
    logger.warn(
      {
        corrected: report.corrected.slice(0, NAMED_IN_WARNING),
        count: report.corrected.length,
      },
      'data folder was readable by other accounts: group and other permissions removed',
    )
  }
  if (report.failed.length > 0) {
    logger.error(
      { paths: report.failed.slice(0, NAMED_IN_WARNING), count: report.failed.length },
      'data folder: permissions of these paths could not be changed (owned by another account?)',
    )
  }
  return report
}
