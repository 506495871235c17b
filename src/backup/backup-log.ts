import type { Backup, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'

/**
 * The record of every backup (table `backups`, migration 0017): a row when a backup starts, completed
 * when it ends. The dashboard and /metrics read the last good one from here.
 */

export async function recordBackupStart(db: Tx, trigger: 'schedule' | 'cli', encrypted: boolean): Promise<number> {
  const row = await db
    .insertInto('backups')
    .values({ started_at: now(), trigger, encrypted: encrypted ? 1 : 0, ok: null, error: null, verified_at: null })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

export async function recordBackupEnd(
  db: Tx,
  id: number,
  outcome: { ok: true; file: string; bytes: number; verifiedAt: string } | { ok: false; file?: string; error: string },
): Promise<void> {
  await db
    .updateTable('backups')
    .set(
      outcome.ok
        ? { finished_at: now(), ok: 1, file: outcome.file, bytes: outcome.bytes, verified_at: outcome.verifiedAt }
        : { finished_at: now(), ok: 0, file: outcome.file ?? null, error: outcome.error.slice(0, 2000) },
    )
    .where('id', '=', id)
    .execute()
}

/** When the newest backup that was made and verified finished; null when there is none. */
export async function lastGoodBackupAt(db: Tx): Promise<string | null> {
  const row = await db
    .selectFrom('backups')
    .select('finished_at')
    .where('ok', '=', 1)
    .where('verified_at', 'is not', null)
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.finished_at ?? null
}

/** The newest finished backup, good or not (a failure after the last good one is worth a warning). */
export async function lastFinishedBackup(db: Tx): Promise<Backup | undefined> {
  return db
    .selectFrom('backups')
    .selectAll()
    .where('finished_at', 'is not', null)
    .orderBy('finished_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** Whether a backup was begun at or after `since` (another instance's run of the same slot). */
export async function backupStartedSince(db: Tx, since: string): Promise<boolean> {
  const row = await db.selectFrom('backups').select('id').where('started_at', '>=', since).limit(1).executeTakeFirst()
  return row !== undefined
}

export async function listBackupRecords(db: Tx, limit = 100): Promise<Backup[]> {
  return db.selectFrom('backups').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
}
