// What the reliability tests (TESTING.md F1–F7) share around the real server process: an API token, a
// category to file tickets in, the process's exit watched, the server's SQLite file read beside it, and
// the "nothing lost" check over acknowledged tickets.
import type { ChildProcess } from 'node:child_process'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { expect } from 'vitest'
import { setAuditKey, verifyJournal } from '#src/audit/journal.ts'
import { loadConfig } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { type CliEnv, databaseFile, helpdesk } from '../cli/helpers.ts'

/**
 * An administrator made with the console, and the API headers of a token of theirs. `databaseUrl` points
 * the console at PostgreSQL (F6) instead of the data folder's SQLite file.
 */
export async function adminApiHeaders(env: CliEnv, databaseUrl?: string): Promise<Record<string, string>> {
  const cli = databaseUrl === undefined ? {} : { env: { DATABASE_URL: databaseUrl } }
  const created = await helpdesk(env, ['users', 'create-admin', '--login', 'admin', '--password-stdin'], {
    ...cli,
    input: 'reliable-pass-2026\n',
  })
  expect(created.code, created.stderr).toBe(0)
  const token = (await helpdesk(env, ['tokens', 'create', '--login', 'admin'], cli)).stdout.trim()
  expect(token).not.toBe('')
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
}

/** Creates a category through the API (201, or the test fails) and returns its id. */
export async function createCategory(base: string, headers: Record<string, string>, name = 'Принтеры') {
  const response = await fetch(`${base}/api/v1/categories`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name }),
    // A hung server fails here, named, rather than at the test's own timeout.
    signal: AbortSignal.timeout(15_000),
  })
  expect(response.status).toBe(201)
  return ((await response.json()) as { id: number }).id
}

/**
 * Remembers how the process ended, if it does: `exited()` is undefined while it runs, else e.g.
 * "exited with SIGSEGV". A test that must outlive a fault asserts `expect(exited()).toBeUndefined()`.
 */
export function watchExit(server: ChildProcess): () => string | undefined {
  let exited: string | undefined
  server.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`
  })
  return () => exited
}

/**
 * "Nothing lost, nothing twice": each acknowledged ticket (key → id from its 201) is stored exactly once
 * under `titleOf(key)`; no title is stored twice (a retried key never made a second ticket); and the
 * `ticket.create` success rows of the journal name exactly the stored tickets, each once. Returns the
 * stored tickets for the test's own further checks.
 */
export async function expectAcknowledgedTickets(
  db: Db,
  acknowledged: ReadonlyMap<string, number>,
  titleOf: (key: string) => string,
): Promise<Array<{ id: number; title: string }>> {
  const tickets = await db.selectFrom('tickets').select(['id', 'title']).execute()
  const byTitle = new Map<string, number[]>()
  for (const ticket of tickets) byTitle.set(ticket.title, [...(byTitle.get(ticket.title) ?? []), ticket.id])
  for (const [key, id] of acknowledged) expect(byTitle.get(titleOf(key)), key).toEqual([id])
  for (const [title, ids] of byTitle) expect(ids, title).toHaveLength(1)

  const journaled = await db
    .selectFrom('audit_log')
    .select('object_id')
    .where('action', '=', 'ticket.create')
    .where('result', '=', 'success')
    .execute()
  const journaledIds = journaled.map((r) => Number(r.object_id))
  expect(new Set(journaledIds).size, 'ticket.create journaled twice').toBe(journaledIds.length)
  expect(journaledIds.sort((a, b) => a - b)).toEqual(tickets.map((t) => t.id).sort((a, b) => a - b))
  return tickets
}

/** The audit chain verifies under the data folder's key (the one the server signed with). */
export async function expectJournalVerifies(db: Db, dataDir: string): Promise<void> {
  setAuditKey(loadConfig({ DATA_DIR: dataDir }).auditKey)
  expect(await verifyJournal(db)).toMatchObject({ ok: true })
}

/** SQLite's own integrity check passes on the server's database file. */
export async function expectSqliteIntact(db: Db): Promise<void> {
  const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db)
  expect(integrity.rows).toEqual([{ integrity_check: 'ok' }])
}

/**
 * The server's SQLite file opened synchronously beside the running process (WAL: a reader never blocks
 * it; a writer waits up to 5 s), for checks inside a polling loop and for arranging what waiting would do.
 */
export function withServerFile<T>(env: CliEnv, work: (db: Database.Database) => T, options = { readonly: false }): T {
  const db = new Database(databaseFile(env), { readonly: options.readonly, fileMustExist: true })
  try {
    db.pragma('busy_timeout = 5000')
    return work(db)
  } finally {
    db.close()
  }
}

/**
 * What waiting out a killed instance's leases would do (the poller's lasts a minute, the scheduler's 30 s):
 * they expire at once, so the next instance takes over without the wait.
 */
export function expireLeases(db: Database.Database, names: ReadonlyArray<'scheduler' | 'telegram-poller'>): void {
  const expire = db.prepare('update leases set expires_at = ? where name = ?')
  for (const name of names) expire.run('1970-01-01T00:00:00.000Z', name)
}

/** Polls `condition` every `intervalMs` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  { timeoutMs = 120_000, intervalMs = 50 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    // Not a busy loop: the fake Telegram server answers the server from this same process.
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
