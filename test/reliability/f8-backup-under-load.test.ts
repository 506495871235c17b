import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, expect, test } from 'vitest'
import type { Manifest } from '#src/backup/backup.ts'
import { loadConfig } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import { createSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { csrfToken } from '#src/web/csrf.ts'
import { CLI_TIMEOUT, databaseFile, freshEnv, helpdesk, withFileDatabase } from '../cli/helpers.ts'
import { testApp } from '../support/api.ts'
import { adminApiHeaders, createCategory, expectJournalVerifies, watchExit } from '../support/reliability.ts'
import { startServer, stopServer, waitReady } from '../support/server-process.ts'
import { signIn } from '../support/web.ts'

/**
 * F8 (TESTING.md): a backup taken while 8 clients keep filing tickets through the real server, then
 * restored on another "machine" (an empty data folder). The backup never stops the writes (some are
 * acknowledged while it runs, none is refused); the restored data equals the manifest's snapshot (every
 * table's count, the journal's head), holds every ticket acknowledged before the backup began, its chain
 * verifies with the restored keys, and the attachments download through the app.
 */
const CLIENTS = 8
const PASSPHRASE = 'f8 фраза для резервных копий'

let stopServerLater: (() => Promise<void>) | undefined
afterAll(async () => {
  await stopServerLater?.()
})

function request(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(30_000) })
}

test('F8: a backup under the load of 8 writing clients, restored on a fresh machine, equals its snapshot', {
  timeout: CLI_TIMEOUT,
}, async () => {
  const env = await freshEnv()
  const base = `http://127.0.0.1:${env.port}`
  const api = await adminApiHeaders(env)
  const config = loadConfig({ DATA_DIR: env.dataDir })
  const session = await withFileDatabase(env, async (db) => {
    const admin = await db.selectFrom('users').select('id').where('login', '=', 'admin').executeTakeFirstOrThrow()
    return createSession(db, admin.id, { ip: null, userAgent: 'f8' })
  })
  const web = { cookie: `${SESSION_COOKIE}=${session.token}`, origin: base }
  const csrf = csrfToken(config.secretKey, session.sessionId)

  const server = startServer(env, { env: { AUTH_REQUIRE_2FA: 'none', BACKUP_SCHEDULE: 'off' } })
  stopServerLater = () => stopServer(server)
  const exited = watchExit(server)
  await waitReady(base)
  const categoryId = await createCategory(base, api)

  const acknowledged: Array<{ id: number; at: number }> = []
  const statuses = new Map<number, number>()
  let n = 0
  const createTicket = async () => {
    const key = `f8-${++n}`
    const res = await request(`${base}/api/v1/tickets`, {
      method: 'POST',
      headers: { ...api, 'idempotency-key': key },
      body: JSON.stringify({ title: `Нагрузка ${key}`, description: 'Не работает принтер', category_id: categoryId }),
    })
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    const body = (await res.json()) as { id?: number }
    if (res.status === 201 && body.id !== undefined) acknowledged.push({ id: body.id, at: Date.now() })
    return body.id
  }

  // Two attachments through the web, before the load.
  const ticketId = (await createTicket()) ?? 0
  const files: Array<{ bytes: Uint8Array; sha256: string }> = []
  for (let i = 0; i < 2; i++) {
    const bytes = new Uint8Array(200_000).map(() => Math.floor(Math.random() * 256))
    files.push({ bytes, sha256: createHash('sha256').update(bytes).digest('hex') })
    const form = new FormData()
    form.set('_csrf', csrf)
    form.set('body', `Скан ${i}`)
    form.set('files', new File([bytes], `скан-${i}.bin`, { type: 'application/octet-stream' }))
    const posted = await request(`${base}/tickets/${ticketId}/messages`, {
      method: 'POST',
      headers: web,
      body: form,
      redirect: 'manual',
    })
    expect(posted.status).toBe(303)
  }

  let writing = true
  const clients = Array.from({ length: CLIENTS }, async () => {
    while (writing) await createTicket()
  })
  // The load is on before the backup starts.
  while (acknowledged.length < 30) await new Promise((r) => setTimeout(r, 20))
  const backupStarted = Date.now()
  const backup = await helpdesk(env, ['backup'], { env: { BACKUP_PASSPHRASE: PASSPHRASE } })
  const backupEnded = Date.now()
  writing = false
  await Promise.all(clients)
  expect(backup.code, backup.stderr).toBe(0)
  expect(exited()).toBeUndefined()

  // Writes went on while the backup ran; none was refused or failed.
  expect(acknowledged.filter((a) => a.at > backupStarted && a.at < backupEnded).length).toBeGreaterThan(0)
  expect([...statuses.keys()]).toEqual([201])
  await stopServer(server)

  const file = backup.stdout.trim()
  const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8')) as Manifest
  expect(manifest.encrypted).toBe(true)
  expect(Object.keys(manifest.parts).filter((p) => p.startsWith('files/'))).toHaveLength(2)

  // Another machine: an empty folder, the passphrase.
  const other = await freshEnv()
  const restore = await helpdesk(other, ['restore', file], { env: { BACKUP_PASSPHRASE: PASSPHRASE } })
  expect(restore.code, restore.stderr).toBe(0)
  const verify = await helpdesk(other, ['audit', 'verify'])
  expect(verify.code, verify.stderr).toBe(0)

  const db = openDatabase({ kind: 'sqlite', file: databaseFile(other) })
  try {
    await expectJournalVerifies(db, other.dataDir)
    // Every table as the manifest counted it in the snapshot; the journal has the restore's and the
    // verification's own rows on top, after the snapshot's head, which is there with its hash.
    for (const [table, count] of Object.entries(manifest.counts)) {
      const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.id(table)}`.execute(db)
      if (table === 'audit_log') expect(Number(rows[0]?.n), table).toBe(count + 2)
      else expect(Number(rows[0]?.n), table).toBe(count)
    }
    const head = await db
      .selectFrom('audit_log')
      .select('hash')
      .where('id', '=', manifest.journal.id)
      .executeTakeFirstOrThrow()
    expect(head.hash).toBe(manifest.journal.hash)
    const after = await db
      .selectFrom('audit_log')
      .select('action')
      .where('id', '>', manifest.journal.id)
      .orderBy('id')
      .execute()
    expect(after.map((r) => r.action)).toEqual(['backup.restore', 'audit.verify'])
    // Every ticket acknowledged before the backup began is in it.
    const ids = new Set((await db.selectFrom('tickets').select('id').execute()).map((t) => t.id))
    for (const { id } of acknowledged.filter((a) => a.at < backupStarted))
      expect(ids.has(id), `ticket ${id}`).toBe(true)
    expect(ids.size).toBe(manifest.counts.tickets)

    // The attachments download through the app of the restored installation.
    const restoredConfig = loadConfig({ DATA_DIR: other.dataDir })
    // The admin's session has no second factor: the restored files are what is tested here, not AUTH_REQUIRE_2FA.
    const { app } = testApp(db, { ...restoredConfig, logLevel: 'silent', require2fa: [] })
    const admin = await db.selectFrom('users').selectAll().where('login', '=', 'admin').executeTakeFirstOrThrow()
    const who = await signIn(db, admin)
    const attachments = await db.selectFrom('attachments').select(['id', 'ticket_id', 'sha256']).orderBy('id').execute()
    expect(attachments.map((a) => a.sha256).sort()).toEqual(files.map((f) => f.sha256).sort())
    for (const attachment of attachments) {
      const res = await app.request(`/tickets/${attachment.ticket_id}/files/${attachment.id}`, {
        headers: { cookie: who.cookie },
      })
      expect(res.status).toBe(200)
      const bytes = new Uint8Array(await res.arrayBuffer())
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(attachment.sha256)
    }
  } finally {
    await db.destroy()
  }
  expect(path.dirname(file)).toBe(path.join(env.dataDir, 'backups'))
})
