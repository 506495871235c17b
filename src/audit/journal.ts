import { createHmac } from 'node:crypto'
import { dialectOf } from '#src/db/database.ts'
import type { AuditRow, Db, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { auditWriteSeconds } from '#src/metrics/meters.ts'
import type { Actor } from '#src/users/actor.ts'

/**
 * The audit journal (COMPLIANCE.md §4): append-only, every row chained to the previous one by
 * `hash = HMAC(key, prev_hash ‖ canonical row)`. The head of the chain (last id and hash) is kept in
 * `settings` as well, so that removing rows from the end, or all of them, is detected too.
 *
 * Rows hold ids, never names or phones: destroying a person's data never touches the journal.
 */

export const GENESIS_HASH = '0'.repeat(64)
export const AUDIT_HEAD_KEY = 'audit.head'

let hmacKey: string | undefined

/** Set once at start (from Config.auditKey) before anything is journaled. */
export function setAuditKey(key: string): void {
  hmacKey = key
}

function key(): string {
  if (!hmacKey) throw new Error('audit key is not configured')
  return hmacKey
}

export interface AuditEntry {
  /** Dotted code: `ticket.create`, `user.confirm`, `auth.login_failed`, … */
  action: string
  objectType?: string | null
  objectId?: string | number | null
  /** Whose personal data this touches (a user id). */
  subjectId?: number | null
  /** True when the action touches personal data (reads included). */
  pdn?: boolean
  result?: 'success' | 'denied' | 'error'
  /** Russian, without names or phones: ids only. */
  description: string
  details?: Record<string, unknown> | null
}

interface AuditHead {
  id: number
  hash: string
}

/**
 * Appends one entry. Call it inside the action's own transaction: if the journal cannot be written,
 * the action fails with it (fail closed). Outside a transaction it opens one of its own.
 */
export async function audit(db: Tx, actor: Actor, entry: AuditEntry): Promise<AuditRow> {
  if (!db.isTransaction) return (db as Db).transaction().execute((tx) => audit(tx, actor, entry))
  const head = await lockHead(db)
  const row: Omit<AuditRow, 'hash'> = {
    id: head.id + 1,
    at: now(),
    actor_id: actor.id,
    channel: actor.channel,
    ip: actor.ip,
    action: entry.action,
    object_type: entry.objectType ?? null,
    object_id: entry.objectId === undefined || entry.objectId === null ? null : String(entry.objectId),
    subject_id: entry.subjectId ?? null,
    pdn_related: entry.pdn ? 1 : 0,
    result: entry.result ?? 'success',
    description: entry.description,
    details: detailsOf(actor, entry),
    prev_hash: head.hash,
  }
  const full: AuditRow = { ...row, hash: chainHash(row) }
  const endTimer = auditWriteSeconds.startTimer()
  await db.insertInto('audit_log').values(full).execute()
  await db
    .updateTable('settings')
    .set({ value: JSON.stringify({ id: full.id, hash: full.hash }), updated_at: full.at })
    .where('key', '=', AUDIT_HEAD_KEY)
    .execute()
  endTimer()
  return full
}

/** The entry's details; a console command's rows also name the OS account and host that ran it. */
function detailsOf(actor: Actor, entry: AuditEntry): string | null {
  const details = actor.console
    ? { ...entry.details, cli: { user: actor.console.user, host: actor.console.host } }
    : entry.details
  return details ? JSON.stringify(details) : null
}

/**
 * A name as the journal may hold it: a keyed digest, never the text (rows hold no names). Equal names give
 * equal digests, so a change is visible; the name cannot be read back, and once destroyed elsewhere it is gone.
 */
export function journalPseudonym(text: string): string {
  return `hmac:${createHmac('sha256', key()).update('pseudonym\n').update(text).digest('hex').slice(0, 16)}`
}

/** «user@host» of a row written by a console command (`details.cli`), for the journal's viewers. */
export function consoleOperatorOf(details: string | null): string | undefined {
  if (!details) return undefined
  try {
    const parsed: unknown = JSON.parse(details)
    if (typeof parsed !== 'object' || parsed === null || !('cli' in parsed)) return undefined
    const cli: unknown = parsed.cli
    if (typeof cli !== 'object' || cli === null || !('user' in cli) || !('host' in cli)) return undefined
    return typeof cli.user === 'string' && typeof cli.host === 'string' ? `${cli.user}@${cli.host}` : undefined
  } catch {
    return undefined
  }
}

/** Reads the chain's head, locking it on PostgreSQL so that concurrent writers queue up behind it. */
async function lockHead(tx: Tx): Promise<AuditHead> {
  const query = tx.selectFrom('settings').select('value').where('key', '=', AUDIT_HEAD_KEY)
  // SQLite needs no row lock: our transactions start with `begin immediate` and hold the write lock.
  const found =
    dialectOf(tx) === 'postgres' ? await query.forUpdate().executeTakeFirst() : await query.executeTakeFirst()
  if (!found) throw new Error('audit head is missing: the database is not migrated')
  return parseHead(found.value)
}

function parseHead(value: string): AuditHead {
  const parsed: unknown = JSON.parse(value)
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    'id' in parsed &&
    'hash' in parsed &&
    typeof parsed.id === 'number' &&
    typeof parsed.hash === 'string'
  ) {
    return { id: parsed.id, hash: parsed.hash }
  }
  throw new Error('audit head is corrupt')
}

/** Every column but the hash itself, in a fixed order. */
function canonical(row: Omit<AuditRow, 'hash'>): string {
  return JSON.stringify([
    row.id,
    row.at,
    row.actor_id,
    row.channel,
    row.ip,
    row.action,
    row.object_type,
    row.object_id,
    row.subject_id,
    row.pdn_related,
    row.result,
    row.description,
    row.details,
  ])
}

export function chainHash(row: Omit<AuditRow, 'hash'>): string {
  return createHmac('sha256', key()).update(row.prev_hash).update('\n').update(canonical(row)).digest('hex')
}

/** The signature of an archive of the journal (archive.ts): a keyed digest of its content's SHA-256. */
export function signArchive(contentSha256: string): string {
  return createHmac('sha256', key()).update('audit-archive\n').update(contentSha256).digest('hex')
}

export type VerifyResult =
  | { ok: true; count: number }
  | { ok: false; count: number; firstBadId: number; reason: string }

/** Why this row does not continue the chain, or undefined when it does. */
export function chainBreak(row: AuditRow, expectedId: number, prevHash: string): string | undefined {
  const id = Number(row.id)
  if (id !== expectedId) return `запись № ${expectedId} отсутствует`
  if (row.prev_hash !== prevHash) return `запись № ${id} не продолжает цепочку`
  const { hash, ...rest } = row
  if (chainHash({ ...rest, id, pdn_related: Number(row.pdn_related) === 1 ? 1 : 0 }) !== hash) {
    return `запись № ${id} изменена`
  }
  return undefined
}

/** Where the chain of the rows in the table starts: the last archive's end (archive.ts), or the genesis. */
export async function journalAnchor(db: Tx): Promise<AuditHead> {
  const last = await db
    .selectFrom('audit_archives')
    .select(['last_id', 'last_hash'])
    .orderBy('last_id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return last ? { id: last.last_id, hash: last.last_hash } : { id: 0, hash: GENESIS_HASH }
}

/**
 * Walks the chain in the table in id order and names the first row that breaks it. Rows an archive took
 * (archive.ts) are checked in its file; the chain in the table continues from the last archive's end.
 */
export async function verifyJournal(db: Db, pageSize = 2000): Promise<VerifyResult> {
  const anchor = await journalAnchor(db)
  let expectedId = anchor.id + 1
  let prevHash = anchor.hash
  let count = 0
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>=', expectedId)
      .orderBy('id')
      .limit(pageSize)
      .execute()
    for (const row of rows) {
      const broken = chainBreak(row, expectedId, prevHash)
      if (broken) return { ok: false, count, firstBadId: expectedId, reason: broken }
      prevHash = row.hash
      expectedId++
      count++
    }
    if (rows.length < pageSize) break
  }
  const headRow = await db.selectFrom('settings').select('value').where('key', '=', AUDIT_HEAD_KEY).executeTakeFirst()
  const head = headRow ? parseHead(headRow.value) : null
  const last = expectedId - 1
  if (!head || head.id !== last || head.hash !== prevHash) {
    const claimed = head?.id ?? 0
    return {
      ok: false,
      count,
      firstBadId: expectedId,
      reason: `журнал обрывается на записи № ${last}, а должен содержать ${claimed}`,
    }
  }
  return { ok: true, count }
}
