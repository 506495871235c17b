import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import * as tar from 'tar'
import { describe, expect, test } from 'vitest'
import { CLI_TIMEOUT, type CliEnv, databaseFile, freshEnv, helpdesk, lines, withFileDatabase } from './helpers.ts'

async function migrated(): Promise<CliEnv> {
  const env = await freshEnv()
  expect((await helpdesk(env, ['migrate'])).code).toBe(0)
  return env
}

async function ticketTitles(env: CliEnv): Promise<string[]> {
  return withFileDatabase(env, async (db) =>
    (await db.selectFrom('tickets').select('title').orderBy('id').execute()).map((t) => t.title),
  )
}

describe.concurrent('helpdesk demo', { timeout: CLI_TIMEOUT }, () => {
  test('fills a hospital once, with one journal entry and the search index, then refuses without --force', async () => {
    const env = await freshEnv()
    const run = await helpdesk(env, ['demo', '--tickets', '60', '--seed', 'курск'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Курская городская клиническая больница')
    expect(run.stdout).toMatch(/заявок 60, сообщений \d+, событий \d+/)
    expect(run.stdout).toMatch(/время [\d.]+ с/)

    const people = await helpdesk(env, ['users', 'list', '--role', 'requester'])
    expect(people.code).toBe(0)
    expect(lines(people.stdout).length).toBeGreaterThan(250)
    expect(people.stdout).toMatch(/[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+(вич|вна|чна|ьич)/)

    await withFileDatabase(env, async (db) => {
      const demo = await db.selectFrom('audit_log').selectAll().where('action', '=', 'demo.generate').execute()
      expect(demo).toHaveLength(1)
      expect(demo[0]).toMatchObject({ channel: 'cli', actor_id: null })
      const departments = await db.selectFrom('departments').select('name').execute()
      expect(departments.map((d) => d.name)).toEqual(
        expect.arrayContaining(['Приёмное отделение', 'Травматология', 'Аптека']),
      )
      const groups = await db.selectFrom('executor_groups').select('name').execute()
      expect(groups.map((g) => g.name)).toEqual(
        expect.arrayContaining(['Сети', 'МИС', 'Оргтехника', '1С', 'Телефония', 'Рабочие места']),
      )
      const executors = await db.selectFrom('users').select('id').where('role', '=', 'executor').execute()
      expect(executors.length).toBe(8)
      const raw = new Database(databaseFile(env), { readonly: true })
      try {
        expect(raw.prepare('select count(*) from ticket_fts').pluck().get()).toBe(60)
        expect(
          raw
            .prepare('select count(*) from tickets t join ticket_fts f on f.rowid = t.id and f.title = t.title')
            .pluck()
            .get(),
        ).toBe(60)
      } finally {
        raw.close()
      }
    })

    const again = await helpdesk(env, ['demo', '--tickets', '5'])
    expect(again.code).toBe(1)
    expect(lines(again.stderr)).toHaveLength(1)
    expect(again.stderr).toContain('--force')
    const forced = await helpdesk(env, ['demo', '--tickets', '5', '--force'])
    expect(forced.code).toBe(0)
    expect((await ticketTitles(env)).length).toBe(65)
    const verify = await helpdesk(env, ['audit', 'verify'])
    expect(verify.code).toBe(0)
  })

  test('the same seed builds the same tickets', async () => {
    const [a, b] = await Promise.all([freshEnv(), freshEnv()])
    const runs = await Promise.all([a, b].map((env) => helpdesk(env, ['demo', '--tickets', '30', '--seed', '42'])))
    for (const run of runs) expect(run.code).toBe(0)
    const [titlesA, titlesB] = await Promise.all([ticketTitles(a), ticketTitles(b)])
    expect(titlesA).toHaveLength(30)
    expect(titlesA).toEqual(titlesB)
  })

  test('--tickets must be a number', async () => {
    const env = await freshEnv()
    const run = await helpdesk(env, ['demo', '--tickets', 'много'])
    expect(run.code).toBe(2)
  })
})

describe.concurrent('helpdesk backup and restore', { timeout: CLI_TIMEOUT }, () => {
  test('a backup restores the database as it was, journaled, with the replaced one kept', async () => {
    const env = await migrated()
    const before = await helpdesk(env, ['users', 'create-admin', '--login', 'first', '--password-stdin'], {
      input: 'надёжный-пароль-1\n',
    })
    expect(before.code).toBe(0)
    const backup = await helpdesk(env, ['backup'])
    expect(backup.code).toBe(0)
    const file = backup.stdout.trim()
    expect(path.dirname(file)).toBe(path.join(env.dataDir, 'backups'))
    expect(path.basename(file)).toMatch(/^helpdesk-\d{8}-\d{6}\.tar$/)
    expect(backup.stderr).toContain('проверена')

    const after = await helpdesk(env, ['users', 'create-admin', '--login', 'second', '--password-stdin'], {
      input: 'надёжный-пароль-2\n',
    })
    expect(after.code).toBe(0)

    const restore = await helpdesk(env, ['restore', file])
    expect(restore.code).toBe(0)
    expect(restore.stdout).toContain('База восстановлена')
    const logins = await withFileDatabase(env, async (db) =>
      (await db.selectFrom('users').select('login').orderBy('id').execute()).map((u) => u.login),
    )
    expect(logins).toEqual(['first'])
    const verify = await helpdesk(env, ['audit', 'verify'])
    expect(verify.code).toBe(0)
    await withFileDatabase(env, async (db) => {
      const actions = (await db.selectFrom('audit_log').select('action').orderBy('id').execute()).map((r) => r.action)
      expect(actions.at(-2)).toBe('backup.restore')
    })
    const kept = readdirSync(path.join(env.dataDir, 'backups'))
    expect(kept.some((name) => name.startsWith('helpdesk-before-restore-'))).toBe(true)
  })

  test('backup to a named file', async () => {
    const env = await migrated()
    const target = path.join(env.dataDir, 'вечерняя копия.sqlite')
    const run = await helpdesk(env, ['backup', target])
    expect(run.code).toBe(0)
    expect(existsSync(target)).toBe(true)
    const again = await helpdesk(env, ['backup', target])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('уже существует')
  })

  test('restore refuses a file that is not a helpdesk backup and changes nothing', async () => {
    const env = await migrated()
    const junk = path.join(env.dataDir, 'junk.sqlite')
    writeFileSync(junk, 'это не база данных'.repeat(100))
    const run = await helpdesk(env, ['restore', junk])
    expect(run.code).toBe(2)
    expect(lines(run.stderr)).toHaveLength(1)
    expect(run.stderr).toContain('не является резервной копией helpdesk')

    const other = path.join(env.dataDir, 'other.sqlite')
    new Database(other).exec('create table t (x)').close()
    const foreign = await helpdesk(env, ['restore', other])
    expect(foreign.code).toBe(2)
    expect(foreign.stderr).toContain('нет таблиц')

    const missing = await helpdesk(env, ['restore', path.join(env.dataDir, 'nope.sqlite')])
    expect(missing.code).toBe(1)
    expect(readdirSync(env.dataDir)).not.toContain('backups')
  })

  test('restore refuses a backup whose journal was tampered with', async () => {
    const env = await migrated()
    expect(
      (
        await helpdesk(env, ['users', 'create-admin', '--login', 'admin', '--password-stdin'], {
          input: 'надёжный-пароль-3\n',
        })
      ).code,
    ).toBe(0)
    const backup = await helpdesk(env, ['backup'])
    const file = backup.stdout.trim()
    // Unpacked, the journal's first row changed, the manifest's hash made to match, packed again: only the
    // chain can tell.
    const unpacked = mkdtempSync(path.join(env.dataDir, 'unpacked-'))
    await tar.extract({ file, cwd: unpacked })
    const raw = new Database(path.join(unpacked, 'database.sqlite'))
    raw.exec('drop trigger audit_log_no_update')
    raw.prepare("update audit_log set description = 'x' where id = 1").run()
    raw.close()
    const manifestFile = path.join(unpacked, 'manifest.json')
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      parts: Record<string, { bytes: number; sha256: string }>
    }
    const db = readFileSync(path.join(unpacked, 'database.sqlite'))
    manifest.parts['database.sqlite'] = { bytes: db.length, sha256: createHash('sha256').update(db).digest('hex') }
    writeFileSync(manifestFile, JSON.stringify(manifest))
    const forged = path.join(env.dataDir, 'forged.tar')
    await tar.create({ file: forged, cwd: unpacked }, readdirSync(unpacked))
    const run = await helpdesk(env, ['restore', forged])
    expect(run.code).toBe(2)
    expect(lines(run.stderr)).toHaveLength(1)
    expect(run.stderr).toContain('запись № 1 изменена')

    // Changed without the manifest: the hash names the part.
    writeFileSync(path.join(unpacked, 'secrets.json'), '{}')
    const altered = path.join(env.dataDir, 'altered.tar')
    await tar.create({ file: altered, cwd: unpacked }, readdirSync(unpacked))
    const second = await helpdesk(env, ['restore', altered])
    expect(second.code).toBe(2)
    expect(second.stderr).toContain('не сходятся с описью: secrets.json')
  })

  test('on PostgreSQL out of reach: one line, exit 1; a missing file is named before any connection', async () => {
    const env = await freshEnv()
    const backup = await helpdesk(env, ['backup'], { env: { DATABASE_URL: 'postgres://127.0.0.1:1/none' } })
    expect(backup.code).toBe(1)
    expect(lines(backup.stderr)).toHaveLength(1)
    const restore = await helpdesk(env, ['restore', 'x.dump'], { env: { DATABASE_URL: 'postgres://127.0.0.1:1/none' } })
    expect(restore.code).toBe(1)
    expect(restore.stderr).toContain('не найден')
    expect(lines(restore.stderr)).toHaveLength(1)
  })
})
