import { existsSync, mkdirSync } from 'node:fs'
import { rename } from 'node:fs/promises'
import path from 'node:path'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import type { JournalHead } from '#src/audit/checkpoints.ts'
import { setAuditKey } from '#src/audit/journal.ts'
import type { Config, DatabaseConfig } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import {
  checkRestoredDatabase,
  fileStamp,
  filesIn,
  type Manifest,
  openBundle,
  PART,
  pgRestore,
  removeScratch,
  restoredAuditKey,
} from './backup.ts'
import { sniffBundle } from './bundle.ts'
import { quiesce, restoreBackup } from './sqlite-backup.ts'

/**
 * A restore, also on a fresh machine: the bundle is decrypted, extracted and checked in a scratch folder
 * inside the target DATA_DIR (every hash, the database's integrity, the journal's chain with the bundle's
 * own key); only then is whatever the target holds renamed aside (DATA_DIR/backups/helpdesk-before-restore-…,
 * never deleted) and the parts renamed into place. A wrong passphrase or a damaged file stops before anything
 * in the target is touched. PostgreSQL is restored with pg_restore, in one transaction, into an EMPTY database.
 */

export interface RestoreTarget {
  dataDir: string
  database: DatabaseConfig
  filesDir: string
  secrets: string
  archiveDir: string
}

/** The configured installation, or with `--to DIR` that folder laid out as a DATA_DIR (its own SQLite file). */
export function restoreTargetOf(config: Config, to?: string): RestoreTarget {
  if (to === undefined) {
    return {
      dataDir: config.dataDir,
      database: config.migrationDatabase ?? config.database,
      filesDir: path.join(config.dataDir, 'files'),
      secrets: path.join(config.dataDir, 'secrets.json'),
      archiveDir: config.auditArchiveDir ?? path.join(config.dataDir, 'audit-archive'),
    }
  }
  const dataDir = path.resolve(to)
  return {
    dataDir,
    database:
      config.database.kind === 'postgres'
        ? (config.migrationDatabase ?? config.database)
        : { kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') },
    filesDir: path.join(dataDir, 'files'),
    secrets: path.join(dataDir, 'secrets.json'),
    archiveDir: path.join(dataDir, 'audit-archive'),
  }
}

export interface RestoreReport {
  /** A bare `.sqlite` file of the earlier `helpdesk backup`: the database only. */
  legacy: boolean
  manifest: Manifest | null
  journalCount: number
  head: JournalHead | null
  files: number
  secrets: boolean
  archives: number
  /** Where what the target held was put; null when it held nothing. */
  aside: string | null
}

export async function restoreInstallation(
  config: Config,
  source: string,
  target: RestoreTarget,
): Promise<RestoreReport> {
  const file = path.resolve(source)
  if (!existsSync(file)) throw new DomainError('not_found', `Файл ${file} не найден`)
  const kind = await sniffBundle(file)
  if (kind === 'sqlite') return restoreLegacy(config, file, target)
  if (kind === 'unknown') throw new DomainError('validation', `Файл ${file} не является резервной копией helpdesk`)

  mkdirSync(target.dataDir, { recursive: true, mode: 0o700 })
  const { scratch, manifest } = await openBundle(file, target.dataDir, config.backup?.passphrase)
  try {
    if (manifest.database.kind !== target.database.kind) {
      throw new DomainError(
        'validation',
        manifest.database.kind === 'sqlite'
          ? 'В копии база SQLite, а настроен PostgreSQL (DATABASE_URL): восстановите без DATABASE_URL'
          : 'В копии база PostgreSQL: задайте DATABASE_URL пустой базы PostgreSQL',
      )
    }
    const auditKey = restoredAuditKey(config, scratch)
    const archiveDir = path.join(scratch, PART.archives)
    const what = `Резервная копия ${path.basename(file)}`
    const part = path.join(scratch, manifest.database.part)
    let check: Awaited<ReturnType<typeof checkRestoredDatabase>>
    if (target.database.kind === 'sqlite') {
      const db = openDatabase({ kind: 'sqlite', file: part })
      try {
        check = await checkRestoredDatabase(db, manifest, { auditKey, archiveDir, requireCurrent: false, what })
      } finally {
        await db.destroy()
      }
    } else {
      await refuseNonEmptyPostgres(target.database.url)
      await pgRestore(config, part, target.database.url)
      const db = openDatabase(target.database, { poolSize: 1 })
      try {
        check = await checkRestoredDatabase(db, manifest, { auditKey, archiveDir, requireCurrent: false, what })
      } finally {
        await db.destroy()
      }
    }
    setAuditKey(auditKey)

    const moves: Array<{ from: string; to: string }> = []
    if (target.database.kind === 'sqlite') moves.push({ from: part, to: target.database.file })
    if (existsSync(path.join(scratch, PART.secrets)))
      moves.push({ from: path.join(scratch, PART.secrets), to: target.secrets })
    moves.push({ from: path.join(scratch, PART.files), to: target.filesDir })
    moves.push({ from: path.join(scratch, PART.archives), to: target.archiveDir })
    const aside = await swapIn(target, moves)
    return {
      legacy: false,
      manifest,
      journalCount: check.journalCount,
      head: check.head,
      files: filesIn(manifest, PART.files),
      secrets: PART.secrets in manifest.parts,
      archives: filesIn(manifest, PART.archives),
      aside,
    }
  } finally {
    await removeScratch(scratch)
  }
}

/** pg_restore goes only into an empty database: mixing a backup into live tables is never what was meant. */
async function refuseNonEmptyPostgres(url: string): Promise<void> {
  const db = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
  try {
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from information_schema.tables
      where table_schema = current_schema()`.execute(db)
    if (Number(rows[0]?.n ?? 0) > 0) {
      throw new DomainError(
        'conflict',
        'База PostgreSQL не пуста: восстановление — только в пустую базу (createdb новая_база и DATABASE_URL на неё)',
      )
    }
  } finally {
    await db.destroy()
  }
}

/**
 * What the target holds is renamed aside first, then each part is renamed into place. A rename that
 * fails puts back everything done so far: the target is either as it was or fully restored.
 */
async function swapIn(target: RestoreTarget, moves: Array<{ from: string; to: string }>): Promise<string | null> {
  const aside = path.join(target.dataDir, 'backups', `helpdesk-before-restore-${fileStamp(now())}`)
  const done: Array<{ from: string; to: string }> = []
  const move = async (from: string, to: string) => {
    mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 })
    await rename(from, to)
    done.push({ from, to })
  }
  try {
    for (const { to } of moves) {
      if (!existsSync(to)) continue
      if (target.database.kind === 'sqlite' && to === target.database.file) {
        const live = new Database(to, { fileMustExist: true })
        try {
          quiesce(live)
        } finally {
          live.close()
        }
        for (const suffix of ['-wal', '-shm', '-journal']) {
          if (existsSync(`${to}${suffix}`))
            await move(`${to}${suffix}`, path.join(aside, `${path.basename(to)}${suffix}`))
        }
      }
      await move(to, path.join(aside, path.basename(to)))
    }
    for (const { from, to } of moves) if (existsSync(from)) await move(from, to)
  } catch (error) {
    for (const { from, to } of done.reverse()) await rename(to, from).catch(() => undefined)
    throw error
  }
  return existsSync(aside) ? aside : null
}

/** A `.sqlite` of the earlier `helpdesk backup` (database only), restored as it always was. */
async function restoreLegacy(config: Config, file: string, target: RestoreTarget): Promise<RestoreReport> {
  if (target.database.kind !== 'sqlite') {
    throw new DomainError('validation', 'Файл — копия базы SQLite, а настроен PostgreSQL (DATABASE_URL)')
  }
  setAuditKey(config.auditKey)
  const plan = await restoreBackup({ ...config, dataDir: target.dataDir, database: target.database }, file)
  return {
    legacy: true,
    manifest: null,
    journalCount: plan.journalCount,
    head: null,
    files: 0,
    secrets: false,
    archives: 0,
    aside: plan.safetyCopy,
  }
}
