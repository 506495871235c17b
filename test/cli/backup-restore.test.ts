import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { expect, test } from 'vitest'
import { setAuditKey } from '#src/audit/journal.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import { testApp, testConfig } from '../support/api.ts'
import { buildCategory } from '../support/factories.ts'
import { PNG, postMultipart } from '../support/uploads.ts'
import { signIn, webUser } from '../support/web.ts'
import { CLI_TIMEOUT, type CliEnv, freshEnv, helpdesk, lines, withFileDatabase } from './helpers.ts'

const PASSPHRASE = 'длинная фраза для копий 2026'

/** A server's data folder with its keys, an admin, and a ticket with a photo uploaded through the web app. */
async function hospital(): Promise<{ env: CliEnv; ticketId: number; fileId: number; userId: number }> {
  const env = await freshEnv()
  const config = testConfig({ dataDir: env.dataDir })
  writeFileSync(
    path.join(env.dataDir, 'secrets.json'),
    JSON.stringify({ auditKey: config.auditKey, secretKey: config.secretKey }),
    { mode: 0o600 },
  )
  setAuditKey(config.auditKey)
  return withFileDatabase(env, async (db) => {
    await migrateToLatest(db)
    const { app } = testApp(db, config)
    const who = await webUser(db)
    const category = await buildCategory(db, { name: 'Принтеры' })
    const created = await postMultipart(
      app,
      '/tickets/new',
      who,
      { description: 'Не печатает', category: String(category.id) },
      [{ name: 'принтер.png', type: 'image/png', bytes: PNG }],
    )
    expect(created.status).toBe(303)
    const ticketId = Number(created.location?.split('/').at(-1))
    const file = await db
      .selectFrom('attachments')
      .select('id')
      .where('ticket_id', '=', ticketId)
      .executeTakeFirstOrThrow()
    return { env, ticketId, fileId: file.id, userId: who.user.id }
  })
}

test('an encrypted backup restores on another machine into an empty folder: attachments download, audit verify passes', {
  timeout: CLI_TIMEOUT,
}, async () => {
  const { env, ticketId, fileId, userId } = await hospital()
  const withKey = { env: { BACKUP_PASSPHRASE: PASSPHRASE } }
  const backup = await helpdesk(env, ['backup'], withKey)
  expect(backup.code, backup.stderr).toBe(0)
  const file = backup.stdout.trim()
  expect(path.basename(file)).toMatch(/^helpdesk-\d{8}-\d{6}\.tar\.age$/)
  expect(statSync(file).mode & 0o777).toBe(0o600)
  expect(backup.stderr).toContain('вложений: 1')
  const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8')) as { encrypted: boolean; parts: object }
  expect(manifest.encrypted).toBe(true)
  expect(Object.keys(manifest.parts)).toEqual(expect.arrayContaining(['secrets.json', 'database.sqlite']))

  const list = await helpdesk(env, ['backups', 'list'], withKey)
  expect(list.code).toBe(0)
  expect(list.stdout).toMatch(new RegExp(`${path.basename(file).replaceAll('.', '\\.')}\\s.+\\sда\\s+да`))

  // Another machine: an empty DATA_DIR (its first command generates keys of its own).
  const other = await freshEnv()
  const noKey = await helpdesk(other, ['restore', file])
  expect(noKey.code).toBe(2)
  expect(lines(noKey.stderr)).toEqual([expect.stringContaining('зашифрована: задайте BACKUP_PASSPHRASE')])
  const wrong = await helpdesk(other, ['restore', file], { env: { BACKUP_PASSPHRASE: 'не та фраза' } })
  expect(wrong.code).toBe(2)
  expect(lines(wrong.stderr)).toEqual([expect.stringContaining('Неверная парольная фраза')])
  expect(readdirSync(other.dataDir)).toEqual(['secrets.json'])

  const keyFile = path.join(other.dataDir, '..', `${path.basename(other.dataDir)}.key`)
  writeFileSync(keyFile, `${PASSPHRASE}\n`, { mode: 0o600 })
  const restore = await helpdesk(other, ['restore', file], { env: { BACKUP_KEY_FILE: keyFile } })
  expect(restore.code, restore.stderr).toBe(0)
  expect(restore.stdout).toContain('База восстановлена')
  expect(restore.stdout).toContain('Вложений: 1; ключи (secrets.json): восстановлены')
  expect(restore.stderr).toContain('Прежние данные сохранены')
  expect(readFileSync(path.join(other.dataDir, 'secrets.json'), 'utf8')).toBe(
    readFileSync(path.join(env.dataDir, 'secrets.json'), 'utf8'),
  )

  const verify = await helpdesk(other, ['audit', 'verify'])
  expect(verify.code, verify.stderr).toBe(0)
  await withFileDatabase(other, async (db) => {
    const restored = await db.selectFrom('audit_log').select('action').where('action', '=', 'backup.restore').execute()
    expect(restored).toHaveLength(1)
    const config = testConfig({ dataDir: other.dataDir })
    const { app } = testApp(db, config)
    const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow()
    const who = await signIn(db, user)
    const download = await app.request(`/tickets/${ticketId}/files/${fileId}`, { headers: { cookie: who.cookie } })
    expect(download.status).toBe(200)
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(PNG)
  })

  // --to: a folder of its own, laid out as a DATA_DIR.
  const elsewhere = path.join(other.dataDir, `проверка-${randomBytes(2).toString('hex')}`)
  const to = await helpdesk(other, ['restore', file, '--to', elsewhere], { env: { BACKUP_PASSPHRASE: PASSPHRASE } })
  expect(to.code, to.stderr).toBe(0)
  expect(existsSync(path.join(elsewhere, 'helpdesk.sqlite'))).toBe(true)
  expect(readdirSync(path.join(elsewhere, 'files'), { recursive: true }).length).toBeGreaterThan(0)
})

test('restore refuses while a server holds the lease, and changes nothing', { timeout: CLI_TIMEOUT }, async () => {
  const { env } = await hospital()
  const backup = await helpdesk(env, ['backup'])
  expect(backup.code, backup.stderr).toBe(0)
  await withFileDatabase(env, (db) =>
    db
      .insertInto('leases')
      .values({ name: 'scheduler', holder: 'other', expires_at: new Date(Date.now() + 3_600_000).toISOString() })
      .execute(),
  )
  const before = readdirSync(env.dataDir).sort()
  const run = await helpdesk(env, ['restore', backup.stdout.trim()])
  expect(run.code).toBe(1)
  expect(lines(run.stderr)).toEqual([expect.stringContaining('Сервер запущен')])
  expect(readdirSync(env.dataDir).sort()).toEqual(before)
})
