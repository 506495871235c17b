import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Decrypter, Encrypter } from 'age-encryption'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, describe, expect, test } from 'vitest'
import { setAuditKey, verifyJournal } from '#src/audit/journal.ts'
import type { Config, DatabaseConfig } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import type { Db } from '#src/db/schema.ts'
import { startWorker } from '#src/jobs/worker.ts'
import { systemActor } from '#src/users/actor.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabaseUrl, testDialect } from '../../test/support/database.ts'
import { buildCategory, buildUser } from '../../test/support/factories.ts'
import { PNG, postMultipart } from '../../test/support/uploads.ts'
import { signIn, webUser } from '../../test/support/web.ts'
import { bundleFileName } from './backup.ts'
import { lastGoodBackupAt } from './backup-log.ts'
import { restoreInstallation, restoreTargetOf } from './restore.ts'
import { backupsToKeep, parseKeepRules } from './rules.ts'
import { rotateBackups, runBackup } from './run-backup.ts'
import { backupSchedule } from './schedule.ts'

const AUDIT_KEY = testConfig().auditKey
const PASSPHRASE = 'пароль копии 2026'
/** scrypt at 2^10 instead of age's 2^18: the same format, milliseconds instead of seconds per test. */
const LOG_N = 10

const folders: string[] = []
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function folder(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  folders.push(dir)
  return dir
}

/** An empty PostgreSQL database of the test's own (dropped after the file), as a fresh server would have. */
async function emptyPostgres(): Promise<string> {
  const url = process.env.TEST_DATABASE_URL
  if (!url) throw new Error('TEST_DATABASE_URL')
  const name = `hd_restore_${randomBytes(5).toString('hex')}`
  const admin = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
  await sql`create database ${sql.id(name)}`.execute(admin)
  cleanups.push(async () => {
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
    await admin.destroy()
  })
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

interface Installation {
  db: Db
  config: Config
  dataDir: string
}

function configFor(dataDir: string, database: DatabaseConfig, backup: Partial<NonNullable<Config['backup']>> = {}) {
  return testConfig({
    dataDir,
    database,
    auditKeySource: 'generated',
    backup: {
      dir: path.join(dataDir, 'backups'),
      schedule: '30 2 * * *',
      keep: '7d,4w,12m',
      passphrase: PASSPHRASE,
      ...backup,
    },
  })
}

/** A running installation: a database on disk (or its own PostgreSQL database), its keys in secrets.json. */
async function installation(backup: Partial<NonNullable<Config['backup']>> = {}): Promise<Installation> {
  const dataDir = folder('helpdesk-backup-src-')
  const database: DatabaseConfig =
    testDialect() === 'postgres'
      ? { kind: 'postgres', url: await testDatabaseUrl() }
      : { kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') }
  const db = openDatabase(database, { poolSize: 4 })
  cleanups.unshift(() => db.destroy())
  if (database.kind === 'sqlite') await migrateToLatest(db)
  writeFileSync(
    path.join(dataDir, 'secrets.json'),
    JSON.stringify({ auditKey: AUDIT_KEY, secretKey: testConfig().secretKey }),
    { mode: 0o600 },
  )
  return { db, config: configFor(dataDir, database, backup), dataDir }
}

/** A fresh machine: an empty DATA_DIR whose generated keys are not the backup's, an empty database. */
async function freshMachine(): Promise<{ config: Config; dataDir: string }> {
  const dataDir = folder('helpdesk-backup-new-')
  const database: DatabaseConfig =
    testDialect() === 'postgres'
      ? { kind: 'postgres', url: await emptyPostgres() }
      : { kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') }
  writeFileSync(
    path.join(dataDir, 'secrets.json'),
    JSON.stringify({ auditKey: 'x'.repeat(64), secretKey: 'y'.repeat(64) }),
    { mode: 0o600 },
  )
  return { config: { ...configFor(dataDir, database), auditKey: 'x'.repeat(64) }, dataDir }
}

/** A ticket with a photo uploaded through the web app: a row in `attachments`, a file in DATA_DIR/files. */
async function ticketWithPhoto(inst: Installation) {
  const { app } = testApp(inst.db, inst.config)
  const who = await webUser(inst.db)
  const category = await buildCategory(inst.db, { name: `Принтеры ${randomBytes(2).toString('hex')}` })
  const created = await postMultipart(
    app,
    '/tickets/new',
    who,
    { description: 'Принтер не печатает', category: String(category.id) },
    [{ name: 'принтер.png', type: 'image/png', bytes: PNG }],
  )
  expect(created.status).toBe(303)
  const ticketId = Number(created.location?.split('/').at(-1))
  const file = await inst.db
    .selectFrom('attachments')
    .select('id')
    .where('ticket_id', '=', ticketId)
    .executeTakeFirstOrThrow()
  return { ticketId, fileId: file.id, userId: who.user.id }
}

describe('backup and restore', { timeout: 120_000 }, () => {
  test('an encrypted backup restores on a fresh machine: database, attachments that download, keys, a journal that verifies', async () => {
    const inst = await installation()
    const { ticketId, fileId, userId } = await ticketWithPhoto(inst)
    const done = await runBackup(inst.db, inst.config, { trigger: 'cli', actor: systemActor('cli'), scryptLogN: LOG_N })
    expect(path.basename(done.file)).toMatch(/^helpdesk-\d{8}-\d{6}\.tar\.age$/)
    expect(readFileSync(done.file).subarray(0, 21).toString()).toBe('age-encryption.org/v1')
    expect(done.verification.check?.migrationsCurrent).toBe(true)
    expect(Object.keys(done.manifest.parts)).toEqual(
      expect.arrayContaining([done.manifest.database.part, 'secrets.json', expect.stringMatching(/^files\//)]),
    )
    const beside = JSON.parse(readFileSync(`${done.file}.manifest.json`, 'utf8')) as { journal: { id: number } }
    expect(beside.journal.id).toBe(done.manifest.journal.id)
    expect(await lastGoodBackupAt(inst.db)).not.toBeNull()

    const fresh = await freshMachine()
    const report = await restoreInstallation(fresh.config, done.file, restoreTargetOf(fresh.config))
    expect(report).toMatchObject({ legacy: false, files: 1, secrets: true })
    expect(report.head).toEqual(done.manifest.journal)
    // The fresh machine's generated keys were kept aside, the backup's are in place.
    expect(JSON.parse(readFileSync(path.join(fresh.dataDir, 'secrets.json'), 'utf8')).auditKey).toBe(AUDIT_KEY)
    expect(report.aside).not.toBeNull()
    expect(readdirSync(report.aside ?? '')).toContain('secrets.json')
    expect(readdirSync(fresh.dataDir).filter((n) => n.startsWith('.restore-'))).toEqual([])

    const restored = openDatabase(fresh.config.database, { poolSize: 2 })
    cleanups.unshift(() => restored.destroy())
    setAuditKey(AUDIT_KEY)
    expect(await verifyJournal(restored)).toMatchObject({ ok: true, count: done.manifest.journal.count })
    const { app } = testApp(restored, { ...fresh.config, auditKey: AUDIT_KEY, secretKey: testConfig().secretKey })
    const user = await restored.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow()
    const who = await signIn(restored, user)
    const download = await app.request(`/tickets/${ticketId}/files/${fileId}`, { headers: { cookie: who.cookie } })
    expect(download.status).toBe(200)
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(PNG)
  })

  test('a wrong passphrase, a damaged or a truncated file: one clear line, nothing in the target changed', async () => {
    const inst = await installation()
    await ticketWithPhoto(inst)
    const done = await runBackup(inst.db, inst.config, { trigger: 'cli', actor: systemActor('cli'), scryptLogN: LOG_N })
    const fresh = await freshMachine()
    const before = readdirSync(fresh.dataDir).sort()
    const target = restoreTargetOf(fresh.config)

    const wrong = {
      ...fresh.config,
      backup: { ...(fresh.config.backup as NonNullable<Config['backup']>), passphrase: 'не тот' },
    }
    await expect(restoreInstallation(wrong, done.file, target)).rejects.toThrow(/^Неверная парольная фраза/)

    const bytes = readFileSync(done.file)
    const flipped = Buffer.from(bytes)
    const middle = Math.floor(bytes.length / 2)
    flipped[middle] = (flipped[middle] ?? 0) ^ 0x01
    const damaged = path.join(fresh.dataDir, '..', `${path.basename(fresh.dataDir)}-damaged.tar.age`)
    writeFileSync(damaged, flipped)
    folders.push(damaged)
    await expect(restoreInstallation(fresh.config, damaged, target)).rejects.toThrow(
      /не читается: файл обрезан или изменён/,
    )

    const truncated = path.join(fresh.dataDir, '..', `${path.basename(fresh.dataDir)}-cut.tar.age`)
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100))
    folders.push(truncated)
    await expect(restoreInstallation(fresh.config, truncated, target)).rejects.toThrow(/не читается/)

    expect(readdirSync(fresh.dataDir).sort()).toEqual(before)
    if (fresh.config.database.kind === 'postgres') {
      const db = openDatabase(fresh.config.database, { poolSize: 1 })
      const { rows } = await sql<{ n: string }>`select count(*) as n from information_schema.tables
        where table_schema = current_schema()`.execute(db)
      await db.destroy()
      expect(Number(rows[0]?.n)).toBe(0)
    }
  })

  test('an unencrypted bundle cut short is refused too; a plain tar needs no passphrase', async () => {
    const inst = await installation({ passphrase: undefined })
    const done = await runBackup(inst.db, inst.config, { trigger: 'cli', actor: systemActor('cli') })
    expect(path.basename(done.file)).toMatch(/\.tar$/)
    const cut = `${done.file}.cut`
    writeFileSync(cut, readFileSync(done.file).subarray(0, 5000))
    const fresh = await freshMachine()
    await expect(restoreInstallation(fresh.config, cut, restoreTargetOf(fresh.config))).rejects.toThrow(/не читается/)
    const report = await restoreInstallation(fresh.config, done.file, restoreTargetOf(fresh.config))
    expect(report.head).toEqual(done.manifest.journal)
  })

  test('the bundle is standard age: the reference decrypter of the age authors opens ours, and a file it encrypted restores', async () => {
    const inst = await installation()
    const done = await runBackup(inst.db, inst.config, { trigger: 'cli', actor: systemActor('cli'), scryptLogN: LOG_N })
    const decrypter = new Decrypter()
    decrypter.addPassphrase(PASSPHRASE)
    const tarBytes = await decrypter.decrypt(readFileSync(done.file))
    expect(Buffer.from(tarBytes.subarray(257, 262)).toString('latin1')).toBe('ustar')

    const encrypter = new Encrypter()
    encrypter.setPassphrase(PASSPHRASE)
    encrypter.setScryptWorkFactor(LOG_N)
    const theirs = path.join(path.dirname(done.file), 'их-шифр.tar.age')
    writeFileSync(theirs, await encrypter.encrypt(tarBytes))
    const fresh = await freshMachine()
    const report = await restoreInstallation(fresh.config, theirs, restoreTargetOf(fresh.config))
    expect(report.head).toEqual(done.manifest.journal)
  })

  // Defined only where it applies: a skipped test would read as a gap in CI.
  if (testDialect() === 'sqlite')
    test('a database-only .sqlite backup of before issue 11 still restores', async () => {
      const inst = await installation()
      const old = path.join(inst.dataDir, 'helpdesk-20261101-023000.sqlite')
      await sql`vacuum into ${old}`.execute(inst.db)
      const fresh = await freshMachine()
      setAuditKey(AUDIT_KEY)
      const report = await restoreInstallation(
        { ...fresh.config, auditKey: AUDIT_KEY },
        old,
        restoreTargetOf(fresh.config),
      )
      expect(report).toMatchObject({ legacy: true, files: 0 })
    })

  if (testDialect() === 'postgres')
    test('PostgreSQL: restore goes only into an empty database', async () => {
      const inst = await installation()
      const done = await runBackup(inst.db, inst.config, {
        trigger: 'cli',
        actor: systemActor('cli'),
        scryptLogN: LOG_N,
      })
      expect(done.manifest.database.kind).toBe('postgres')
      const dataDir = folder('helpdesk-backup-full-')
      const busy = configFor(dataDir, { kind: 'postgres', url: await testDatabaseUrl() })
      await expect(restoreInstallation(busy, done.file, restoreTargetOf(busy))).rejects.toThrow(
        /База PostgreSQL не пуста/,
      )
      expect(readdirSync(dataDir)).toEqual([])
    })
})

describe('rotation and the schedule', { timeout: 120_000 }, () => {
  test('BACKUP_KEEP keeps the newest of each day, week and month asked for', () => {
    const rules = parseKeepRules('3d,2w,2m')
    if (typeof rules === 'string') throw new Error(rules)
    const at = (iso: string) => ({ at: new Date(iso), name: iso })
    const backups = [
      at('2026-12-03T00:30:00Z'), // 03.12 03:30 MSK
      at('2026-12-02T23:30:00Z'), // 03.12 02:30 MSK — same Moscow day as the one above, older
      at('2026-12-01T23:30:00Z'), // 02.12
      at('2026-11-30T23:30:00Z'), // 01.12 (Tuesday, the week of 30.11)
      at('2026-11-29T23:30:00Z'), // 30.11 (Monday)
      at('2026-11-28T23:30:00Z'), // 29.11 (Sunday: the week before)
      at('2026-11-20T23:30:00Z'), // 21.11
      at('2026-10-30T23:30:00Z'), // 31.10
      at('2026-10-01T23:30:00Z'), // 02.10
    ]
    const kept = [...backupsToKeep(backups, rules, 'Europe/Moscow')].map((b) => b.name).sort()
    expect(kept).toEqual(
      [
        '2026-12-03T00:30:00Z', // the newest: day 03.12, week 49, December
        '2026-12-01T23:30:00Z', // day 02.12
        '2026-11-30T23:30:00Z', // day 01.12
        '2026-11-29T23:30:00Z', // November (30.11 in Moscow)
        '2026-11-28T23:30:00Z', // week 48 (Sunday 29.11 in Moscow)
      ].sort(),
    )
    expect(parseKeepRules('7x')).toMatch(/ожидается число/)
    expect(parseKeepRules('all')).toEqual({ all: true })
  })

  test('rotation removes only what the rules let go, with its manifest, and journals it', async () => {
    const inst = await installation({ keep: '2d' })
    const dir = path.join(inst.dataDir, 'backups')
    const names = ['2026-12-01T23:30:00.000Z', '2026-12-02T23:30:00.000Z', '2026-11-30T23:30:00.000Z'].map((at) =>
      bundleFileName(at, true),
    )
    const { mkdirSync } = await import('node:fs')
    mkdirSync(dir, { recursive: true })
    for (const name of names) {
      writeFileSync(path.join(dir, name), 'x')
      writeFileSync(path.join(dir, `${name}.manifest.json`), '{}')
    }
    writeFileSync(path.join(dir, 'чужой файл.txt'), 'x')
    const removed = await rotateBackups(inst.db, inst.config, systemActor())
    expect(removed).toEqual([bundleFileName('2026-11-30T23:30:00.000Z', true)])
    expect(readdirSync(dir).sort()).toEqual(
      [...names.slice(0, 2).flatMap((n) => [n, `${n}.manifest.json`]), 'чужой файл.txt'].sort(),
    )
    const journaled = await inst.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'backup.rotate')
      .execute()
    expect(journaled).toHaveLength(1)
  })

  test('the schedule fires at its cron time (TZ_DISPLAY), once per slot, and records a verified backup', async () => {
    const inst = await installation()
    setTestClock('2026-12-02T23:00:00.000Z') // 02:00 in Moscow
    const schedule = backupSchedule(inst.config, pino({ level: 'silent' }), { scryptLogN: LOG_N })
    if (!schedule) throw new Error('no schedule')
    expect(await schedule.run(inst.db)).toBe(0)
    setTestClock('2026-12-02T23:30:30.000Z') // 02:30:30 in Moscow
    expect(await schedule.run(inst.db)).toBe(1)
    expect(await schedule.run(inst.db)).toBe(0)
    await schedule.idle()
    expect(await lastGoodBackupAt(inst.db)).toBe('2026-12-02T23:30:30.000Z')
    expect(readdirSync(path.join(inst.dataDir, 'backups'))).toContain('helpdesk-20261202-233030.tar.age')
    // The lease moved to another instance within the same slot: it does not back up again.
    setTestClock('2026-12-02T23:00:00.000Z')
    const another = backupSchedule(inst.config, pino({ level: 'silent' }), { scryptLogN: LOG_N })
    setTestClock('2026-12-02T23:31:00.000Z')
    expect(await another?.run(inst.db)).toBe(0)
  })

  test('the worker runs it under the scheduler lease', async () => {
    const inst = await installation()
    setTestClock('2026-12-02T23:29:00.000Z')
    const schedule = backupSchedule(inst.config, pino({ level: 'silent' }), { scryptLogN: LOG_N })
    if (!schedule) throw new Error('no schedule')
    setTestClock('2026-12-02T23:30:05.000Z')
    const worker = startWorker({
      db: inst.db,
      config: inst.config,
      logger: pino({ level: 'silent' }),
      channels: [],
      schedules: [schedule],
      pollIntervalMs: 20,
    })
    try {
      for (let i = 0; i < 500 && (await lastGoodBackupAt(inst.db)) === null; i++) {
        await new Promise((r) => setTimeout(r, 20))
        await schedule.idle()
      }
    } finally {
      await worker.stop()
      await schedule.idle()
    }
    expect(await lastGoodBackupAt(inst.db)).toBe('2026-12-02T23:30:05.000Z')
    const record = await inst.db.selectFrom('backups').select('trigger').executeTakeFirstOrThrow()
    expect(record.trigger).toBe('schedule')
  })

  test('a failed nightly backup is recorded and told to the admins in Telegram', async () => {
    const inst = await installation()
    const blocker = path.join(inst.dataDir, 'not-a-folder')
    writeFileSync(blocker, 'x')
    const config = {
      ...inst.config,
      backup: { ...(inst.config.backup as NonNullable<Config['backup']>), dir: blocker },
    }
    const admin = await buildUser(inst.db, { role: 'admin', telegramChatId: '700100' })
    await buildUser(inst.db, { role: 'executor', telegramChatId: '700200' })
    setTestClock('2026-12-02T23:00:00.000Z')
    const schedule = backupSchedule(config, pino({ level: 'silent' }), { scryptLogN: LOG_N })
    setTestClock('2026-12-02T23:45:00.000Z')
    expect(await schedule?.run(inst.db)).toBe(1)
    await schedule?.idle()
    const record = await inst.db.selectFrom('backups').selectAll().executeTakeFirstOrThrow()
    expect(record).toMatchObject({ ok: 0, verified_at: null })
    expect(record.error).toBeTruthy()
    expect(await lastGoodBackupAt(inst.db)).toBeNull()
    const notices = await inst.db.selectFrom('outbox').select(['recipient', 'payload']).execute()
    expect(notices.map((n) => n.recipient)).toEqual([admin.telegram_chat_id])
    expect(notices[0]?.payload).toContain('Резервная копия helpdesk не создана')
    const failed = await inst.db
      .selectFrom('audit_log')
      .select('result')
      .where('action', '=', 'backup.create')
      .executeTakeFirstOrThrow()
    expect(failed.result).toBe('error')
  })
})
