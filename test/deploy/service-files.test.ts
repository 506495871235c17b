import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'
import { CLI_TIMEOUT, freshEnv, helpdesk } from '../cli/helpers.ts'

/**
 * The service files we ship for a Debian server (README «Установка на сервер больницы»): the systemd unit as
 * systemd 252 (Debian 12) reads it, hardened; and the settings file template, whose every setting the app
 * knows and whose uncommented values start the helpdesk as the README's steps do.
 */
const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const unit = path.join(root, 'deploy/helpdesk.service')

test('systemd-analyze verify accepts the unit without a single warning', async () => {
  const { stdout, stderr } = await run('systemd-analyze', ['verify', unit])
  expect(`${stdout}${stderr}`.trim()).toBe('')
})

test('the unit is hardened: systemd rates its exposure 2.0 or better («OK»)', async () => {
  // --threshold makes the command fail above it; the figure itself is printed in the last line.
  const { stdout } = await run('systemd-analyze', ['security', '--offline=true', '--threshold=20', unit])
  const level = /Overall exposure level for helpdesk\.service: ([\d.]+)/.exec(stdout)?.[1]
  expect(Number(level)).toBeLessThanOrEqual(2)
  const text = readFileSync(unit, 'utf8')
  for (const line of ['ProtectSystem=strict', 'NoNewPrivileges=true', 'PrivateTmp=true', 'User=helpdesk']) {
    expect(text).toContain(line)
  }
})

/** KEY=value lines of the template, commented (examples) or not. */
function templateSettings(): Array<{ key: string; value: string; active: boolean }> {
  const text = readFileSync(path.join(root, 'deploy/helpdesk.env'), 'utf8')
  return [...text.matchAll(/^(#?)([A-Z][A-Z0-9_]+)=(.*)$/gm)].map(([, hash, key, value]) => ({
    key: key ?? '',
    value: value ?? '',
    active: hash === '',
  }))
}

test('every setting in the env template is in the README configuration table', () => {
  const rows = readFileSync(path.join(root, 'README.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| `'))
  const settings = templateSettings()
  expect(settings.length).toBeGreaterThan(10)
  const documented = (key: string) => key === 'NODE_ENV' || rows.some((row) => row.includes(`\`${key}\``))
  const missing = settings.filter((s) => !documented(s.key))
  expect(missing.map((s) => s.key)).toEqual([])
})

test('the template starts the helpdesk: its settings (paths moved to a test folder) migrate and anchor the journal', {
  timeout: CLI_TIMEOUT,
}, async () => {
  const env = await freshEnv()
  const etc = path.join(env.dataDir, 'etc')
  const log = path.join(env.dataDir, 'log')
  mkdirSync(etc, { mode: 0o750 })
  mkdirSync(log, { mode: 0o700 })
  // As the README's steps make them: the keys outside the data folder.
  for (const name of ['audit.key', 'secret.key']) {
    writeFileSync(path.join(etc, name), `${'ab'.repeat(32)}\n`, { mode: 0o440 })
  }
  const moved: Record<string, string> = {
    '/var/lib/helpdesk': path.join(env.dataDir, 'lib'),
    '/var/log/helpdesk': log,
    '/etc/helpdesk': etc,
    '/var/backups/helpdesk': path.join(env.dataDir, 'backups'),
  }
  const settings: Record<string, string> = {}
  for (const { key, value, active } of templateSettings()) {
    if (!active) continue
    let local = value.replace(/^"(.*)"$/, '$1')
    for (const [from, to] of Object.entries(moved)) local = local.replace(from, to)
    settings[key] = local
  }
  expect(settings).toMatchObject({ NODE_ENV: 'production', HOST: '127.0.0.1', TRUST_PROXY: 'loopback' })
  const migrated = await helpdesk(env, ['migrate'], { env: settings })
  expect(migrated.code, migrated.stderr).toBe(0)
  const anchored = await helpdesk(env, ['audit', 'checkpoint'], { env: settings })
  expect(anchored.code, anchored.stderr).toBe(0)
  const checkpoints = path.join(log, 'audit-checkpoints.log')
  expect(anchored.stderr).toContain(checkpoints)
  expect(statSync(checkpoints).mode & 0o777).toBe(0o600)
  expect(statSync(path.join(env.dataDir, 'lib')).mode & 0o777).toBe(0o700)
})
