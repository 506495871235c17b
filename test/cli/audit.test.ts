import { readFileSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, test } from 'vitest'
import { audit, setAuditKey } from '#src/audit/journal.ts'
import { setClock } from '#src/db/time.ts'
import { actorFromUser, systemActor } from '#src/users/actor.ts'
import { buildUser } from '../support/factories.ts'
import { CLI_TIMEOUT, type CliEnv, databaseFile, freshEnv, helpdesk, lines, withFileDatabase } from './helpers.ts'

/** Journal entries written from the test with the installation's own key, at chosen moments. */
async function arrangeJournal(env: CliEnv): Promise<{ adminId: number }> {
  const secrets: unknown = JSON.parse(readFileSync(path.join(env.dataDir, 'secrets.json'), 'utf8'))
  if (
    typeof secrets !== 'object' ||
    secrets === null ||
    !('auditKey' in secrets) ||
    typeof secrets.auditKey !== 'string'
  ) {
    throw new Error('secrets.json without auditKey')
  }
  setAuditKey(secrets.auditKey)
  return withFileDatabase(env, async (db) => {
    const admin = await buildUser(db, { role: 'admin', fullName: 'Админова Алла Ивановна' })
    const requester = await buildUser(db, { fullName: 'Просительный Пётр Петрович' })
    const at = (iso: string) => setClock(() => new Date(iso))
    const entries = [
      ['2023-01-10T09:00:00.000Z', systemActor('bot'), 'user.register', true, 'Регистрация пользователя № 2'],
      [
        '2023-01-20T09:00:00.000Z',
        actorFromUser(admin, 'web'),
        'user.confirm',
        true,
        'Подтверждена регистрация пользователя № 2',
      ],
      ['2023-02-05T10:00:00.000Z', actorFromUser(admin, 'web'), 'settings.update', false, '=1+2 изменены настройки'],
      ['2023-03-01T08:00:00.000Z', actorFromUser(requester, 'bot'), 'ticket.create', false, 'Создана заявка № 1'],
    ] as const
    for (const [when, actor, action, pdn, description] of entries) {
      const restore = at(when)
      await audit(db, actor, { action, pdn, description, subjectId: pdn ? requester.id : null })
      restore()
    }
    return { adminId: admin.id }
  })
}

interface JsonEntry {
  id: number
  action: string
  actor_name: string | null
}

function parseEntries(stdout: string): JsonEntry[] {
  const parsed: unknown = JSON.parse(stdout)
  if (!Array.isArray(parsed)) throw new Error('not an array')
  return parsed.map((row: unknown) => {
    if (typeof row !== 'object' || row === null || !('id' in row) || !('action' in row)) throw new Error('bad row')
    return {
      id: Number(row.id),
      action: String(row.action),
      actor_name: 'actor_name' in row && typeof row.actor_name === 'string' ? row.actor_name : null,
    }
  })
}

describe.concurrent('helpdesk audit', { timeout: CLI_TIMEOUT }, () => {
  let env: CliEnv
  let adminId: number
  const arranged = ['--date_to', '2023-12-31', '--json']

  beforeAll(async () => {
    env = await freshEnv()
    expect((await helpdesk(env, ['migrate'])).code).toBe(0)
    ;({ adminId } = await arrangeJournal(env))
  })

  const cases: Array<[string, string[], number[]]> = [
    ['the last N', ['--limit', '2'], [4, 3]],
    ['pdn_related', ['--pdn_related'], [2, 1]],
    ['pdn-related (dashed)', ['--pdn-related'], [2, 1]],
    ['search, any case', ['--search', 'регистрация'], [2, 1]],
    ['search in the action code', ['--search', 'ticket.'], [4]],
    ['a period in Moscow days', ['--date_from', '2023-01-15', '--date-to', '2023-02-05'], [3, 2]],
    ['an action', ['--action', 'user.confirm'], [2]],
    ['an action prefix', ['--action', 'user.'], [2, 1]],
    ['the system as actor', ['--actor', 'system'], [1]],
  ]
  test.for(cases)('filters: %s', async ([, args, ids]) => {
    const run = await helpdesk(env, ['audit', ...arranged, ...args])
    expect(run.code).toBe(0)
    expect(parseEntries(run.stdout).map((e) => e.id)).toEqual(ids)
  })

  test('filters: an actor by id, with the name resolved for display', async () => {
    const run = await helpdesk(env, ['audit', ...arranged, '--actor', String(adminId)])
    expect(run.code).toBe(0)
    const entries = parseEntries(run.stdout)
    expect(entries.map((e) => e.id)).toEqual([3, 2])
    expect(entries[0]?.actor_name).toBe('Админова Алла Ивановна')
  })

  test('the table fits 100 columns, newest first, without colours in a pipe', async () => {
    const run = await helpdesk(env, ['audit', '--date_to', '2023-12-31'])
    expect(run.code).toBe(0)
    const table = lines(run.stdout)
    expect(table[0]).toMatch(/^№\s+Время\s+Кто/)
    expect(table[1]).toMatch(/^4\s+01\.03\.2023 11:00:00/)
    for (const line of table) expect(line.length).toBeLessThanOrEqual(100)
    expect(run.stdout).not.toContain('\u001b[')
  })

  test.for([
    ['--date_from', '2023-02-30'],
    ['--date-from', '2023-1-5'],
    ['--date_to', 'вчера'],
    ['--date_to', '9999-12-31'],
  ])('a bad date %s %s is one line and exit 2', async ([flag, value]) => {
    const run = await helpdesk(env, ['audit', flag ?? '', value ?? ''])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(lines(run.stderr)).toHaveLength(1)
    expect(run.stderr).toContain('ГГГГ-ММ-ДД')
  })

  test('export_csv writes every matching row with a BOM, `;`, neutralised formulas and Cyrillic intact', async () => {
    const file = path.join(env.dataDir, 'audit_export.csv')
    const run = await helpdesk(env, ['audit', '--date_to', '2023-12-31', '--export_csv', file])
    expect(run.code).toBe(0)
    const bytes = readFileSync(file)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const text = bytes.toString('utf8').slice(1)
    const rows = text.split('\r\n').filter((l) => l !== '')
    expect(rows).toHaveLength(5)
    expect(rows[0]).toMatch(/^№;Время \(UTC\);/)
    expect(text).toContain("'=1+2 изменены настройки")
    expect(text).toContain('Подтверждена регистрация пользователя № 2')
    expect(text).toContain('Админова Алла Ивановна')
    for (const row of rows) for (const cell of row.split(';')) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
  })

  test('export-csv (dashed) with --csv-delimiter , and --pdn_related', async () => {
    const file = path.join(env.dataDir, 'pdn.csv')
    const run = await helpdesk(env, [
      'audit',
      '--pdn_related',
      '--date_to',
      '2023-12-31',
      '--export-csv',
      file,
      '--csv-delimiter',
      ',',
    ])
    expect(run.code).toBe(0)
    const rows = readFileSync(file, 'utf8')
      .slice(1)
      .split('\r\n')
      .filter((l) => l !== '')
    expect(rows[0]).toMatch(/^№,Время \(UTC\),/)
    expect(rows.slice(1).map((r) => r.split(',')[0])).toEqual(['2', '1'])
  })

  test('a bad --csv-delimiter is a usage error', async () => {
    const run = await helpdesk(env, ['audit', '--export_csv', 'x.csv', '--csv-delimiter', 'tab'])
    expect(run.code).toBe(2)
  })

  test('reading the journal is itself journaled as a ПДн action on the cli channel', async () => {
    const run = await helpdesk(env, ['audit', '--limit', '1'])
    expect(run.code).toBe(0)
    await withFileDatabase(env, async (db) => {
      const reads = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', 'in', ['audit.read', 'audit.export'])
        .execute()
      expect(reads.length).toBeGreaterThan(0)
      for (const read of reads) expect(read).toMatchObject({ channel: 'cli', pdn_related: 1, actor_id: null })
    })
  })
})

describe('helpdesk audit verify', { timeout: CLI_TIMEOUT }, () => {
  test('passes on an intact journal and names the first changed row after tampering', async () => {
    const env = await freshEnv()
    expect((await helpdesk(env, ['migrate'])).code).toBe(0)
    await arrangeJournal(env)
    const intact = await helpdesk(env, ['audit', 'verify'])
    expect(intact.code).toBe(0)
    expect(intact.stdout).toMatch(/Журнал аудита цел: 4 записи/)

    const raw = new Database(databaseFile(env))
    raw.exec('drop trigger audit_log_no_update; drop trigger audit_log_no_delete')
    raw.prepare("update audit_log set description = 'Подменённое описание' where id = 2").run()
    raw.close()

    const broken = await helpdesk(env, ['audit', 'verify'])
    expect(broken.code).toBe(1)
    expect(lines(broken.stderr)).toHaveLength(1)
    expect(broken.stderr).toContain('запись № 2 изменена')
  })

  test('a row removed from the middle is named too', async () => {
    const env = await freshEnv()
    expect((await helpdesk(env, ['migrate'])).code).toBe(0)
    await arrangeJournal(env)
    const raw = new Database(databaseFile(env))
    raw.exec('drop trigger audit_log_no_delete')
    raw.prepare('delete from audit_log where id = 3').run()
    raw.close()
    const broken = await helpdesk(env, ['audit', 'verify'])
    expect(broken.code).toBe(1)
    expect(broken.stderr).toContain('запись № 3 отсутствует')
  })
})
