import { existsSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { audit } from '#src/audit/journal.ts'
import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError, isDomainError } from '#src/errors.ts'
import { formatDateTime } from '#src/format/zone-days.ts'
import { tellAdmins } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import {
  type BundleMade,
  backupDirOf,
  bundleTime,
  filesIn,
  makeBundle,
  PART,
  type Verification,
  verifyBundle,
} from './backup.ts'
import { lastGoodBackupAt, recordBackupEnd, recordBackupStart } from './backup-log.ts'
import { backupsToKeep, parseKeepRules } from './rules.ts'

/**
 * A backup from start to record: the bundle, its trial restore, the row in `backups`, the journal entry,
 * and for the nightly one the rotation of BACKUP_DIR. A failure is recorded and journaled too, and the
 * nightly one's is told to the admins in Telegram (the console's is printed to whoever ran it).
 */

export interface BackupOptions {
  trigger: 'schedule' | 'cli'
  actor: Actor
  target?: string
  /** Tests: a cheaper scrypt than age's 2^18. */
  scryptLogN?: number
}

export interface BackupDone extends BundleMade {
  verification: Verification
  /** Files the rotation removed (the nightly backup only). */
  rotated: string[]
}

export async function runBackup(db: Db, config: Config, options: BackupOptions): Promise<BackupDone> {
  const encrypted = config.backup?.passphrase !== undefined
  const id = await recordBackupStart(db, options.trigger, encrypted)
  let made: BundleMade | undefined
  try {
    made = await makeBundle(config, {
      ...(options.target !== undefined ? { target: options.target } : {}),
      ...(options.scryptLogN !== undefined ? { scryptLogN: options.scryptLogN } : {}),
    })
    const verification = await verifyBundle(made.file, config)
    await recordBackupEnd(db, id, {
      ok: true,
      file: made.file,
      bytes: made.bytes,
      verifiedAt: verification.verifiedAt,
    })
    const { manifest } = made
    const files = filesIn(manifest, PART.files)
    await audit(db, options.actor, {
      action: 'backup.create',
      objectType: 'backup',
      objectId: path.basename(made.file),
      description: `Создана и проверена резервная копия (${made.bytes} байт, вложений: ${files}${encrypted ? ', зашифрована' : ', не зашифрована'})`,
      details: {
        file: path.basename(made.file),
        bytes: made.bytes,
        encrypted,
        files,
        journalId: manifest.journal.id,
        journalHash: manifest.journal.hash,
        listedOnly: verification.listedOnly,
      },
    })
    const rotated = options.trigger === 'schedule' ? await rotateBackups(db, config, options.actor) : []
    return { ...made, verification, rotated }
  } catch (error) {
    const reason = isDomainError(error) ? error.message : `внутренняя ошибка (${errorText(error)})`
    // A bundle that did not pass its trial restore must not pass for a backup, nor pile up night after night
    // on the backup disk: it goes, the reason stays in `backups` and the journal.
    if (made) {
      await rm(made.file, { force: true }).catch(() => undefined)
      await rm(made.manifestFile, { force: true }).catch(() => undefined)
    }
    await recordBackupEnd(db, id, { ok: false, ...(made ? { file: made.file } : {}), error: reason }).catch(
      () => undefined,
    )
    await audit(db, options.actor, {
      action: 'backup.create',
      objectType: 'backup',
      result: 'error',
      description: `Резервная копия не создана: ${reason}`.slice(0, 500),
    }).catch(() => undefined)
    if (options.trigger === 'schedule') await notifyAdminsOfFailure(db, config, reason).catch(() => undefined)
    throw error
  }
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 200) ?? ''
}

/**
 * Told to every active admin with Telegram, through the outbox (delivered, retried, rate-limited like any
 * notice). The text names no person: the reason is about files and the database.
 */
export async function notifyAdminsOfFailure(db: Db, config: Config, reason: string): Promise<number> {
  const lastGood = await lastGoodBackupAt(db)
  const text = [
    '⚠️ Резервная копия helpdesk не создана.',
    reason.slice(0, 500),
    lastGood ? `Последняя удачная: ${formatDateTime(lastGood, config.tzDisplay)}.` : 'Удачных резервных копий ещё нет.',
    'Проверьте журнал сервера и место в BACKUP_DIR; вручную: helpdesk backup.',
  ].join('\n')
  return transact(db, (tx) => tellAdmins(tx, text))
}

/**
 * BACKUP_KEEP applied to BACKUP_DIR: bundles (and older `.sqlite` backups) named by this program that no
 * rule keeps are removed with their manifests; anything else in the folder is never touched. Journaled.
 */
export async function rotateBackups(db: Db, config: Config, actor: Actor): Promise<string[]> {
  const rules = parseKeepRules(config.backup?.keep ?? '7d,4w,12m')
  if (typeof rules === 'string') throw new DomainError('validation', `BACKUP_KEEP: ${rules}`)
  const dir = backupDirOf(config)
  if (!existsSync(dir)) return []
  const backups = (await readdir(dir)).flatMap((name) => {
    const at = bundleTime(name)
    return at ? [{ name, at }] : []
  })
  const keep = backupsToKeep(backups, rules, config.tzDisplay)
  const removed: string[] = []
  for (const backup of backups) {
    if (keep.has(backup)) continue
    await rm(path.join(dir, backup.name), { force: true })
    await rm(path.join(dir, `${backup.name}.manifest.json`), { force: true })
    removed.push(backup.name)
  }
  if (removed.length > 0) {
    await audit(db, actor, {
      action: 'backup.rotate',
      objectType: 'backup',
      description: `Удалены старые резервные копии по правилу BACKUP_KEEP=${config.backup?.keep ?? ''}: ${removed.length}`,
      details: { removed, kept: keep.size },
    })
  }
  return removed.sort()
}
