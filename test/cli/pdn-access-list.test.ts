import { readFileSync } from 'node:fs'
import { hostname, userInfo } from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { buildUser } from '../support/factories.ts'
import { CLI_TIMEOUT, type CliEnv, freshEnv, helpdesk, lines, withFileDatabase } from './helpers.ts'

describe('helpdesk pdn access-list', { timeout: CLI_TIMEOUT }, () => {
  let env: CliEnv
  let executorId: number

  beforeAll(async () => {
    env = await freshEnv()
    expect((await helpdesk(env, ['migrate'])).code).toBe(0)
    const admin = await helpdesk(
      env,
      ['users', 'create-admin', '--login', 'admin', '--password-stdin', '--full-name', 'Главная Админ Ивановна'],
      { input: 'перечень-лошадь-батарейка\n' },
    )
    expect(admin.code).toBe(0)
    const pending = await withFileDatabase(env, (db) =>
      buildUser(db, { status: 'pending', fullName: 'Доступов Дмитрий Ильич' }),
    )
    await withFileDatabase(env, (db) => buildUser(db, { fullName: 'Заявитель Без Доступа' }))
    executorId = pending.id
    expect((await helpdesk(env, ['users', 'role', '--id', String(pending.id), '--role', 'executor'])).code).toBe(0)
    expect((await helpdesk(env, ['users', 'confirm', '--id', String(pending.id)])).code).toBe(0)
  })

  test('lists staff with their role and who gave the access (the console operator), journaled as a ПДн read', async () => {
    const run = await helpdesk(env, ['pdn', 'access-list'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Главная Админ Ивановна')
    expect(run.stdout).toContain('Доступов Дмитрий Ильич')
    expect(run.stdout).not.toContain('Заявитель Без Доступа')
    expect(run.stdout).toContain(`консоль сервера (${userInfo().username}@`)
    for (const line of lines(run.stdout)) expect(line.length).toBeLessThanOrEqual(100)
    expect(run.stderr).toContain('Всего лиц: 2')

    const json = await helpdesk(env, ['pdn', 'access-list', '--json'])
    const list = JSON.parse(json.stdout) as { rows: Array<{ userId: number; basis: string; reach: string }> }
    expect(list.rows.find((r) => r.userId === executorId)).toMatchObject({
      basis: 'подтверждена регистрация',
      reach: expect.stringMatching(/^Заявки всех пользователей/),
    })

    const rows = await withFileDatabase(env, (db) =>
      db.selectFrom('audit_log').selectAll().where('action', '=', 'pdn.access_list').orderBy('id').execute(),
    )
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({ channel: 'cli', actor_id: null, pdn_related: 1, result: 'success' })
    expect(JSON.parse(rows[0]?.details ?? '{}')).toEqual({
      format: 'view',
      count: 2,
      cli: { user: userInfo().username, host: hostname() },
    })
  })

  test('--export_csv (and --export-csv) writes the list as CSV for Excel', async () => {
    const file = path.join(env.dataDir, 'access-list.csv')
    const run = await helpdesk(env, ['pdn', 'access-list', '--export-csv', file])
    expect(run).toMatchObject({ code: 0, stdout: '' })
    expect(run.stderr).toContain('Выгружено лиц: 2')
    const csv = readFileSync(file, 'utf8')
    expect(csv.startsWith('\uFEFF№ п/п;ФИО;Должность;Роль в системе;')).toBe(true)
    expect(csv).toContain('Доступов Дмитрий Ильич')
    expect(csv).toContain('Исполнитель')
    expect(csv.trim().split('\r\n')).toHaveLength(3)
  })
})
