import { hostname, userInfo } from 'node:os'
import { beforeAll, describe, expect, test } from 'vitest'
import { settingDefaults } from '#src/settings/settings.ts'
import { buildUser } from '../support/factories.ts'
import { CLI_TIMEOUT, type CliEnv, freshEnv, helpdesk, lines, withFileDatabase } from './helpers.ts'

/** The journal's rows of one action, oldest first. */
async function journalRows(env: CliEnv, action: string) {
  return withFileDatabase(env, (db) =>
    db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute(),
  )
}

const operator = { user: userInfo().username, host: hostname() }

describe('helpdesk settings', { timeout: CLI_TIMEOUT }, () => {
  let env: CliEnv

  beforeAll(async () => {
    env = await freshEnv()
    expect((await helpdesk(env, ['migrate'])).code).toBe(0)
  })

  test('list shows every setting with its default, get prints one as JSON', async () => {
    const list = await helpdesk(env, ['settings', 'list'])
    expect(list.code).toBe(0)
    for (const key of Object.keys(settingDefaults)) expect(list.stdout).toContain(key)
    expect(list.stdout).toContain('ПДн не передаются в мессенджер')
    for (const line of lines(list.stdout)) expect(line.length).toBeLessThanOrEqual(100)

    const json = await helpdesk(env, ['settings', 'list', '--json'])
    expect(JSON.parse(json.stdout)).toEqual(settingDefaults)

    const get = await helpdesk(env, ['settings', 'get', 'tickets.deadlines'])
    expect(get.code).toBe(0)
    expect(JSON.parse(get.stdout)).toEqual(settingDefaults['tickets.deadlines'])
  })

  test('set changes a value and journals old and new with the OS user and host on the cli channel', async () => {
    const run = await helpdesk(env, ['settings', 'set', 'tickets.auto_close_days', '7'])
    expect(run).toMatchObject({ code: 0, stdout: '' })
    expect(run.stderr).toContain('Настройка tickets.auto_close_days изменена')
    const switched = await helpdesk(env, ['settings', 'set', 'privacy.no_pdn_in_telegram', 'true'])
    expect(switched.code).toBe(0)
    expect(JSON.parse((await helpdesk(env, ['settings', 'get', 'tickets.auto_close_days'])).stdout)).toBe(7)

    const rows = await journalRows(env, 'settings.change')
    const autoClose = rows.find((r) => r.object_id === 'tickets.auto_close_days')
    expect(autoClose).toMatchObject({ channel: 'cli', actor_id: null, result: 'success' })
    expect(JSON.parse(autoClose?.details ?? '{}')).toEqual({ old: 3, new: 7, cli: operator })
    const privacy = rows.find((r) => r.object_id === 'privacy.no_pdn_in_telegram')
    expect(JSON.parse(privacy?.details ?? '{}')).toMatchObject({ old: false, new: true })

    // The same value again changes and journals nothing.
    const again = await helpdesk(env, ['settings', 'set', 'tickets.auto_close_days', '7'])
    expect(again.stderr).toContain('уже такая')
    expect(await journalRows(env, 'settings.change')).toHaveLength(rows.length)

    // The console's journal names the operator instead of «система».
    const journal = await helpdesk(env, ['audit', '--action', 'settings.change'])
    expect(journal.stdout).toContain(`${operator.user}@`)
  })

  test('an invalid value, JSON or key is one Russian line and exit 2, and nothing changes', async () => {
    const before = await withFileDatabase(env, (db) => db.selectFrom('settings').selectAll().execute())
    const tooMany = await helpdesk(env, ['settings', 'set', 'tickets.auto_close_days', '91'])
    expect(tooMany).toMatchObject({ code: 2, stdout: '' })
    expect(tooMany.stderr).toBe('Ошибка: tickets.auto_close_days: Не больше 90. Ничего не изменено\n')
    const notJson = await helpdesk(env, ['settings', 'set', 'tickets.auto_close_days', 'пять'])
    expect(notJson.code).toBe(2)
    expect(notJson.stderr).toMatch(/^Ошибка: значение «пять» — не JSON/)
    const badInn = await helpdesk(env, [
      'settings',
      'set',
      'org.requisites',
      JSON.stringify({ ...settingDefaults['org.requisites'], inn: '12' }),
    ])
    expect(badInn.code).toBe(2)
    expect(badInn.stderr).toContain('inn: ИНН — 10 цифр')
    const unknown = await helpdesk(env, ['settings', 'set', 'tickets.nothing', '1'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^Ошибка: неизвестная настройка «tickets\.nothing»/)
    expect(lines(unknown.stderr)).toHaveLength(1)
    const after = await withFileDatabase(env, (db) => db.selectFrom('settings').selectAll().execute())
    expect(after).toEqual(before)
  })

  test('the commission is journaled without names, and reading it is a journaled read of ПДн', async () => {
    const commission = [{ name: 'Членова Ирина Павловна', position: 'Заместитель главного врача' }]
    const run = await helpdesk(env, ['settings', 'set', 'pdn.commission', JSON.stringify(commission)])
    expect(run.code).toBe(0)
    const [row] = (await journalRows(env, 'settings.change')).filter((r) => r.object_id === 'pdn.commission')
    expect(row?.details).not.toContain('Членова')
    expect(JSON.parse(row?.details ?? '{}')).toMatchObject({
      old: [],
      new: [{ name: expect.stringMatching(/^hmac:[0-9a-f]{16}$/), position: 'Заместитель главного врача' }],
    })
    const get = await helpdesk(env, ['settings', 'get', 'pdn.commission'])
    expect(JSON.parse(get.stdout)).toEqual(commission)
    const read = (await journalRows(env, 'settings.view')).at(-1)
    expect(read).toMatchObject({ pdn_related: 1, channel: 'cli' })
    expect(JSON.parse(read?.details ?? '{}')).toMatchObject({ keys: ['pdn.commission'], cli: operator })
  })

  test('users confirm, a command of another area, is journaled with the OS user and host too', async () => {
    const pending = await withFileDatabase(env, (db) => buildUser(db, { status: 'pending' }))
    expect((await helpdesk(env, ['users', 'confirm', '--id', String(pending.id)])).code).toBe(0)
    const [row] = await journalRows(env, 'user.confirm')
    expect(row).toMatchObject({ channel: 'cli', actor_id: null, subject_id: pending.id })
    expect(JSON.parse(row?.details ?? '{}')).toMatchObject({ from: 'pending', to: 'active', cli: operator })
  })

  test('the journal stays a valid chain', async () => {
    const verify = await helpdesk(env, ['audit', 'verify'])
    expect(verify.code).toBe(0)
  })
})
