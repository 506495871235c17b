import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip, createGzip } from 'node:zlib'
import type { Config } from '#src/config.ts'
import type { AuditArchive, AuditRow, Db, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { writeDurably } from '#src/files/durable-write.ts'
import { acquireLease, releaseLease } from '#src/jobs/lease.ts'
import { getSetting } from '#src/settings/settings.ts'
import { type Actor, systemActor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { auditDenied } from './denied.ts'
import { audit, chainBreak, chainJournal, comparable, GENESIS_HASH, journalAnchor, signArchive } from './journal.ts'

/**
 * The end of the journal's retention (COMPLIANCE.md §4, issue 10): rows older than `audit.retention_days`
 * are archived to a signed file and only then leave the table — never silently dropped.
 *
 * The file is gzip'd JSON lines: a header naming the rows and the hash they continue, each row with every
 * column (so that its chain hash can be recomputed), and a trailer with an HMAC, by the journal's key, of
 * the SHA-256 of everything before it. `audit_archives` records each archive; the chain of the rows that
 * stay continues from its last hash, and the journal's triggers let a row go only when an archive covers
 * it. On PostgreSQL the app's role may not delete journal rows: the owner (MIGRATION_DATABASE_URL) does.
 */

const ARCHIVE_FORMAT = 'helpdesk-audit-archive'
const PAGE = 2000
const DELETE_BATCH = 5000
const DAY_MS = 24 * 60 * 60_000

export async function listArchives(db: Tx): Promise<AuditArchive[]> {
  return db.selectFrom('audit_archives').selectAll().orderBy('first_id').execute()
}

/** The rows past their retention that are still in the table. */
export interface ArchiveDue {
  /** Rows older than `before`. */
  count: number
  /** The last of them: an archive takes every row up to it. */
  lastId: number | null
  oldestAt: string | null
  before: string
  retentionDays: number
}

export async function journalArchiveDue(db: Tx, at: string = now()): Promise<ArchiveDue> {
  const retentionDays = await getSetting(db, 'audit.retention_days')
  const before = new Date(Date.parse(at) - retentionDays * DAY_MS).toISOString()
  const anchor = await journalAnchor(db)
  const found = await db
    .selectFrom('audit_log')
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.max('id').as('last'), eb.fn.min('at').as('oldest')])
    .where('id', '>', anchor.id)
    .where('at', '<', before)
    .executeTakeFirstOrThrow()
  const count = Number(found.count)
  return {
    count,
    lastId: count === 0 ? null : Number(found.last),
    oldestAt: count === 0 ? null : (found.oldest as string),
    before,
    retentionDays,
  }
}

/** The daily job: the rows that fell due are named in the journal (the list admins see is computed). */
export async function recordArchiveDue(db: Db): Promise<number> {
  const due = await journalArchiveDue(db)
  if (due.count === 0) return 0
  await audit(db, systemActor(), {
    action: 'audit.archive_due',
    objectType: 'audit_log',
    description: `Записи журнала аудита старше срока хранения к архивированию: ${due.count}`,
    details: { count: due.count, lastId: due.lastId, before: due.before },
  })
  return due.count
}

export interface ArchiveMade {
  archive: AuditArchive
  file: string
  /** Rows removed from the table (the archive's, and any left by an archiving cut short). */
  removed: number
}

/**
 * Archives every row past its retention and then removes them. `owner` is the connection allowed to delete
 * journal rows (the same as `db` unless MIGRATION_DATABASE_URL is set). The file is complete and synced,
 * and read back against the chain, before the archive is recorded; the rows go after that, in batches (an
 * archiving cut short leaves archived rows behind, which the next run removes). Nothing due: undefined.
 */
export async function archiveJournal(
  db: Db,
  owner: Db,
  actor: Actor,
  options: { dir: string },
): Promise<ArchiveMade | undefined> {
  if (!can(actor, 'audit.archive')) {
    await auditDenied(db, actor, {
      action: 'audit.archive',
      objectType: 'audit_log',
      description: 'Отказ в архивировании журнала аудита',
    })
    throw new DomainError('forbidden', 'Архивировать журнал аудита может только администратор')
  }
  // One archiving at a time, across processes: two would write the same file name with different contents.
  const holder = `archive-${process.pid}-${randomBytes(6).toString('hex')}`
  if (!(await acquireLease(db, ARCHIVE_LEASE, holder, ARCHIVE_LEASE_MS))) {
    throw new DomainError('conflict', BUSY)
  }
  try {
    return await archiveUnderLease(db, owner, actor, options.dir)
  } finally {
    await releaseLease(db, ARCHIVE_LEASE, holder)
  }
}

/** One archiving at a time, across processes (a lease, as the scheduler's). */
export const ARCHIVE_LEASE = 'audit-archive'
const ARCHIVE_LEASE_MS = 6 * 60 * 60_000
const BUSY = 'Журнал уже архивирует другая команда: повторите позже'

async function archiveUnderLease(db: Db, owner: Db, actor: Actor, dir: string): Promise<ArchiveMade | undefined> {
  const leftover = await removeArchived(owner)
  // An archive takes sealed rows only (PostgreSQL writes them unsealed: journal.ts).
  await chainJournal(db)
  const due = await journalArchiveDue(db)
  if (due.lastId === null) return leftover > 0 ? await lastArchiveMade(db, dir, leftover) : undefined
  const anchor = await journalAnchor(db)
  const firstId = anchor.id + 1
  const name = `audit-archive-${pad(firstId)}-${pad(due.lastId)}.jsonl.gz`
  const file = path.join(dir, name)
  const written = await writeArchiveFile(db, file, { firstId, lastId: due.lastId, prevHash: anchor.hash })
  const check = await verifyArchiveFile(file)
  if (!check.ok || check.lastHash !== written.lastHash) {
    await rm(file, { force: true })
    throw new Error(`the archive ${file} did not read back: ${check.ok ? 'another content' : check.reason}`)
  }
  const operator = actor.console ? `${actor.console.user}@${actor.console.host}` : `user ${actor.id ?? 'system'}`
  const recorded = owner.transaction().execute(async (tx) => {
    const row = {
      first_id: firstId,
      last_id: due.lastId as number,
      prev_hash: anchor.hash,
      last_hash: written.lastHash,
      count: written.count,
      first_at: written.firstAt,
      last_at: written.lastAt,
      file_name: name,
      sha256: check.sha256,
      created_at: now(),
      created_by: operator,
    }
    // The journal row first: writing it holds the journal's head, so two archivings cannot both pass the
    // check below with the same starting point.
    await audit(tx, actor, {
      action: 'audit.archive',
      objectType: 'audit_log',
      objectId: row.last_id,
      description: `Архивирование журнала аудита: записи № ${firstId}–${row.last_id} (${row.count}) в файл ${name}`,
      details: { firstId, lastId: row.last_id, count: row.count, file: name, sha256: row.sha256, before: due.before },
    })
    if ((await journalAnchor(tx)).id !== anchor.id) {
      throw new DomainError('conflict', BUSY)
    }
    const { id } = await tx.insertInto('audit_archives').values(row).returning('id').executeTakeFirstOrThrow()
    return { ...row, id: Number(id) }
  })
  // An archive that could not be recorded (the app's role on PostgreSQL may not) is no archive: its file goes.
  const archive = await recorded.catch(async (error: unknown) => {
    await rm(file, { force: true })
    throw error
  })
  const removed = leftover + (await removeArchived(owner))
  return { archive, file, removed }
}

async function lastArchiveMade(db: Db, dir: string, removed: number): Promise<ArchiveMade | undefined> {
  const archives = await listArchives(db)
  const archive = archives.at(-1)
  return archive ? { archive, file: path.join(dir, archive.file_name), removed } : undefined
}

function pad(id: number): string {
  return String(id).padStart(9, '0')
}

/** Deletes the rows an archive covers that are still in the table, a batch a transaction. */
async function removeArchived(owner: Db): Promise<number> {
  const anchor = await journalAnchor(owner)
  let removed = 0
  for (;;) {
    const batch = await owner
      .selectFrom('audit_log')
      .select('id')
      .where('id', '<=', anchor.id)
      .orderBy('id')
      .limit(DELETE_BATCH)
      .execute()
    if (batch.length === 0) return removed
    const last = Number(batch.at(-1)?.id)
    const result = await owner.deleteFrom('audit_log').where('id', '<=', last).executeTakeFirst()
    removed += Number(result.numDeletedRows)
  }
}

interface Written {
  count: number
  lastHash: string
  firstAt: string
  lastAt: string
}

interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT
  version: 1
  first_id: number
  last_id: number
  prev_hash: string
  created_at: string
}

/**
 * Writes the rows `firstId`..`lastId` to `file` durably (files/durable-write.ts), checking the chain as it goes:
 * a journal that does not verify is not archived.
 */
async function writeArchiveFile(
  db: Db,
  file: string,
  range: { firstId: number; lastId: number; prevHash: string },
): Promise<Written> {
  const gzip = createGzip()
  const stored = writeDurably(file, gzip)
  const content = createHash('sha256')
  const write = async (line: string) => {
    content.update(line)
    if (!gzip.write(line)) await once(gzip, 'drain')
  }
  try {
    const header: ArchiveHeader = {
      format: ARCHIVE_FORMAT,
      version: 1,
      first_id: range.firstId,
      last_id: range.lastId,
      prev_hash: range.prevHash,
      created_at: now(),
    }
    await write(`${JSON.stringify(header)}\n`)
    let lastId = range.firstId - 1
    let prevHash = range.prevHash
    let count = 0
    let firstAt = ''
    let lastAt = ''
    while (lastId < range.lastId) {
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('id', '>', lastId)
        .where('id', '<=', range.lastId)
        .orderBy('id')
        .limit(PAGE)
        .execute()
      if (rows.length === 0) break
      for (const raw of rows) {
        const row = normalised(raw)
        const broken = chainBreak(row, lastId, prevHash)
        if (broken) throw new DomainError('conflict', `Журнал аудита нарушен (${broken}): архивирование невозможно`)
        if (firstAt === '') firstAt = row.at
        lastAt = row.at
        prevHash = row.hash
        lastId = row.id
        count++
        await write(`${JSON.stringify(row)}\n`)
      }
    }
    if (lastId !== range.lastId) {
      throw new DomainError(
        'conflict',
        `Журнал аудита нарушен (запись № ${range.lastId} отсутствует): архивирование невозможно`,
      )
    }
    const digest = content.digest('hex')
    gzip.end(`${JSON.stringify({ sha256: digest, signature: signArchive(digest) })}\n`)
    await stored
    return { count, lastHash: prevHash, firstAt, lastAt }
  } catch (error) {
    // The half-written file goes with the stream (writeDurably removes it).
    gzip.destroy(error instanceof Error ? error : new Error(String(error)))
    await stored.catch(() => {})
    throw error
  }
}

/** An archived row: chained (the archive takes only sealed rows), in the types the chain hashes. */
type SealedRow = AuditRow & { prev_hash: string; hash: string }

function normalised(row: AuditRow): SealedRow {
  const { prev_hash, hash } = row
  if (hash === null || prev_hash === null) {
    throw new DomainError('conflict', `Журнал аудита: запись № ${row.id} ещё не заверена цепочкой`)
  }
  return { ...comparable(row), prev_hash, hash }
}

export type ArchiveFileCheck =
  | {
      ok: true
      firstId: number
      lastId: number
      lastHash: string
      /** Of the file as it is on disk. */
      sha256: string
      /** The hashes of the rows asked for (`wanted`). */
      hashes: Map<number, string>
    }
  | { ok: false; reason: string }

/**
 * Reads an archive back: every row's chain hash, the ids without a gap, the header's range, and the
 * trailer's signature over the content. `wanted`: ids whose hashes to return (for the checkpoints).
 */
export async function verifyArchiveFile(
  file: string,
  wanted: ReadonlySet<number> = new Set(),
): Promise<ArchiveFileCheck> {
  if (!existsSync(file)) return { ok: false, reason: 'файла нет' }
  const fileHash = createHash('sha256')
  const content = createHash('sha256')
  let header: ArchiveHeader | undefined
  let trailer: { sha256?: unknown; signature?: unknown } | undefined
  let lastId = 0
  let prevHash = ''
  const hashes = new Map<number, string>()
  try {
    for await (const line of gunzippedLines(file, fileHash)) {
      if (trailer) return { ok: false, reason: 'после подписи есть ещё строки' }
      const value = parsed(line)
      if (!header) {
        if (!isHeader(value)) return { ok: false, reason: 'нет заголовка архива журнала' }
        header = value
        lastId = value.first_id - 1
        prevHash = value.prev_hash
      } else if (typeof value === 'object' && value !== null && 'signature' in value) {
        trailer = value
        continue
      } else {
        if (typeof value !== 'object' || value === null) return { ok: false, reason: 'строка не читается' }
        const row = value as SealedRow
        const broken = chainBreak(row, lastId, prevHash)
        if (broken) return { ok: false, reason: broken }
        if (wanted.has(row.id)) hashes.set(row.id, row.hash)
        prevHash = row.hash
        lastId = row.id
      }
      content.update(`${line}\n`)
    }
  } catch {
    return { ok: false, reason: 'файл повреждён' }
  }
  if (!header) return { ok: false, reason: 'файл пуст' }
  if (!trailer) return { ok: false, reason: 'нет подписи: файл обрезан' }
  if (lastId !== header.last_id)
    return { ok: false, reason: `записей меньше, чем в заголовке: нет № ${header.last_id}` }
  const digest = content.digest('hex')
  if (trailer.sha256 !== digest || !signatureMatches(digest, trailer.signature)) {
    return { ok: false, reason: 'подпись не сходится' }
  }
  return {
    ok: true,
    firstId: header.first_id,
    lastId: header.last_id,
    lastHash: prevHash,
    sha256: fileHash.digest('hex'),
    hashes,
  }
}

/** The file's lines after gunzip; `raw` sees the bytes as they are on disk. A damaged file throws. */
async function* gunzippedLines(file: string, raw: ReturnType<typeof createHash>): AsyncGenerator<string> {
  const source = createReadStream(file)
  const gunzip = createGunzip()
  source.on('data', (chunk) => raw.update(chunk))
  source.on('error', (error) => gunzip.destroy(error))
  source.pipe(gunzip)
  const decoder = new StringDecoder('utf8')
  let rest = ''
  try {
    for await (const chunk of gunzip) {
      rest += decoder.write(chunk as Buffer)
      let end = rest.indexOf('\n')
      while (end >= 0) {
        yield rest.slice(0, end)
        rest = rest.slice(end + 1)
        end = rest.indexOf('\n')
      }
    }
  } finally {
    source.destroy()
    gunzip.destroy()
  }
  rest += decoder.end()
  if (rest !== '') yield rest
}

function parsed(line: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
}

function signatureMatches(digest: string, signature: unknown): boolean {
  if (typeof signature !== 'string') return false
  const expected = Buffer.from(signArchive(digest), 'hex')
  const given = Buffer.from(signature, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

function isHeader(value: unknown): value is ArchiveHeader {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    v.format === ARCHIVE_FORMAT &&
    v.version === 1 &&
    Number.isSafeInteger(v.first_id) &&
    Number.isSafeInteger(v.last_id) &&
    (v.first_id as number) >= 1 &&
    (v.last_id as number) >= (v.first_id as number) &&
    typeof v.prev_hash === 'string'
  )
}

/** The outcome of checking the archives a journal records against their files in `dir`. */
export interface ArchivesCheck {
  /** Archives whose file was found and verified. */
  verified: number
  /** Archives whose file is not in `dir` (moved to long-term storage): their rows are not checked. */
  missing: string[]
  /** The first archive that does not hold: its file, its first row, and why. */
  broken?: { file: string; firstId: number; reason: string }
  hashes: Map<number, string>
}

/**
 * Checks each recorded archive against its file in `dir`: the SHA-256 recorded, the chain from one archive to
 * the next. `wanted`: the checkpoints' ids, whose hashes are collected. Without a folder every file is missing.
 */
export async function verifyArchives(
  archives: readonly AuditArchive[],
  dir: string | undefined,
  wanted: ReadonlySet<number>,
): Promise<ArchivesCheck> {
  const result: ArchivesCheck = { verified: 0, missing: [], hashes: new Map() }
  let prevHash = GENESIS_HASH
  let nextId = 1
  for (const archive of archives) {
    if (archive.first_id !== nextId || archive.prev_hash !== prevHash) {
      result.broken = {
        file: archive.file_name,
        firstId: archive.first_id,
        reason: `архив не продолжает предыдущий (записи с № ${nextId})`,
      }
      return result
    }
    prevHash = archive.last_hash
    nextId = archive.last_id + 1
    const check = dir === undefined ? undefined : await verifyArchiveFile(path.join(dir, archive.file_name), wanted)
    if (!check) {
      result.missing.push(archive.file_name)
      continue
    }
    if (!check.ok && check.reason === 'файла нет') {
      result.missing.push(archive.file_name)
      continue
    }
    if (!check.ok) {
      result.broken = { file: archive.file_name, firstId: archive.first_id, reason: check.reason }
      return result
    }
    if (
      check.sha256 !== archive.sha256 ||
      check.firstId !== archive.first_id ||
      check.lastId !== archive.last_id ||
      check.lastHash !== archive.last_hash
    ) {
      result.broken = {
        file: archive.file_name,
        firstId: archive.first_id,
        reason: 'файл не тот, что записан при архивировании',
      }
      return result
    }
    for (const [id, hash] of check.hashes) result.hashes.set(id, hash)
    result.verified++
  }
  return result
}

/** The archive folder of this installation: AUDIT_ARCHIVE_DIR, or DATA_DIR/audit-archive. */
export function archiveDirOf(config: Pick<Config, 'dataDir' | 'auditArchiveDir'>): string {
  return config.auditArchiveDir ?? path.join(config.dataDir, 'audit-archive')
}
