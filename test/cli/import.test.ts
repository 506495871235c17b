import { writeFileSync } from 'node:fs'
import { hostname, userInfo } from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { consoleOperatorOf } from '#src/audit/journal.ts'
import { CLI_TIMEOUT, freshEnv, helpdesk, lines, withFileDatabase } from './helpers.ts'

describe('helpdesk import', { timeout: CLI_TIMEOUT }, () => {
  test('departments then staff: a dry run changes nothing, the real run imports, a re-run changes nothing', async () => {
    const env = await freshEnv()
    const departments = path.join(env.dataDir, 'otdeleniya.csv')
    writeFileSync(departments, '\uFEFFНазвание;Порядок\r\nХирургия;10\r\n"Приёмное; отделение";20\r\n')
    const staff = path.join(env.dataDir, 'sotrudniki.csv')
    writeFileSync(
      staff,
      'ФИО,Отделение,Телефон,Табельный номер,Telegram id\nИванова Мария Петровна,Хирургия,8 900 123-45-67,000123,\nПетров Пётр,"Приёмное; отделение",,000124,700100200\n',
    )

    expect((await helpdesk(env, ['import', 'departments', departments])).code).toBe(0)
    const dry = await helpdesk(env, ['import', 'users', staff, '--dry-run'])
    expect(dry.code).toBe(0)
    expect(lines(dry.stdout)).toEqual([
      'строка 2: создать — Иванова Мария Петровна (таб. № 000123)',
      'строка 3: создать — Петров Пётр (таб. № 000124)',
    ])
    expect(dry.stderr).toContain('ничего не изменено: создать 2, изменить 0, без изменений 0, ошибочных строк 0')
    expect(await withFileDatabase(env, (db) => db.selectFrom('users').select('id').execute())).toEqual([])

    const real = await helpdesk(env, ['import', 'users', staff])
    expect(real.code).toBe(0)
    expect(real.stdout).toContain('Импорт пользователей выполнен: создано 2, изменено 0, без изменений 0')
    const again = await helpdesk(env, ['import', 'users', staff])
    expect(again.stdout).toContain('создано 0, изменено 0, без изменений 2')
    await withFileDatabase(env, async (db) => {
      const people = await db
        .selectFrom('users')
        .select(['full_name', 'status', 'role', 'phone'])
        .orderBy('id')
        .execute()
      expect(people).toEqual([
        { full_name: 'Иванова Мария Петровна', status: 'active', role: 'requester', phone: '+79001234567' },
        { full_name: 'Петров Пётр', status: 'active', role: 'requester', phone: null },
      ])
      const created = await db.selectFrom('audit_log').select('details').where('action', '=', 'user.create').execute()
      // Each row names the OS account and host that ran the command (channel cli).
      const operator = `${userInfo().username}@${hostname()}`
      expect(created.map((row) => consoleOperatorOf(row.details))).toEqual([operator, operator])
    })
  })

  test('exit codes: bad rows 1 (nothing changed, each named by line), wrong columns or a missing file 2', async () => {
    const env = await freshEnv()
    const bad = path.join(env.dataDir, 'bad.csv')
    writeFileSync(bad, 'ФИО;Табельный номер\nИванова;1\nПетров;1\n')
    const refused = await helpdesk(env, ['import', 'users', bad])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('строка 3: ошибка — табельный номер 1 уже был в строке 2')
    expect(refused.stderr).toContain('Импорт отменён')
    expect(await withFileDatabase(env, (db) => db.selectFrom('users').select('id').execute())).toEqual([])

    const wrong = path.join(env.dataDir, 'wrong.csv')
    writeFileSync(wrong, 'ФИО;Паспорт\nИванова;1234\n')
    const columns = await helpdesk(env, ['import', 'users', wrong])
    expect(columns.code).toBe(2)
    expect(columns.stderr).toContain('Неизвестный столбец «Паспорт» (столбец B)')
    expect((await helpdesk(env, ['import', 'users', path.join(env.dataDir, 'none.csv')])).code).toBe(2)
    expect((await helpdesk(env, ['import', 'rooms', wrong])).code).toBe(2)
  })
})
