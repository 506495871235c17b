import { createHmac } from 'node:crypto'
import { sql } from 'kysely'
import { dialectOf } from '#src/db/database.ts'
import { prepared } from '#src/db/prepared.ts'
import type { AuditRow, Db, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { auditWriteSeconds } from '#src/metrics/meters.ts'
import type { Actor } from '#src/users/actor.ts'

/**
 * The audit journal (COMPLIANCE.md §4): append-only, every row chained to the previous one by
 * `hash = HMAC(key, prev_hash ‖ canonical row)`. The head of the chain (last id and hash) is kept in
 * `settings` as well, so that removing rows from the end, or all of them, is detected too.
 *
 * Rows hold ids, never names or phones: destroying a person's data never touches the journal.
 *
 * On SQLite every writer already holds the database's one write lock, so a row is chained as it is written.
 * On PostgreSQL a row is written unchained (`prev_hash` and `hash` null, its id from the table's sequence) and
 * `chainJournal` chains such rows in id order shortly after (the chainer, chainer.ts): readers that journal
 * no longer queue behind one head row for their whole transaction (issue 12). The row is committed with its
 * action all the same: nothing acknowledged is unjournaled, only its seal comes a moment later.
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
 * the action fails with it (fail closed). Outside a transaction: on SQLite in one shared with the other work of
 * the same turn (a read's journal row among them), answered once it is durable; on PostgreSQL the row's one
 * statement is a transaction of its own (its lock held until that commits), without a BEGIN and a COMMIT
 * around it: a list's journal row took three round trips.
 */
export async function audit(db: Tx, actor: Actor, entry: AuditEntry): Promise<AuditRow> {
  if (dialectOf(db) === 'postgres') return appendUnchained(db, actor, entry)
  if (!db.isTransaction) return transact(db as Db, (tx) => audit(tx, actor, entry))
  const head = await lockHead(db)
  const row: ChainedRow = {
    id: head.id + 1,
    ...fieldsOf(actor, entry),
    prev_hash: head.hash,
  }
  const full: AuditRow & { hash: string } = { ...row, hash: chainHash(row) }
  const endTimer = auditWriteSeconds.startTimer()
  await insertRow.execute(db, full)
  await writeHead(db, full)
  endTimer()
  return full
}

/** A row as the chain hashes it: every column but the hash. */
export type ChainedRow = Omit<AuditRow, 'hash' | 'prev_hash'> & { prev_hash: string }

type RowFields = Omit<AuditRow, 'id' | 'prev_hash' | 'hash'>

function fieldsOf(actor: Actor, entry: AuditEntry): RowFields {
  return {
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
  }
}

/** A chained row as the journal takes it (SQLite's path, where every row is chained as it is written). */
const insertRow = prepared((db, row: AuditRow & { hash: string }) =>
  db.insertInto('audit_log').values({
    id: row.id,
    at: row.at,
    actor_id: row.actor_id,
    channel: row.channel,
    ip: row.ip,
    action: row.action,
    object_type: row.object_type,
    object_id: row.object_id,
    subject_id: row.subject_id,
    pdn_related: row.pdn_related,
    result: row.result,
    description: row.description,
    details: row.details,
    prev_hash: row.prev_hash,
    hash: row.hash,
  }),
)

const updateHead = prepared((db, p: { value: string; at: string }) =>
  db.updateTable('settings').set({ value: p.value, updated_at: p.at }).where('key', '=', AUDIT_HEAD_KEY),
)

async function writeHead(tx: Tx, head: AuditHead): Promise<void> {
  await updateHead.execute(tx, { value: JSON.stringify({ id: head.id, hash: head.hash }), at: now() })
}

/**
 * PostgreSQL's advisory lock of the journal: every writer holds it shared from before its row takes an id until
 * it commits, the chainer takes it exclusively for a moment to learn up to which id every row is final.
 */
const JOURNAL_LOCK = 0x6a6f75726e616c // 'journal'

let onUnchained: (() => void) | undefined

/** The chainer's doorbell (chainer.ts): rung after a row is written unchained. */
export function whenUnchained(ring: (() => void) | undefined): void {
  onUnchained = ring
}

async function appendUnchained(tx: Tx, actor: Actor, entry: AuditEntry): Promise<AuditRow> {
  const endTimer = auditWriteSeconds.startTimer()
  // The lock first, then the id, in one statement (and so per row: a savepoint rolled back lets the lock go).
  const id = sql<number>`(select nextval('audit_log_id_seq')
    from (select pg_advisory_xact_lock_shared(${JOURNAL_LOCK}::bigint)) as writer)`
  const row = await tx
    .insertInto('audit_log')
    .values({ id, ...fieldsOf(actor, entry), prev_hash: null, hash: null })
    .returningAll()
    .executeTakeFirstOrThrow()
  endTimer()
  onUnchained?.()
  return { ...row, id: Number(row.id) }
}

/** Rows chained per transaction of the chainer. */
const CHAIN_BATCH = 2000

/**
 * Chains the rows written unchained (PostgreSQL), in id order, and moves the head; returns how many it chained.
 * A no-op on SQLite, where rows are chained as they are written. Safe to run anywhere at any time: chainers
 * queue on the head row, and a row whose writer has not committed yet waits for the next run.
 */
export async function chainJournal(db: Db): Promise<number> {
  if (dialectOf(db) !== 'postgres') return 0
  // Under the exclusive lock no writer is between taking an id and committing: every id up to the largest
  // visible one is final (committed, or rolled back and never coming). Writers wait only for this moment.
  const horizon = await db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${JOURNAL_LOCK}::bigint)`.execute(tx)
    return lastId(tx)
  })
  let chained = 0
  for (;;) {
    const batch = await db.transaction().execute((tx) => sealUpTo(tx, horizon))
    chained += batch
    if (batch < CHAIN_BATCH) return chained
  }
}

async function lastId(tx: Tx): Promise<number> {
  const found = await tx
    .selectFrom('audit_log')
    .select((eb) => eb.fn.max('id').as('last'))
    .executeTakeFirst()
  return Number(found?.last ?? 0)
}

/** Chains up to CHAIN_BATCH unsealed rows with ids up to `horizon`, after the head; returns how many. */
async function sealUpTo(tx: Tx, horizon: number): Promise<number> {
  const head = await lockHead(tx)
  const rows = await tx
    .selectFrom('audit_log')
    .selectAll()
    .where('id', '>', head.id)
    .where('id', '<=', horizon)
    .where('hash', 'is', null)
    .orderBy('id')
    .limit(CHAIN_BATCH)
    .execute()
  if (rows.length === 0) return 0
  let prevHash = head.hash
  const seals = rows.map((found) => {
    const row: ChainedRow = { ...comparable(found), prev_hash: prevHash }
    prevHash = chainHash(row)
    return sql`(${row.id}::integer, ${row.prev_hash}, ${prevHash})`
  })
  await sql`update audit_log set prev_hash = sealed.prev_hash, hash = sealed.hash
    from (values ${sql.join(seals)}) as sealed (id, prev_hash, hash)
    where audit_log.id = sealed.id and audit_log.hash is null`.execute(tx)
  await writeHead(tx, { id: Number(rows.at(-1)?.id), hash: prevHash })
  return rows.length
}

/**
 * Like `audit`, but the row comes back sealed (its hash is printed in a document, e.g. the destruction act's
 * journal extract). On PostgreSQL it holds the journal's lock exclusively until its transaction ends: for rare
 * actions only, never on a request path that many people take.
 */
export async function auditSealed(tx: Tx, actor: Actor, entry: AuditEntry): Promise<AuditRow> {
  if (dialectOf(tx) !== 'postgres') return audit(tx, actor, entry)
  await sql`select pg_advisory_xact_lock(${JOURNAL_LOCK}::bigint)`.execute(tx)
  const row = await appendUnchained(tx, actor, entry)
  while ((await sealUpTo(tx, row.id)) === CHAIN_BATCH) {}
  const sealed = await tx.selectFrom('audit_log').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow()
  return comparable(sealed)
}

/** A row as read back, in the types the chain hashes (PostgreSQL returns ids as numbers, SQLite the flag as one). */
export function comparable(row: AuditRow): AuditRow {
  return { ...row, id: Number(row.id), pdn_related: Number(row.pdn_related) === 1 ? 1 : 0 }
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
const readHead = prepared((db) => db.selectFrom('settings').select('value').where('key', '=', AUDIT_HEAD_KEY))

const readHeadForUpdate = prepared((db) =>
  db.selectFrom('settings').select('value').where('key', '=', AUDIT_HEAD_KEY).forUpdate(),
)

async function lockHead(tx: Tx): Promise<AuditHead> {
  // SQLite needs no row lock: our transactions start with `begin immediate` and hold the write lock.
  const found = await (dialectOf(tx) === 'postgres' ? readHeadForUpdate : readHead).first(tx, {})
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
function canonical(row: ChainedRow): string {
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

export function chainHash(row: ChainedRow): string {
  return createHmac('sha256', key()).update(row.prev_hash).update('\n').update(canonical(row)).digest('hex')
}

/** The signature of an archive of the journal (archive.ts): a keyed digest of its content's SHA-256. */
export function signArchive(contentSha256: string): string {
  return createHmac('sha256', key()).update('audit-archive\n').update(contentSha256).digest('hex')
}

export type VerifyResult =
  | { ok: true; count: number }
  | { ok: false; count: number; firstBadId: number; reason: string }

/**
 * Why this row does not continue the chain after row `prevId` (whose hash is `prevHash`), or undefined when it
 * does. Ids may skip (on PostgreSQL a writer that rolled back took an id too): the chain bridges such a gap,
 * so a skipped id is a missing row only when the chain does not continue.
 */
export function chainBreak(row: AuditRow, prevId: number, prevHash: string): string | undefined {
  const { hash, prev_hash, ...rest } = comparable(row)
  if (rest.id <= prevId) return `запись № ${rest.id} стоит не на своём месте`
  if (hash === null || prev_hash === null) return `запись № ${rest.id} не заверена цепочкой`
  if (prev_hash !== prevHash) {
    return rest.id > prevId + 1 ? `запись № ${prevId + 1} отсутствует` : `запись № ${rest.id} не продолжает цепочку`
  }
  if (chainHash({ ...rest, prev_hash }) !== hash) return `запись № ${rest.id} изменена`
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
  await chainJournal(db)
  const anchor = await journalAnchor(db)
  const headOf = async () => {
    const found = await readHead.first(db, {})
    return found ? parseHead(found.value) : null
  }
  let head = await headOf()
  let lastId = anchor.id
  let prevHash = anchor.hash
  let count = 0
  walk: for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(pageSize)
      .execute()
    for (const row of rows) {
      if (head !== null && Number(row.id) > head.id) {
        // Past the head as it was read: other processes journal and seal while the walk goes on.
        head = (await headOf()) ?? head
        // Rows written after the head was read wait for the next chaining, unsealed: the walk ends there.
        if (row.hash === null && Number(row.id) > head.id) break walk
      }
      const broken = chainBreak(row, lastId, prevHash)
      if (broken) return { ok: false, count, firstBadId: Math.min(Number(row.id), lastId + 1), reason: broken }
      prevHash = row.hash ?? ''
      lastId = Number(row.id)
      count++
    }
    // A head read again may be past the last page: its rows are read too (none coming: the tail was cut).
    const headAhead = head !== null && head.id > lastId
    if (rows.length === 0 || (rows.length < pageSize && !headAhead)) break
  }
  if (!head || head.id !== lastId || head.hash !== prevHash) {
    const claimed = head?.id ?? 0
    return {
      ok: false,
      count,
      firstBadId: lastId + 1,
      reason: `журнал обрывается на записи № ${lastId}, а должен содержать ${claimed}`,
    }
  }
  return { ok: true, count }
}
