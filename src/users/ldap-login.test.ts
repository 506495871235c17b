import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { LdapConfig } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { isDomainError } from '#src/errors.ts'
import { csrfToken, PRELOGIN_COOKIE } from '#src/web/csrf.ts'
import { call, expectCleanError, testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import {
  BASE_DN,
  GROUPS,
  PEOPLE,
  runLdap,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
  USER_FILTER,
} from '../../test/support/slapd.ts'
import {
  DirectoryUnavailableError,
  escapeFilterValue,
  LdapDirectory,
  roleOfGroups,
  userFilter,
} from './ldap-directory.ts'
import { LDAP_UNAVAILABLE } from './ldap-login.ts'
import { LOGIN_REFUSED, loginWithPassword, useDirectory } from './login.ts'
import { LoginThrottle } from './login-throttle.ts'
import { hashPassword } from './passwords.ts'

describe('RFC 4515 escaping of {login}', () => {
  test('*, (, ), \\ and NUL become \\XX; other characters stay', () => {
    expect(escapeFilterValue('*')).toBe('\\2a')
    expect(escapeFilterValue('admin)(|(uid=*')).toBe('admin\\29\\28|\\28uid=\\2a')
    expect(escapeFilterValue('a\\b')).toBe('a\\5cb')
    expect(escapeFilterValue('x\u0000y')).toBe('x\\00y')
    expect(escapeFilterValue('Иванов.и-и_2')).toBe('Иванов.и-и_2')
  })

  test('every {login} is replaced, and `$&` in a login is not a replacement pattern', () => {
    expect(userFilter('(|(uid={login})(mail={login}))', 'a*')).toBe('(|(uid=a\\2a)(mail=a\\2a))')
    expect(userFilter('(uid={login})', '$&$1')).toBe('(uid=$&$1)')
  })

  test('the highest mapped role wins; DNs compare without case or spaces', () => {
    const map = { 'CN=Exec,DC=x': 'executor', 'cn=cur,dc=x': 'curator' } as const
    expect(roleOfGroups(['cn=exec, dc=x', 'CN=Cur,DC=X', 'cn=other,dc=x'], map)).toBe('curator')
    expect(roleOfGroups(['cn=exec,dc=x'], map)).toBe('executor')
    expect(roleOfGroups(['cn=other,dc=x'], map)).toBeNull()
  })
})

test('a NUL in the login is the one refusal on both databases (PostgreSQL rejects NUL in text)', async () => {
  const { db } = await testDatabase()
  const nul = { login: 'admin\u0000', password: 'x', ip: '10.8.8.8', userAgent: 'vitest', channel: 'api' as const }
  await expect(loginWithPassword(db, nul, new LoginThrottle(), undefined)).rejects.toMatchObject({
    code: 'unauthorized',
    message: LOGIN_REFUSED,
  })
})

/** A TCP server on loopback that accepts connections and never answers (a hung directory). */
async function silentServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  const sockets: Socket[] = []
  const server = createServer((socket) => {
    sockets.push(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const close = server.close.bind(server)
  server.close = (cb) => {
    for (const s of sockets) s.destroy()
    return close(cb)
  }
  return { server, port, connections: () => sockets.length }
}

describe.runIf(runLdap)('LDAP sign-in against a real slapd', () => {
  let slapd: Slapd
  let silent: Awaited<ReturnType<typeof silentServer>>

  beforeAll(async () => {
    slapd = await startSlapd()
    silent = await silentServer()
  })
  afterAll(async () => {
    await slapd?.dispose()
    await new Promise((resolve) => silent?.server.close(resolve))
  })

  const config = (overrides: Partial<LdapConfig> = {}): LdapConfig => ({
    urls: [slapd.url],
    startTls: false,
    bindDn: SERVICE_DN,
    bindPassword: SERVICE_PASSWORD,
    baseDn: BASE_DN,
    userFilter: USER_FILTER,
    groupRoles: { [GROUPS.executors]: 'executor', [GROUPS.curators]: 'curator', [GROUPS.admins]: 'admin' },
    timeoutMs: 1500,
    ...overrides,
  })

  const attempt = (login: string, password: string) => ({
    login,
    password,
    ip: '10.9.9.9',
    userAgent: 'vitest',
    channel: 'api' as const,
  })

  /** Signs in through loginWithPassword with a fresh throttle; the refusal's code and message, or the user. */
  async function signIn(db: Db, login: string, password: string, cfg = config(), throttle = new LoginThrottle()) {
    try {
      const result = await loginWithPassword(db, attempt(login, password), throttle, new LdapDirectory(cfg))
      return { user: result.user, error: undefined }
    } catch (error) {
      if (!isDomainError(error)) throw error
      return { user: undefined, error: { code: error.code, message: error.message } }
    }
  }

  async function journal(db: Db) {
    const rows = await db
      .selectFrom('audit_log')
      .select(['action', 'result', 'subject_id', 'description', 'details'])
      .orderBy('id')
      .execute()
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details ?? '{}') as Record<string, unknown> }))
  }

  const failedReasons = async (db: Db) =>
    (await journal(db)).filter((r) => r.action === 'auth.login_failed').map((r) => r.details.reason)

  const refused = { user: undefined, error: { code: 'unauthorized', message: LOGIN_REFUSED } }

  test('a first sign-in creates an active LDAP account from the directory; a later one refreshes it', async () => {
    const { db } = await testDatabase()
    const at = new Date().toISOString()
    // Matched whatever the case: the directory says «Хирургия».
    const dept = await db
      .insertInto('departments')
      .values({ name: 'хирургия', created_at: at, updated_at: at })
      .returning('id')
      .executeTakeFirstOrThrow()
    const first = await signIn(db, 'Ivanov', PEOPLE.ivanov.password)
    expect(first.error).toBeUndefined()
    expect(first.user).toMatchObject({
      login: 'ivanov',
      full_name: 'Иванов Иван Иванович',
      phone: '+79001112233',
      department_id: dept.id,
      role: 'executor',
      status: 'active',
      auth_source: 'ldap',
      external_dn: `uid=ivanov,ou=people,${BASE_DN}`,
      password_hash: null,
    })
    const id = first.user?.id
    expect((await journal(db)).map((r) => [r.action, r.subject_id])).toEqual([
      ['user.create', id],
      ['auth.login', id],
    ])
    // Changed here meanwhile: the next sign-in brings the directory's values back, and says so.
    if (id === undefined) throw new Error('no account made')
    await db.updateTable('users').set({ full_name: 'Старое имя', role: 'requester' }).where('id', '=', id).execute()
    const again = await signIn(db, 'ivanov', PEOPLE.ivanov.password)
    expect(again.user).toMatchObject({ id, full_name: 'Иванов Иван Иванович', role: 'executor' })
    const update = (await journal(db)).find((r) => r.action === 'user.update')
    expect(update?.details).toMatchObject({ source: 'ldap', fields: expect.arrayContaining(['full_name', 'role']) })
    expect(await db.selectFrom('users').select('id').execute()).toHaveLength(1)
  })

  test('group → role: two mapped groups give the higher role; an unmapped group adds nothing', async () => {
    const { db } = await testDatabase()
    expect((await signIn(db, 'petrova', PEOPLE.petrova.password)).user?.role).toBe('curator')
    expect((await signIn(db, 'boss', PEOPLE.boss.password)).user?.role).toBe('admin')
    expect((await signIn(db, PEOPLE.odd.uid, PEOPLE.odd.password)).user).toMatchObject({
      role: 'executor',
      full_name: PEOPLE.odd.cn,
    })
  })

  test('no mapped group (only an unmapped one, or none) → the one refusal, no account, journaled', async () => {
    const { db } = await testDatabase()
    expect(await signIn(db, 'sidorov', PEOPLE.sidorov.password)).toEqual(refused)
    expect(await signIn(db, 'loner', PEOPLE.loner.password)).toEqual(refused)
    expect(await db.selectFrom('users').select('id').execute()).toEqual([])
    expect(await failedReasons(db)).toEqual(['ldap_no_group', 'ldap_no_group'])
  })

  test('filter injection in the login finds nobody and never binds as someone else', async () => {
    const { db } = await testDatabase()
    // Each, unescaped, would match ivanov (or everyone) and then bind with ivanov's right password.
    for (const login of [
      '*',
      'iva*',
      'admin)(|(uid=*',
      '*)(uid=ivanov',
      'ivanov)(uid=*',
      '\\',
      'ivanov\u0000',
      'i*v',
    ]) {
      expect(await signIn(db, login, PEOPLE.ivanov.password)).toEqual(refused)
    }
    expect(await db.selectFrom('users').select('id').execute()).toEqual([])
    expect(new Set(await failedReasons(db))).toEqual(new Set(['unknown_login']))
    const directory = new LdapDirectory(config())
    expect(await directory.authenticate('*', PEOPLE.ivanov.password)).toEqual({ kind: 'not_found' })
    // The metacharacter name itself is found, by its exact name only.
    expect((await directory.authenticate(PEOPLE.odd.uid, PEOPLE.odd.password)).kind).toBe('ok')
    expect(await directory.authenticate('o*', PEOPLE.odd.password)).toEqual({ kind: 'not_found' })
  })

  test('an empty password is refused without even connecting; a wrong one is refused by the bind', async () => {
    const { db } = await testDatabase()
    const before = silent.connections()
    const hung = new LdapDirectory(config({ urls: [`ldap://127.0.0.1:${silent.port}`] }))
    expect(await hung.authenticate('ivanov', '')).toEqual({ kind: 'not_found' })
    expect(silent.connections()).toBe(before)
    expect(await signIn(db, 'ivanov', '')).toEqual(refused)
    expect(await signIn(db, 'ivanov', 'wrong-password')).toEqual(refused)
    expect(await failedReasons(db)).toEqual(['unknown_login', 'wrong_password'])
  })

  test('the throttle counts LDAP failures: after six wrong passwords even the right one is refused', async () => {
    const { db } = await testDatabase()
    const throttle = new LoginThrottle()
    for (let i = 0; i < 6; i++) expect(await signIn(db, 'petrova', 'wrong', config(), throttle)).toEqual(refused)
    expect(await signIn(db, 'petrova', PEOPLE.petrova.password, config(), throttle)).toEqual(refused)
    expect(await db.selectFrom('users').select('id').execute()).toEqual([])
  })

  test('a deactivated account stays refused whatever the directory says', async () => {
    const { db } = await testDatabase()
    const { user } = await signIn(db, 'boss', PEOPLE.boss.password)
    if (!user) throw new Error('no account made')
    await db.updateTable('users').set({ status: 'deactivated', role: 'requester' }).where('id', '=', user.id).execute()
    expect(await signIn(db, 'boss', PEOPLE.boss.password)).toEqual(refused)
    const row = await db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ status: 'deactivated', role: 'requester' })
    expect(await failedReasons(db)).toEqual(['status_deactivated'])
  })

  test('failover: an unreachable first URL is passed over for the next', async () => {
    const { db } = await testDatabase()
    const closed = await silentServer()
    const deadPort = closed.port
    await new Promise((resolve) => closed.server.close(resolve))
    const cfg = config({ urls: [`ldap://127.0.0.1:${deadPort}`, slapd.url] })
    expect((await signIn(db, 'petrova', PEOPLE.petrova.password, cfg)).user?.role).toBe('curator')
  })

  describe('F10: the directory down or slow', () => {
    let adminPassword: string
    let adminHash: string
    beforeAll(async () => {
      adminPassword = 'аварийный-админ-пароль-2026'
      adminHash = await hashPassword(adminPassword)
    })

    async function failsClosedAndBreakGlassWorks(cfg: LdapConfig) {
      const { db } = await testDatabase()
      const admin = await buildUser(db, { login: 'breakglass', role: 'admin', passwordHash: adminHash })
      const started = performance.now()
      const result = await signIn(db, 'petrova', PEOPLE.petrova.password, cfg)
      const took = performance.now() - started
      expect(result).toEqual({ user: undefined, error: { code: 'unavailable', message: LDAP_UNAVAILABLE } })
      // The bound: closed within LDAP_TIMEOUT_MS (plus the journal write and a hash check).
      expect(took).toBeLessThan(cfg.timeoutMs + 1000)
      expect(await failedReasons(db)).toEqual(['ldap_unavailable'])
      expect((await signIn(db, 'breakglass', adminPassword, cfg)).user?.id).toBe(admin.id)
      return took
    }

    test('slow: a server that accepts and never answers', async () => {
      const took = await failsClosedAndBreakGlassWorks(
        config({ urls: [`ldap://127.0.0.1:${silent.port}`], timeoutMs: 600 }),
      )
      expect(took).toBeGreaterThanOrEqual(550)
    })

    test('down: slapd stopped (and back afterwards)', async () => {
      await slapd.stop()
      try {
        await failsClosedAndBreakGlassWorks(config({ timeoutMs: 600 }))
      } finally {
        await slapd.start()
      }
    })
  })

  test('over HTTP: the API answers 503 `unavailable`, the web form 503 with the message; a right LDAP password signs in', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    useDirectory(new LdapDirectory(config({ urls: [`ldap://127.0.0.1:${silent.port}`], timeoutMs: 300 })))
    try {
      const api = await call(app, 'POST', '/api/v1/auth/login', {
        body: { login: 'petrova', password: PEOPLE.petrova.password },
        headers: { 'content-type': 'application/json' },
        ip: '10.7.7.1',
      })
      expectCleanError(api, 503, 'unavailable')
      const pre = 'ldapldapldapldapldapld'
      const form = new URLSearchParams({
        login: 'petrova',
        password: PEOPLE.petrova.password,
        _csrf: csrfToken(testConfig().secretKey, `prelogin:${pre}`),
      })
      const web = await app.request('/login', {
        method: 'POST',
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `${PRELOGIN_COOKIE}=${pre}` },
      })
      expect(web.status).toBe(503)
      expect(await web.text()).toContain(LDAP_UNAVAILABLE.slice(0, 40))
      useDirectory(new LdapDirectory(config()))
      const ok = await call(app, 'POST', '/api/v1/auth/login', {
        body: { login: 'petrova', password: PEOPLE.petrova.password },
        headers: { 'content-type': 'application/json' },
        ip: '10.7.7.2',
      })
      expect(ok.status).toBe(200)
      expect(ok.body).toMatchObject({ user: { login: 'petrova', role: 'curator' } })
    } finally {
      useDirectory(undefined)
    }
  })

  test('an LDAP account given a local password somehow is still checked by the directory, not by that password', async () => {
    const { db } = await testDatabase()
    const { user } = await signIn(db, 'petrova', PEOPLE.petrova.password)
    if (!user) throw new Error('no account made')
    await db
      .updateTable('users')
      .set({ password_hash: await hashPassword('локальный-пароль-2026') })
      .where('id', '=', user.id)
      .execute()
    expect(await signIn(db, 'petrova', 'локальный-пароль-2026')).toEqual(refused)
    // Nor does it sign in past a directory that is down.
    const down = config({ urls: [`ldap://127.0.0.1:${silent.port}`], timeoutMs: 300 })
    expect((await signIn(db, 'petrova', 'локальный-пароль-2026', down)).error?.code).toBe('unavailable')
    expect((await signIn(db, 'petrova', PEOPLE.petrova.password)).user?.id).toBe(user.id)
    expect(await failedReasons(db)).toEqual(['wrong_password', 'ldap_unavailable'])
    const unavailable = (await journal(db)).find((r) => r.details.reason === 'ldap_unavailable')
    expect(unavailable?.subject_id).toBe(user.id)
  })

  test('memberOf (as in AD): groups read from the person, with the groups themselves unreadable', async () => {
    const ad = await startSlapd({ memberOf: true })
    try {
      const directory = new LdapDirectory(config({ urls: [ad.url] }))
      const petrova = await directory.authenticate('petrova', PEOPLE.petrova.password)
      expect(petrova.kind === 'ok' && petrova.user.role).toBe('curator')
      const sidorov = await directory.authenticate('sidorov', PEOPLE.sidorov.password)
      expect(sidorov.kind === 'ok' && sidorov.user.groups).toEqual([GROUPS.other])
      expect(sidorov.kind === 'ok' && sidorov.user.role).toBeNull()
    } finally {
      await ad.dispose()
    }
  })

  test('StartTLS and ldaps://: trusted through LDAP_CA_FILE; an untrusted certificate fails closed', async () => {
    const secure = await startSlapd({ tls: true })
    try {
      const trusted = new LdapDirectory(config({ urls: [secure.url], startTls: true, caFile: secure.certFile }))
      expect((await trusted.authenticate('petrova', PEOPLE.petrova.password)).kind).toBe('ok')
      const ldaps = new LdapDirectory(config({ urls: [secure.ldapsUrl], caFile: secure.certFile }))
      expect((await ldaps.authenticate('petrova', PEOPLE.petrova.password)).kind).toBe('ok')
      const untrusted = new LdapDirectory(config({ urls: [secure.url], startTls: true }))
      await expect(untrusted.authenticate('petrova', PEOPLE.petrova.password)).rejects.toBeInstanceOf(
        DirectoryUnavailableError,
      )
    } finally {
      await secure.dispose()
    }
  })

  // Last: it changes the directory.
  test('removed from its group → refused at the next sign-in', async () => {
    const { db } = await testDatabase()
    expect((await signIn(db, 'ivanov', PEOPLE.ivanov.password)).user?.role).toBe('executor')
    slapd.removeFromGroup('ivanov', 'executors')
    expect(await signIn(db, 'ivanov', PEOPLE.ivanov.password)).toEqual(refused)
    expect(await failedReasons(db)).toEqual(['ldap_no_group'])
  })
})
