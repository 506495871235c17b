import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { ConfigError, loadConfig } from './config.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-config-totp-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('AUTH_REQUIRE_2FA', () => {
  test('curators and admins unless set (an empty value too); `none` requires it of nobody; roles separated by commas', () => {
    expect(loadConfig({ DATA_DIR: dir }).require2fa).toEqual(['curator', 'admin'])
    expect(loadConfig({ DATA_DIR: dir, AUTH_REQUIRE_2FA: ' ' }).require2fa).toEqual(['curator', 'admin'])
    expect(loadConfig({ DATA_DIR: dir, AUTH_REQUIRE_2FA: 'none' }).require2fa).toEqual([])
    expect(loadConfig({ DATA_DIR: dir, AUTH_REQUIRE_2FA: ' None ' }).require2fa).toEqual([])
    expect(loadConfig({ DATA_DIR: dir, AUTH_REQUIRE_2FA: 'admin' }).require2fa).toEqual(['admin'])
    expect(loadConfig({ DATA_DIR: dir, AUTH_REQUIRE_2FA: 'Curator, admin' }).require2fa).toEqual(['curator', 'admin'])
  })

  test('an unknown role stops the start with a message naming it', () => {
    expect(() => loadConfig({ DATA_DIR: dir, AUTH_REQUIRE_2FA: 'curator,boss' })).toThrow(ConfigError)
    expect(() => loadConfig({ DATA_DIR: dir, AUTH_REQUIRE_2FA: 'curator,boss' })).toThrow(/boss/)
  })
})
