import { mkdirSync } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { syncFolder } from '#src/files/durable-write.ts'
import { formatDateTime } from '#src/format/zone-days.ts'
import { chainJournal, GENESIS_HASH } from './journal.ts'

/**
 * Anchors of the journal outside the database. The chain proves that no row was changed by someone
 * without the HMAC key; it cannot prove that the tail was not cut (the head in `settings` is rewritten
 * as easily) or that the whole chain was not re-signed by someone who read the key. A line appended
 * to a file elsewhere, naming the head (id and hash) at a moment, can: a later journal must still hold
 * that row with that hash. Each line is one JSON object; the file is only ever appended to.
 */

export interface JournalHead {
  /** Id of the last row (0 for an empty journal). */
  id: number
  hash: string
  /** Rows in the journal. */
  count: number
}

/**
 * `restore`: the database was replaced by a backup whose head this is. Checkpoints written before it
 * beyond that head belonged to the replaced journal; they are set aside (and counted), not failed.
 */
export type CheckpointReason = 'daily' | 'cli' | 'backup' | 'restore'

export interface Checkpoint extends JournalHead {
  at: string
  reason: CheckpointReason
}

/** The checkpoint file of this installation: AUDIT_CHECKPOINT_FILE, or DATA_DIR/audit-checkpoints.log. */
export function checkpointFileOf(config: Pick<Config, 'dataDir' | 'auditCheckpointFile'>): string {
  return config.auditCheckpointFile ?? path.join(config.dataDir, 'audit-checkpoints.log')
}

/** The last sealed row's id and hash, as the journal holds them now. */
export async function journalHead(db: Db): Promise<JournalHead> {
  // Sealed first, unless inside a transaction (a backup's snapshot: its head is what that snapshot holds).
  if (!db.isTransaction) await chainJournal(db)
  const last = await db
    .selectFrom('audit_log')
    .select(['id', 'hash'])
    .where('hash', 'is not', null)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  const { count } = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('hash', 'is not', null)
    .executeTakeFirstOrThrow()
  return last?.hash
    ? { id: Number(last.id), hash: last.hash, count: Number(count) }
    : { id: 0, hash: GENESIS_HASH, count: 0 }
}

/**
 * Appends one line and makes it durable before returning: O_APPEND (never overwrites what is there,
 * even with two writers), fsync of the file, and of its folder when the file is new.
 */
export async function appendCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  const dir = path.dirname(file)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const created = await open(file, 'wx', 0o600).then(
    (handle) => handle.close().then(() => true),
    (error: unknown) => {
      if (error instanceof Error && 'code' in error && error.code === 'EEXIST') return false
      throw error
    },
  )
  const handle = await open(file, 'a', 0o600)
  try {
    // One write of one short line: appends of that size are not interleaved with another writer's.
    await handle.write(`${JSON.stringify(checkpoint)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  if (created) await syncFolder(dir)
}

/** Reads the journal's head and appends it to the checkpoint file. */
export async function writeCheckpoint(db: Db, file: string, reason: CheckpointReason): Promise<Checkpoint> {
  const checkpoint: Checkpoint = { at: now(), ...(await journalHead(db)), reason }
  await appendCheckpoint(file, checkpoint)
  return checkpoint
}

export type CheckpointsResult =
  | { ok: true; count: number; superseded: number; unchecked: number }
  | { ok: false; count: number; firstBadId: number; reason: string }

/** Parses the file; a line that is not a checkpoint is a failure of its own (the file was tampered with). */
export async function readCheckpoints(file: string): Promise<Checkpoint[] | { line: number }> {
  const text = await readFile(file, 'utf8')
  const checkpoints: Checkpoint[] = []
  const lines = text.split('\n')
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue
    const parsed = parseCheckpoint(line)
    if (!parsed) return { line: index + 1 }
    checkpoints.push(parsed)
  }
  return checkpoints
}

function parseCheckpoint(line: string): Checkpoint | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { at, id, hash, count, reason } = value as Record<string, unknown>
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) return undefined
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return undefined
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) return undefined
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return undefined
  if (reason !== 'daily' && reason !== 'cli' && reason !== 'backup' && reason !== 'restore') return undefined
  return { at, id, hash, count, reason }
}

/**
 * Checks every checkpoint against the journal, lowest id first, and names the first one that no longer
 * holds. A missing row means the journal was cut: the first bad row is the one after the journal's end.
 * A row with another hash means the chain was re-signed: the forgery starts somewhere after the last
 * checkpoint that still holds, which is the earliest row the anchors cannot vouch for.
 *
 * A checkpoint of a row that an archive took (archive.ts) is held against the archive's file: `archived`
 * gives the archives' end and the hashes read from their files. One whose file is not at hand is counted
 * as unchecked, not failed (archives are meant to be moved to long-term storage).
 */
export async function verifyCheckpoints(
  db: Db,
  checkpoints: readonly Checkpoint[],
  timeZone: string,
  archived: { lastId: number; hashes: ReadonlyMap<number, string> } = { lastId: 0, hashes: new Map() },
): Promise<CheckpointsResult> {
  const { standing, superseded } = afterRestores(checkpoints)
  const sorted = standing.sort((a, b) => a.id - b.id)
  let lastGood = 0
  let unchecked = 0
  for (let start = 0; start < sorted.length; start += 500) {
    const batch = sorted.slice(start, start + 500)
    const ids = [...new Set(batch.map((c) => c.id).filter((id) => id > 0))]
    const rows =
      ids.length === 0 ? [] : await db.selectFrom('audit_log').select(['id', 'hash']).where('id', 'in', ids).execute()
    const hashes = new Map(rows.map((r) => [Number(r.id), r.hash]))
    for (const checkpoint of batch) {
      const when = formatDateTime(checkpoint.at, timeZone)
      const inArchive = checkpoint.id > 0 && checkpoint.id <= archived.lastId
      const hash = checkpoint.id === 0 ? GENESIS_HASH : (inArchive ? archived.hashes : hashes).get(checkpoint.id)
      if (hash === undefined && inArchive) {
        unchecked++
        lastGood = checkpoint.id
        continue
      }
      if (hash === undefined) {
        const last = await db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.max('id').as('id'))
          .executeTakeFirst()
        const end = Number(last?.id ?? 0)
        const vouched =
          lastGood > 0 && lastGood < end ? `; контрольными точками подтверждены записи по № ${lastGood}` : ''
        const gone =
          end + 1 === checkpoint.id ? `записи № ${checkpoint.id} нет` : `записей № ${end + 1}–${checkpoint.id} нет`
        return {
          ok: false,
          count: start + batch.indexOf(checkpoint),
          firstBadId: Math.min(checkpoint.id, end + 1),
          reason:
            end < checkpoint.id
              ? `журнал обрезан: ${gone}, а контрольная точка от ${when} называет запись № ${checkpoint.id}${vouched}`
              : `запись № ${checkpoint.id} из контрольной точки от ${when} отсутствует`,
        }
      }
      if (hash !== checkpoint.hash) {
        return {
          ok: false,
          count: start + batch.indexOf(checkpoint),
          firstBadId: lastGood + 1,
          reason: `запись № ${checkpoint.id} не совпадает с контрольной точкой от ${when}: журнал переписан ключом журнала в записях № ${lastGood + 1}–${checkpoint.id}`,
        }
      }
      lastGood = checkpoint.id
    }
  }
  return { ok: true, count: sorted.length, superseded, unchecked }
}

/** In file order: a restore sets aside the earlier checkpoints past the head it restored. */
function afterRestores(checkpoints: readonly Checkpoint[]): { standing: Checkpoint[]; superseded: number } {
  let standing: Checkpoint[] = []
  let superseded = 0
  for (const checkpoint of checkpoints) {
    if (checkpoint.reason === 'restore') {
      const kept = standing.filter((c) => c.id <= checkpoint.id)
      superseded += standing.length - kept.length
      standing = kept
    }
    standing.push(checkpoint)
  }
  return { standing, superseded }
}
