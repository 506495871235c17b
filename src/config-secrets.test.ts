import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { tempDirs } from '../test/support/temp-dirs.ts'
import { auditKeyWarning, loadConfig } from './config.ts'

const tempDir = tempDirs('helpdesk-config-')

/** A key file as systemd's LoadCredential= or a root-owned 0400 file gives it: with a trailing newline. */
function keyFile(content: string): string {
  const file = path.join(tempDir(), 'key')
  writeFileSync(file, content, { mode: 0o400 })
  return file
}

describe('keys and anchors outside DATA_DIR', () => {
  test('AUDIT_HMAC_KEY_FILE and SECRET_KEY_FILE are read, without their trailing newline', () => {
    const audit = 'a'.repeat(40)
    const secret = 's'.repeat(40)
    const config = loadConfig({
      DATA_DIR: tempDir(),
      AUDIT_HMAC_KEY_FILE: keyFile(`${audit}\n`),
      SECRET_KEY_FILE: keyFile(secret),
    })
    expect(config.auditKey).toBe(audit)
    expect(config.secretKey).toBe(secret)
    expect(config.auditKeySource).toBe('file')
  })

  test.each([
    [{ AUDIT_HMAC_KEY: 'k'.repeat(32), AUDIT_HMAC_KEY_FILE: '/etc/helpdesk/audit.key' }, /AUDIT_HMAC_KEY или/],
    [
      { AUDIT_HMAC_KEY_FILE: '/nonexistent/audit.key' },
      /AUDIT_HMAC_KEY_FILE: файл \/nonexistent\/audit.key не читается/,
    ],
    [{ SECRET_KEY_FILE: 'short' }, /SECRET_KEY_FILE/],
    [{ MIGRATION_DATABASE_URL: 'sqlite:/tmp/x.sqlite' }, /MIGRATION_DATABASE_URL/],
  ])('a bad key or URL setting is refused: %o', (env, message) => {
    const resolved = { ...env }
    if ('SECRET_KEY_FILE' in resolved) resolved.SECRET_KEY_FILE = keyFile('too short\n')
    expect(() => loadConfig({ DATA_DIR: tempDir(), ...resolved })).toThrow(message)
  })

  test('the checkpoint file is DATA_DIR/audit-checkpoints.log unless AUDIT_CHECKPOINT_FILE says where', () => {
    const dir = tempDir()
    expect(loadConfig({ DATA_DIR: dir }).auditCheckpointFile).toBe(path.join(dir, 'audit-checkpoints.log'))
    expect(loadConfig({ DATA_DIR: dir, AUDIT_CHECKPOINT_FILE: '/var/log/helpdesk/c.log' }).auditCheckpointFile).toBe(
      '/var/log/helpdesk/c.log',
    )
  })

  test('MIGRATION_DATABASE_URL is the owner for migrations, DATABASE_URL stays the app', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      DATABASE_URL: 'postgres://helpdesk_app@db/helpdesk',
      MIGRATION_DATABASE_URL: 'postgres://helpdesk_owner@db/helpdesk',
    })
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://helpdesk_app@db/helpdesk' })
    expect(config.migrationDatabase).toEqual({ kind: 'postgres', url: 'postgres://helpdesk_owner@db/helpdesk' })
  })

  test('in production a generated audit key gets a warning (logged once by serve), without the key itself', () => {
    const dir = tempDir()
    const generated = loadConfig({ DATA_DIR: dir, NODE_ENV: 'production' })
    const warning = auditKeyWarning(generated)
    expect(warning).toContain(path.join(dir, 'secrets.json'))
    expect(warning).toContain('AUDIT_HMAC_KEY_FILE')
    expect(warning).not.toContain(generated.auditKey)
    expect(auditKeyWarning(loadConfig({ DATA_DIR: dir }))).toBeUndefined()
    const fromEnv = loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', AUDIT_HMAC_KEY: 'e'.repeat(32) })
    expect(auditKeyWarning(fromEnv)).toBeUndefined()
  })
})
