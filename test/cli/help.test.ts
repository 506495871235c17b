import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { normaliseArgv } from '#src/cli/main.ts'
import { CLI_TIMEOUT, freshEnv, helpdesk } from './helpers.ts'

describe('normaliseArgv', () => {
  test('turns the dashed spellings into the legacy ones, with or without =', () => {
    expect(normaliseArgv(['users', 'deactivate', '--chat-id', '5'])).toEqual(['users', 'deactivate', '--chat_id', '5'])
    expect(
      normaliseArgv(['audit', '--pdn-related', '--date-from=2023-01-01', '--date-to', 'x', '--export-csv', 'f']),
    ).toEqual(['audit', '--pdn_related', '--date_from=2023-01-01', '--date_to', 'x', '--export_csv', 'f'])
  })

  test('leaves other flags, values and everything after -- alone', () => {
    expect(normaliseArgv(['audit', '--csv-delimiter', ';', '--search', 'chat-id', '--', '--chat-id'])).toEqual([
      'audit',
      '--csv-delimiter',
      ';',
      '--search',
      'chat-id',
      '--',
      '--chat-id',
    ])
  })
})

describe.concurrent('helpdesk --help', { timeout: CLI_TIMEOUT }, () => {
  test('lists every command with examples', async () => {
    const run = await helpdesk(await freshEnv(), ['--help'])
    expect(run.code).toBe(0)
    for (const command of [
      'serve',
      'migrate',
      'users',
      'tokens',
      'audit',
      'demo',
      'backup',
      'restore',
      'settings',
      'pdn',
    ]) {
      expect(run.stdout).toContain(`  ${command}`)
    }
    expect(run.stdout).toContain('Примеры:')
    expect(run.stdout).toContain('helpdesk users deactivate --chat_id 456789012')
  })

  test('audit --help lists every flag, the legacy spelling and the dashed one', async () => {
    const run = await helpdesk(await freshEnv(), ['audit', '--help'])
    expect(run.code).toBe(0)
    for (const flag of [
      '--limit',
      '--pdn_related',
      '--search',
      '--date_from',
      '--date_to',
      '--actor',
      '--action',
      '--export_csv',
      '--csv-delimiter',
      '--json',
    ]) {
      expect(run.stdout).toContain(flag)
    }
    expect(run.stdout).toContain('--pdn-related')
    expect(run.stdout).toContain('helpdesk audit --date_from 2023-01-01 --date_to 2023-01-31')
  })

  test('each users subcommand has help with an example', async () => {
    const env = await freshEnv()
    const verbs = ['list', 'confirm', 'reject', 'deactivate', 'reactivate', 'role', 'create-admin']
    const runs = await Promise.all(verbs.map((verb) => helpdesk(env, ['users', verb, '--help'])))
    runs.forEach((run, i) => {
      expect(run.code).toBe(0)
      expect(run.stdout).toContain(`helpdesk users ${verbs[i]}`)
    })
    expect(runs[3]?.stdout).toContain('--chat_id')
  })

  test('settings and pdn subcommands have help with an example', async () => {
    const env = await freshEnv()
    const commands = [
      ['settings', 'list'],
      ['settings', 'get'],
      ['settings', 'set'],
      ['pdn', 'access-list'],
    ]
    const runs = await Promise.all(commands.map((command) => helpdesk(env, [...command, '--help'])))
    runs.forEach((run, i) => {
      expect(run.code).toBe(0)
      expect(run.stdout).toContain(`helpdesk ${commands[i]?.join(' ')}`)
    })
    expect(runs[3]?.stdout).toContain('--export_csv')
  })

  test("commander's own words are Russian too: titles, usage, -V/--version, help [команда]", async () => {
    const env = await freshEnv()
    const [top, settings, helpUsers, version, shortVersion] = await Promise.all([
      helpdesk(env, ['--help']),
      helpdesk(env, ['settings', 'set', '--help']),
      helpdesk(env, ['help', 'users']),
      helpdesk(env, ['--version']),
      helpdesk(env, ['-V']),
    ])
    expect(top.stdout).toMatch(/^Использование: helpdesk \[параметры\] \[команда\]\n/)
    expect(top.stdout).toContain('\nПараметры:\n')
    expect(top.stdout).toContain('\nКоманды:\n')
    expect(top.stdout).toMatch(/ -V, --version +показать версию\n/)
    expect(top.stdout).toMatch(/ -h, --help +показать справку\n/)
    expect(top.stdout).toMatch(/ help \[команда\] +показать справку по команде\n/)
    expect(settings.stdout).toMatch(/^Использование: helpdesk settings set \[параметры\] <ключ> <значение>\n/)
    expect(settings.stdout).toContain('\nАргументы:\n')
    expect(helpUsers).toMatchObject({ code: 0, stderr: '' })
    expect(helpUsers.stdout).toMatch(/^Использование: helpdesk users \[параметры\] \[команда\]\n/)
    for (const run of [top, settings, helpUsers]) {
      expect(run.stdout).not.toMatch(/Usage:|Options:|Commands:|Arguments:|\[options\]|\[command\]|display help/)
    }
    const { version: expected } = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8'))
    expect(version).toEqual({ code: 0, stdout: `${expected}\n`, stderr: '' })
    expect(shortVersion).toEqual(version)
  })

  test("commander's errors are one Russian line each, exit 2", async () => {
    const env = await freshEnv()
    const runs = await Promise.all([
      helpdesk(env, ['settings', 'set']),
      helpdesk(env, ['settings', 'get', 'a', 'b', 'c']),
      helpdesk(env, ['users', 'confirm', '--id']),
      helpdesk(env, ['restore']),
      helpdesk(env, ['userz', 'list']),
    ])
    expect(runs.map((run) => run.stderr)).toEqual([
      'Ошибка: не указан аргумент ключ\n',
      'Ошибка: лишние аргументы у команды get: ожидается 1, указано 3\n',
      'Ошибка: у флага --id <id> нет значения\n',
      'Ошибка: не указан аргумент файл\n',
      'Ошибка: неизвестная команда userz (может быть, users?)\n',
    ])
    for (const run of runs) expect(run).toMatchObject({ code: 2, stdout: '' })
  })

  test('an unknown flag or command is one Russian line and exit 2', async () => {
    const env = await freshEnv()
    const [flag, command, bare] = await Promise.all([
      helpdesk(env, ['audit', '--limt', '5']),
      helpdesk(env, ['userz']),
      helpdesk(env, []),
    ])
    expect(flag).toMatchObject({ code: 2, stderr: 'Ошибка: неизвестный флаг --limt (может быть, --limit?)\n' })
    expect(command.code).toBe(2)
    expect(command.stderr).toMatch(/^Ошибка: неизвестная команда userz/)
    expect(bare.code).toBe(2)
  })
})
