import { existsSync } from 'node:fs'
import type { Db } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { listArchives, verifyArchives } from './archive.ts'
import { readCheckpoints, verifyCheckpoints } from './checkpoints.ts'
import { auditDenied } from './denied.ts'
import { audit, journalAnchor, type VerifyResult, verifyJournal } from './journal.ts'

export interface CheckOptions {
  /** The checkpoint file to hold the journal against (see checkpoints.ts). */
  checkpointFile?: string
  /** The file was named by the person: its absence is an error rather than a note. */
  checkpointFileRequired?: boolean
  /** For the checkpoints' times in the reasons. */
  timeZone?: string
  /** Where the journal's archives are (archive.ts); without it, archived rows are not checked. */
  archiveDir?: string
}

/** Which checkpoint file the check used: `count` is null when the file does not exist (yet). */
export interface CheckpointsUsed {
  file: string
  count: number | null
  /** Checkpoints of a journal later replaced by a backup (`restore` lines), not checked. */
  superseded?: number
}

/** The archives the journal records: rows in them, files verified, files not at hand. */
export interface ArchivesUsed {
  rows: number
  files: number
  verified: number
  missing: string[]
}

export type JournalCheck = VerifyResult & {
  checkpoints?: CheckpointsUsed
  archives?: ArchivesUsed
  /** Checkpoints of archived rows whose archive file was not at hand. */
  uncheckedCheckpoints?: number
}

/**
 * Verifies the journal's chain for an admin (or the console: `helpdesk audit verify`) and journals the
 * check with its outcome. With a checkpoint file, a chain that verifies must also still hold every
 * checkpointed head: that catches a cut tail and a chain re-signed with a stolen key. It reads every
 * row: run on demand, not per page view.
 */
export async function checkJournal(db: Db, actor: Actor, options: CheckOptions = {}): Promise<JournalCheck> {
  if (!can(actor, 'audit.view')) {
    await auditDenied(db, actor, {
      action: 'audit.verify',
      objectType: 'audit_log',
      description: 'Отказ в проверке журнала аудита',
    })
    throw new DomainError('forbidden', 'Журнал аудита доступен только администратору')
  }
  const { checkpointFile: file } = options
  const found = file !== undefined && existsSync(file)
  if (file !== undefined && !found && options.checkpointFileRequired) {
    throw new DomainError('not_found', `Файл контрольных точек ${file} не найден`)
  }
  const checkpoints = found ? await readCheckpoints(file) : []
  if (!Array.isArray(checkpoints)) {
    throw new DomainError('validation', `Файл контрольных точек ${file} повреждён: строка ${checkpoints.line}`)
  }
  let result: VerifyResult = await verifyJournal(db)
  const anchor = await journalAnchor(db)
  let archives: ArchivesUsed | undefined
  let hashes: ReadonlyMap<number, string> = new Map()
  if (result.ok && anchor.id > 0) {
    const wanted = new Set(checkpoints.map((c) => c.id).filter((id) => id > 0 && id <= anchor.id))
    const files = await listArchives(db)
    const checked = await verifyArchives(files, options.archiveDir, wanted)
    const rows = files.reduce((sum, a) => sum + a.count, 0)
    archives = { rows, files: files.length, verified: checked.verified, missing: checked.missing }
    hashes = checked.hashes
    if (checked.broken) {
      const { broken } = checked
      result = {
        ok: false,
        count: result.count,
        firstBadId: broken.firstId,
        reason: `архив ${broken.file}: ${broken.reason}`,
      }
    }
  }
  let superseded = 0
  let unchecked = 0
  if (result.ok && checkpoints.length > 0) {
    const anchored = await verifyCheckpoints(db, checkpoints, options.timeZone ?? 'Europe/Moscow', {
      lastId: anchor.id,
      hashes,
    })
    if (!anchored.ok) result = { ...anchored, count: result.count }
    else {
      superseded = anchored.superseded
      unchecked = anchored.unchecked
    }
  }
  const used: CheckpointsUsed | undefined =
    file === undefined
      ? undefined
      : { file, count: found ? checkpoints.length : null, ...(superseded > 0 ? { superseded } : {}) }
  const anchoredText =
    (used?.count ? `, контрольных точек: ${used.count}` : '') +
    (superseded > 0 ? `, из них до восстановления из копии: ${superseded}` : '') +
    (archives ? `, в архивах: ${archives.rows} (файлов сверено: ${archives.verified} из ${archives.files})` : '')
  const journaled = audit(db, actor, {
    action: 'audit.verify',
    objectType: 'audit_log',
    result: result.ok ? 'success' : 'error',
    description: result.ok
      ? `Проверка журнала аудита: цел, записей: ${result.count}${anchoredText}`
      : `Проверка журнала аудита: нарушен, ${result.reason}`,
    details: {
      count: result.count,
      ...(result.ok ? {} : { firstBadId: result.firstBadId }),
      ...(used ? { checkpoints: used.count } : {}),
      ...(archives
        ? { archived: archives.rows, archivesVerified: archives.verified, archivesMissing: archives.missing }
        : {}),
    },
  })
  if (result.ok) await journaled
  else {
    // A journal tampered with can refuse the next row too (a forged row already holds the head's next id):
    // the finding still reaches the person, who is told that it could not be journaled.
    const failure = await journaled.then(
      () => undefined,
      () => 'проверку не удалось записать в журнал',
    )
    if (failure) result = { ...result, reason: `${result.reason}; ${failure}` }
  }
  return {
    ...result,
    ...(used ? { checkpoints: used } : {}),
    ...(archives ? { archives } : {}),
    ...(unchecked > 0 ? { uncheckedCheckpoints: unchecked } : {}),
  }
}
