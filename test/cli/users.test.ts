import { hostname, userInfo } from 'node:os'
import { beforeAll, describe, expect, test } from 'vitest'
import { LoginThrottle } from '#src/users/login-throttle.ts'
import { buildDepartment, buildUser } from '../support/factories.ts'
import { CLI_TIMEOUT, type CliEnv, freshEnv, helpdesk, lines, withFileDatabase } from './helpers.ts'

describe('helpdesk migrate, users and tokens', { timeout: CLI_TIMEOUT }, () => {
  let env: CliEnv
  let pendingId: number
  let pendingChatId: string
  let otherChatId: string
  let requesterId: number

  beforeAll(async () => {
    env = await freshEnv()
    const migrated = await helpdesk(env, ['migrate'])
    expect(migrated).toMatchObject({ code: 0, stderr: '' })
    expect(migrated.stdout).toContain('База данных обновлена')
    await withFileDatabase(env, async (db) => {
      const department = await buildDepartment(db, 'Приёмное отделение')
      const pending = await buildUser(db, {
        status: 'pending',
        fullName: 'Ожидающая Анна Петровна',
        departmentId: department.id,
        telegramChatId: '456789012',
      })
      const other = await buildUser(db, { fullName: 'Второй Борис Ильич', telegramChatId: '456789013' })
      const requester = await buildUser(db, { fullName: 'Заявитель Вера Олеговна' })
      pendingId = pending.id
      pendingChatId = pending.telegram_chat_id ?? ''
      otherChatId = other.telegram_chat_id ?? ''
      requesterId = requester.id
    })
  })

  test('create-admin reads the password from stdin and the admin can get an API token', async () => {
    const created = await helpdesk(
      env,
      ['users', 'create-admin', '--login', 'admin', '--password-stdin', '--full-name', 'Главный Админ'],
      {
        input: 'коррект-лошадь-батарейка\n',
      },
    )
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/Администратор создан: admin/)

    const token = await helpdesk(env, ['tokens', 'create', '--login', 'admin', '--name', 'Zabbix'])
    expect(token.code).toBe(0)
    expect(lines(token.stdout)).toHaveLength(1)
    expect(token.stdout.trim()).toMatch(/^hd_[A-Za-z0-9_-]{40,}$/)
    await withFileDatabase(env, async (db) => {
      const rows = await db.selectFrom('api_tokens').select('name').execute()
      expect(rows.map((r) => r.name)).toContain('Zabbix')
    })
  })

  test('users list shows everyone, --pending only those waiting, --json the rows without secrets', async () => {
    const all = await helpdesk(env, ['users', 'list'])
    expect(all.code).toBe(0)
    expect(all.stdout).toContain('Ожидающая Анна Петровна')
    expect(all.stdout).toContain('Заявитель Вера Олеговна')
    expect(all.stdout).toContain('Приёмное отделение')
    for (const line of lines(all.stdout)) expect(line.length).toBeLessThanOrEqual(100)
    expect(all.stdout).not.toContain('\u001b[')

    const pending = await helpdesk(env, ['users', 'list', '--pending'])
    expect(pending.code).toBe(0)
    expect(pending.stdout).toContain('Ожидающая Анна Петровна')
    expect(pending.stdout).not.toContain('Заявитель Вера Олеговна')

    const json = await helpdesk(env, ['users', 'list', '--json', '--search', 'вера'])
    expect(json.code).toBe(0)
    const rows: unknown = JSON.parse(json.stdout)
    expect(rows).toEqual([expect.objectContaining({ id: requesterId, full_name: 'Заявитель Вера Олеговна' })])
    expect(json.stdout).not.toContain('password_hash')
  })

  test('confirm activates a pending user and journals it on the cli channel', async () => {
    const run = await helpdesk(env, ['users', 'confirm', '--id', String(pendingId)])
    expect(run.code).toBe(0)
    await withFileDatabase(env, async (db) => {
      const user = await db.selectFrom('users').select('status').where('id', '=', pendingId).executeTakeFirstOrThrow()
      expect(user.status).toBe('active')
      const entry = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('subject_id', '=', pendingId)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow()
      expect(entry).toMatchObject({ channel: 'cli', actor_id: null, result: 'success' })
    })
  })

  test('deactivate by --chat_id and reactivate by --chat-id (both spellings)', async () => {
    const off = await helpdesk(env, ['users', 'deactivate', '--chat_id', pendingChatId])
    expect(off.code).toBe(0)
    expect(off.stdout).toContain(`Пользователь ${pendingId} деактивирован`)
    const on = await helpdesk(env, ['users', 'reactivate', '--chat-id', pendingChatId])
    expect(on.code).toBe(0)
    const dashed = await helpdesk(env, ['users', 'deactivate', `--chat-id=${otherChatId}`])
    expect(dashed.code).toBe(0)
    await withFileDatabase(env, async (db) => {
      const rows = await db.selectFrom('users').select(['telegram_chat_id', 'status']).execute()
      const status = new Map(rows.map((r) => [r.telegram_chat_id, r.status]))
      expect(status.get(pendingChatId)).toBe('active')
      expect(status.get(otherChatId)).toBe('deactivated')
    })
  })

  test('unlock forgets a person’s throttled password attempts from every address and journals it', async () => {
    const throttle = new LoginThrottle()
    const { userId, before } = await withFileDatabase(env, async (db) => {
      const user = await buildUser(db, { login: 'zabyvchivaya', fullName: 'Забывчивая Ольга Ивановна' })
      // Six counted attempts from two addresses: both wait now.
      for (const ip of ['10.0.0.7', '10.0.0.8']) {
        for (let i = 0; i < 6; i++) await throttle.reserve(db, throttle.loginKeys(ip, 'Zabyvchivaya'))
      }
      const blocked = await throttle.isBlocked(db, throttle.loginKeys('10.0.0.7', 'zabyvchivaya'))
      return { userId: user.id, before: blocked }
    })
    expect(before).toBe(true)
    const run = await helpdesk(env, ['users', 'unlock', '--id', String(userId)])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toContain(`Пользователь ${userId}: ограничение входа снято`)
    const again = await helpdesk(env, ['users', 'unlock', '--id', String(userId)])
    expect(again.stdout).toContain('ограничений входа не было')
    await withFileDatabase(env, async (db) => {
      for (const ip of ['10.0.0.7', '10.0.0.8']) {
        expect(await throttle.isBlocked(db, throttle.loginKeys(ip, 'zabyvchivaya'))).toBe(false)
      }
      const entries = await db
        .selectFrom('audit_log')
        .select(['action', 'channel', 'subject_id', 'details'])
        .where('action', '=', 'user.unlock')
        .orderBy('id')
        .execute()
      expect(entries).toMatchObject([
        { channel: 'cli', subject_id: userId },
        { channel: 'cli', subject_id: userId },
      ])
      // Each row names the OS account and host that ran the command (channel cli).
      expect(entries.map((e) => JSON.parse(e.details ?? '{}'))).toEqual([
        { cleared: 2, cli: { user: userInfo().username, host: hostname() } },
        { cleared: 0, cli: { user: userInfo().username, host: hostname() } },
      ])
    })
    const unknown = await helpdesk(env, ['users', 'unlock', '--id', '99999'])
    expect(unknown).toMatchObject({ code: 1, stderr: 'Ошибка: Пользователь 99999 не найден\n' })
  })

  test('role changes the role; a bad role is exit 2 listing the valid ones', async () => {
    const run = await helpdesk(env, ['users', 'role', '--id', String(requesterId), '--role', 'executor'])
    expect(run.code).toBe(0)
    await withFileDatabase(env, async (db) => {
      const user = await db.selectFrom('users').select('role').where('id', '=', requesterId).executeTakeFirstOrThrow()
      expect(user.role).toBe('executor')
    })
    const bad = await helpdesk(env, ['users', 'role', '--id', String(requesterId), '--role', 'superuser'])
    // Refused before the database is touched, so the id need not even exist.
    expect(bad.code).toBe(2)
    expect(lines(bad.stderr)).toHaveLength(1)
    expect(bad.stderr).toMatch(/^Ошибка: неизвестная роль «superuser».*admin \(администратор\)/)
  })

  test('a refused domain action is one line without a stack trace', async () => {
    // Confirming an active user again is refused by the use case.
    const run = await helpdesk(env, ['users', 'confirm', '--id', String(pendingId)])
    expect(run.code).toBe(1)
    expect(lines(run.stderr)).toHaveLength(1)
    expect(run.stderr).toMatch(/^Ошибка: /)
    expect(run.stderr).not.toMatch(/\bat \S+ \(/)
  })

  test('reject with a reason', async () => {
    const id = await withFileDatabase(env, async (db) => (await buildUser(db, { status: 'pending' })).id)
    const run = await helpdesk(env, ['users', 'reject', '--id', String(id), '--reason', 'Не сотрудник больницы'])
    expect(run.code).toBe(0)
    await withFileDatabase(env, async (db) => {
      const user = await db
        .selectFrom('users')
        .select(['status', 'rejection_reason'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
      expect(user).toEqual({ status: 'rejected', rejection_reason: 'Не сотрудник больницы' })
    })
  })

  test('users create prints a set-password link (department by name), reset-password a new one; both journaled', async () => {
    const created = await helpdesk(env, [
      'users',
      'create',
      '--login',
      'a.smirnova',
      '--full-name',
      'Смирнова Анна Петровна',
      '--role',
      'executor',
      '--department',
      'Приёмное отделение',
    ])
    expect(created).toMatchObject({ code: 0, stderr: '' })
    const link = /(https?:\/\/\S+\/password\/set\/([A-Za-z0-9_-]{43}))$/m.exec(created.stdout)
    expect(created.stdout).toMatch(/Пользователь создан: a\.smirnova/)
    expect(link).not.toBeNull()

    const id = /№ (\d+)/.exec(created.stdout)?.[1] ?? ''
    const reset = await helpdesk(env, ['users', 'reset-password', '--id', id])
    expect(reset).toMatchObject({ code: 0, stderr: '' })
    const second = /\/password\/set\/([A-Za-z0-9_-]{43})$/m.exec(reset.stdout)?.[1]
    expect(second).toBeDefined()
    expect(second).not.toBe(link?.[2])

    await withFileDatabase(env, async (db) => {
      const user = await db.selectFrom('users').selectAll().where('login', '=', 'a.smirnova').executeTakeFirstOrThrow()
      expect(user).toMatchObject({ role: 'executor', status: 'active', password_hash: null })
      expect(user.department_id).not.toBeNull()
      const links = await db.selectFrom('password_links').select('user_id').execute()
      expect(links).toEqual([{ user_id: user.id }])
      const actions = await db.selectFrom('audit_log').select('action').where('subject_id', '=', user.id).execute()
      expect(actions.map((a) => a.action)).toEqual([
        'user.create',
        'user.password_link.create',
        'user.password_link.create',
        'user.password_reset',
      ])
    })

    const taken = await helpdesk(env, [
      'users',
      'create',
      '--login',
      'A.Smirnova',
      '--full-name',
      'Другая',
      '--role',
      'requester',
    ])
    expect(taken.code).not.toBe(0)
    expect(taken.stderr).toContain('Такой логин уже занят')
    const noDepartment = await helpdesk(env, [
      'users',
      'create',
      '--login',
      'b.petrov',
      '--full-name',
      'Петров',
      '--role',
      'requester',
      '--department',
      'Нет такого',
    ])
    expect(noDepartment).toMatchObject({ code: 1, stderr: 'Ошибка: Отделение «Нет такого» не найдено\n' })
  })

  test('tokens list shows tokens without the secret (all, or one login); tokens revoke revokes and is journaled', async () => {
    const issued = await helpdesk(env, ['tokens', 'create', '--login', 'admin', '--name', 'Для отзыва'])
    expect(issued.code).toBe(0)
    const secret = issued.stdout.trim()

    const all = await helpdesk(env, ['tokens', 'list'])
    expect(all).toMatchObject({ code: 0, stderr: '' })
    expect(all.stdout).toContain('Zabbix')
    expect(all.stdout).toContain('Для отзыва')
    expect(all.stdout).not.toContain(secret)
    const id = /^\s*(\d+)\s+admin\s+Для отзыва/m.exec(all.stdout)?.[1] ?? ''
    expect(id).not.toBe('')

    const revoked = await helpdesk(env, ['tokens', 'revoke', '--id', id])
    expect(revoked).toEqual({ code: 0, stdout: `Токен ${id} отозван\n`, stderr: '' })
    const mine = await helpdesk(env, ['tokens', 'list', '--login', 'ADMIN'])
    expect(mine.stdout).toMatch(
      new RegExp(`^\\s*${id}\\s+admin\\s+Для отзыва.*\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s*$`, 'm'),
    )
    await withFileDatabase(env, async (db) => {
      const row = await db
        .selectFrom('api_tokens')
        .select('revoked_at')
        .where('id', '=', Number(id))
        .executeTakeFirstOrThrow()
      expect(row.revoked_at).not.toBeNull()
      expect(await db.selectFrom('audit_log').select('id').where('action', '=', 'token.revoke').execute()).toHaveLength(
        1,
      )
    })

    const unknown = await helpdesk(env, ['tokens', 'list', '--login', 'nobody'])
    expect(unknown.code).toBe(1)
    const missing = await helpdesk(env, ['tokens', 'revoke', '--id', '99999'])
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Ошибка: Токен не найден\n' })
  })
})

describe.concurrent('helpdesk users: refusals change nothing and say why in one line', { timeout: CLI_TIMEOUT }, () => {
  let env: CliEnv

  beforeAll(async () => {
    env = await freshEnv()
    expect((await helpdesk(env, ['migrate'])).code).toBe(0)
  })

  test('create-admin refuses a weak password with one line and exit 2', async () => {
    const run = await helpdesk(env, ['users', 'create-admin', '--login', 'admin2', '--password-stdin'], {
      input: '123\n',
    })
    expect(run.code).toBe(2)
    expect(lines(run.stderr)).toHaveLength(1)
    expect(run.stderr).toMatch(/^Ошибка: Пароль должен содержать не менее 8 символов/)
  })

  test('create-admin without a terminal and without --password-stdin asks for --password-stdin', async () => {
    const run = await helpdesk(env, ['users', 'create-admin', '--login', 'admin3'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--password-stdin')
  })

  test('tokens create for an unknown login fails with exit 1', async () => {
    const run = await helpdesk(env, ['tokens', 'create', '--login', 'nobody'])
    expect(run).toMatchObject({ code: 1, stdout: '' })
    expect(run.stderr).toBe('Ошибка: Пользователь с логином «nobody» не найден\n')
  })

  test('users list --role validates the role', async () => {
    const run = await helpdesk(env, ['users', 'list', '--role', 'boss'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(
      'requester (заявитель), executor (исполнитель), curator (куратор), admin (администратор)',
    )
  })

  test('deactivate needs exactly one of --id and --chat_id', async () => {
    const none = await helpdesk(env, ['users', 'deactivate'])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('--id или --chat_id')
    const both = await helpdesk(env, ['users', 'deactivate', '--id', '1', '--chat_id', '2'])
    expect(both.code).toBe(2)
  })

  test('an unknown id is one line «Пользователь 123 не найден» and exit 1', async () => {
    const runs = await Promise.all(
      [
        ['users', 'confirm', '--id', '123'],
        ['users', 'role', '--id', '123', '--role', 'admin'],
        ['users', 'deactivate', '--id', '123'],
      ].map((args) => helpdesk(env, args)),
    )
    for (const run of runs) expect(run).toEqual({ code: 1, stdout: '', stderr: 'Ошибка: Пользователь 123 не найден\n' })
  })

  test('reset-password of an LDAP account is refused in one line, exit 1, and issues no link', async () => {
    const id = await withFileDatabase(env, async (db) => {
      const user = await buildUser(db, { login: 'ldap.person' })
      await db.updateTable('users').set({ auth_source: 'ldap' }).where('id', '=', user.id).execute()
      return user.id
    })
    const run = await helpdesk(env, ['users', 'reset-password', '--id', String(id)])
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Ошибка: Пароль этой учётной записи задаётся в Active Directory\n',
    })
    await withFileDatabase(env, async (db) => {
      expect(await db.selectFrom('password_links').select('user_id').where('user_id', '=', id).execute()).toEqual([])
    })
  })

  test('a malformed id is a usage error', async () => {
    const run = await helpdesk(env, ['users', 'confirm', '--id', 'abc'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--id')
  })
})
