import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { tempDirs } from '../test/support/temp-dirs.ts'
import { ConfigError, loadConfig, parseDatabaseUrl } from './config.ts'

const tempDir = tempDirs('helpdesk-config-')

describe('configuration', () => {
  test('a bare environment gives a working SQLite setup in DATA_DIR with generated secrets', () => {
    const dir = tempDir()
    const config = loadConfig({ DATA_DIR: dir })
    expect(config.database).toEqual({ kind: 'sqlite', file: path.join(dir, 'helpdesk.sqlite') })
    expect(config.port).toBe(3000)
    expect(config.baseUrl).toBe('http://127.0.0.1:3000')
    expect(config.telegram).toEqual({ enabled: false })
    expect(config.auditKey).toMatch(/^[0-9a-f]{64}$/)
    expect(Object.isFrozen(config)).toBe(true)
  })

  test('the generated secrets are kept: a second start reads the same keys', () => {
    const dir = tempDir()
    const first = loadConfig({ DATA_DIR: dir })
    const second = loadConfig({ DATA_DIR: dir })
    expect(second.auditKey).toBe(first.auditKey)
    expect(JSON.parse(readFileSync(path.join(dir, 'secrets.json'), 'utf8')).secretKey).toBe(first.secretKey)
  })

  test('a PostgreSQL url and a Telegram token switch those parts on', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      DATABASE_URL: 'postgres://u@db:5432/helpdesk',
      TELEGRAM_BOT_TOKEN: '123:abc',
      TELEGRAM_MODE: 'webhook',
      BASE_URL: 'https://helpdesk.local/',
    })
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/helpdesk' })
    expect(config.telegram).toMatchObject({ enabled: true, mode: 'webhook' })
    expect(config.baseUrl).toBe('https://helpdesk.local')
  })

  test('the Telegram request timeout and the notice retry keep their defaults unless set', () => {
    const bare = loadConfig({ DATA_DIR: tempDir(), TELEGRAM_BOT_TOKEN: '123:abc' })
    expect(bare.telegram).toMatchObject({ timeoutSeconds: 30 })
    expect(bare.noticeRetryMs).toBe(15_000)
    const set = loadConfig({
      DATA_DIR: tempDir(),
      TELEGRAM_BOT_TOKEN: '123:abc',
      TELEGRAM_TIMEOUT_SECONDS: '2',
      NOTICE_RETRY_SECONDS: '0.25',
    })
    expect(set.telegram).toMatchObject({ timeoutSeconds: 2 })
    expect(set.noticeRetryMs).toBe(250)
  })

  test.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ TELEGRAM_MODE: 'carrier-pigeon' }, /TELEGRAM_MODE/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ TELEGRAM_TIMEOUT_SECONDS: '0' }, /TELEGRAM_TIMEOUT_SECONDS/],
    [{ NOTICE_RETRY_SECONDS: 'soon' }, /NOTICE_RETRY_SECONDS/],
  ])('a bad value is refused with a clear message: %o', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), ...env })).toThrow(ConfigError)
    expect(() => loadConfig({ DATA_DIR: tempDir(), ...env })).toThrow(message)
  })

  test('TRUST_PROXY: none unless set; addresses and ranges by commas or spaces; a bad entry stops the start', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).trustProxy).toEqual([])
    const config = loadConfig({ DATA_DIR: tempDir(), TRUST_PROXY: 'loopback, 10.0.0.0/8  fd00::1' })
    expect(config.trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::1'])
    expect(() => loadConfig({ DATA_DIR: tempDir(), TRUST_PROXY: 'nginx' })).toThrow(ConfigError)
  })

  test('sqlite urls', () => {
    expect(parseDatabaseUrl(':memory:', '/d')).toEqual({ kind: 'sqlite', file: ':memory:' })
    expect(parseDatabaseUrl('sqlite:/var/hd.sqlite', '/d')).toEqual({ kind: 'sqlite', file: '/var/hd.sqlite' })
  })
})
