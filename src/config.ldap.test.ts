import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { ConfigError, loadConfig } from './config.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-config-ldap-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const ldapEnv = {
  DATA_DIR: dir,
  LDAP_URL: 'ldaps://dc1.hospital.local  ldaps://dc2.hospital.local:636',
  LDAP_BIND_DN: 'CN=svc-helpdesk,OU=Service,DC=hospital,DC=local',
  LDAP_BIND_PASSWORD: 'secret',
  LDAP_BASE_DN: 'DC=hospital,DC=local',
  LDAP_GROUP_ROLES: JSON.stringify({
    'CN=Helpdesk-IT,OU=Groups,DC=hospital,DC=local': 'executor',
    'CN=Helpdesk-Admins,OU=Groups,DC=hospital,DC=local': 'admin',
  }),
}

describe('LDAP settings', () => {
  test('without LDAP_URL there is no LDAP sign-in', () => {
    expect(loadConfig({ DATA_DIR: dir }).ldap).toBeUndefined()
  })

  test('LDAP_URL switches it on: several URLs for failover, the AD filter and 5 s unless set', () => {
    const ldap = loadConfig(ldapEnv).ldap
    expect(ldap).toMatchObject({
      urls: ['ldaps://dc1.hospital.local', 'ldaps://dc2.hospital.local:636'],
      startTls: false,
      bindDn: ldapEnv.LDAP_BIND_DN,
      baseDn: 'DC=hospital,DC=local',
      userFilter: '(&(objectClass=user)(sAMAccountName={login}))',
      timeoutMs: 5000,
      groupRoles: {
        'cn=helpdesk-it,ou=groups,dc=hospital,dc=local': 'executor',
        'cn=helpdesk-admins,ou=groups,dc=hospital,dc=local': 'admin',
      },
    })
    expect(loadConfig({ ...ldapEnv, LDAP_STARTTLS: 'true', LDAP_TIMEOUT_MS: '800' }).ldap).toMatchObject({
      startTls: true,
      timeoutMs: 800,
    })
  })

  test.each([
    ['LDAP_GROUP_ROLES', 'not json'],
    ['LDAP_GROUP_ROLES', '["executor"]'],
    ['LDAP_GROUP_ROLES', '{"cn=x": "superuser"}'],
    ['LDAP_URL', 'http://dc1.hospital.local'],
    ['LDAP_BASE_DN', ' '],
    ['LDAP_USER_FILTER', '(sAMAccountName=admin)'],
    ['LDAP_CA_FILE', '/nonexistent/ca.pem'],
    ['LDAP_TIMEOUT_MS', '0'],
  ])('%s=%s is refused at start with a message', (name, value) => {
    expect(() => loadConfig({ ...ldapEnv, [name]: value })).toThrow(ConfigError)
  })
})
