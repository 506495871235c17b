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
import { actorFromUser } from './actor.ts'
import { createApiToken, resolveApiToken } from './api-tokens.ts'
import { createAccount } from './create-account.ts'
import {
  DirectoryUnavailableError,
  escapeFilterValue,
  LdapDirectory,
  roleOfGroups,
  userFilter,
} from './ldap-directory.ts'
import { directoryLogin, LDAP_NO_ACCESS, LDAP_UNAVAILABLE } from './ldap-login.ts'
import { LOGIN_REFUSED, loginWithPassword, useDirectory } from './login.ts'
import { LoginThrottle } from './login-throttle.ts'
import { passwordLinkMessages, viewPasswordLink } from './password-links.ts'
import { hashPassword } from './passwords.ts'
import { createSession, resolveSession } from './sessions.ts'

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

  test('DOMAIN\\user and user@domain (UPN) become user; a name whose prefix is no domain stays whole', () => {
    expect(directoryLogin('ivanov')).toBe('ivanov')
    expect(directoryLogin(' EXAMPLE\\Ivanov ')).toBe('Ivanov')
    expect(directoryLogin('example.org\\ivanov')).toBe('ivanov')
    expect(directoryLogin('ivanov@example.org')).toBe('ivanov')
    expect(directoryLogin('Ivanov@EXAMPLE')).toBe('Ivanov')
    // The stripped name is escaped like any other: a metacharacter behind a domain widens nothing.
    expect(directoryLogin('EXAMPLE\\*')).toBe('*')
    expect(userFilter('(uid={login})', directoryLogin('a*)(uid=*@example.org'))).toBe('(uid=a\\2a\\29\\28uid=\\2a)')
    for (const whole of ['o*brien(x)\\y', '\\', 'EXAMPLE\\', '\\ivanov', 'ivanov@', '@example.org', 'a@b c']) {
      expect(directoryLogin(whole)).toBe(whole)
    }
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

/** An admin acting on the web, for use cases that need one. */
async function buildActorFor(db: Db) {
  const admin = await buildUser(db, { login: 'admin', role: 'admin' })
  return { actor: actorFromUser(admin, 'web') }
}

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
  const noAccess = { user: undefined, error: { code: 'ldap_no_access', message: LDAP_NO_ACCESS } }

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
      email: 'ivanov@example.org',
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
    await db
      .updateTable('users')
      .set({ full_name: 'Старое имя', role: 'requester', email: 'old@example.org' })
      .where('id', '=', id)
      .execute()
    const again = await signIn(db, 'ivanov', PEOPLE.ivanov.password)
    expect(again.user).toMatchObject({
      id,
      full_name: 'Иванов Иван Иванович',
      role: 'executor',
      email: 'ivanov@example.org',
    })
    const update = (await journal(db)).find((r) => r.action === 'user.update')
    expect(update).toMatchObject({ subject_id: id })
    expect(update?.details).toEqual({ source: 'ldap', fields: ['full_name', 'role', 'email'], role: 'executor' })
    // The journal names the fields, never their values.
    expect(JSON.stringify(await journal(db))).not.toContain('example.org')
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

  test('no mapped group (only an unmapped one, or none) → «Нет доступа к системе заявок», no account, journaled', async () => {
    const { db } = await testDatabase()
    expect(await signIn(db, 'sidorov', PEOPLE.sidorov.password)).toEqual(noAccess)
    expect(await signIn(db, 'loner', PEOPLE.loner.password)).toEqual(noAccess)
    expect(await db.selectFrom('users').select('id').execute()).toEqual([])
    expect(await failedReasons(db)).toEqual(['ldap_no_group', 'ldap_no_group'])
    expect((await journal(db)).map((r) => r.result)).toEqual(['denied', 'denied'])
  })

  test('a local account of the same name is refused too but keeps its sessions: the directory does not own it', async () => {
    const { db } = await testDatabase()
    const local = await buildUser(db, { login: 'sidorov' })
    const session = await createSession(db, local.id, { ip: null, userAgent: 'telegram link' })
    expect(await signIn(db, 'sidorov', PEOPLE.sidorov.password)).toEqual(noAccess)
    expect(await resolveSession(db, session.token)).toBeDefined()
    expect((await journal(db)).map((r) => [r.action, r.subject_id])).toEqual([['auth.login_failed', local.id]])
  })

  test('without a mapped group a wrong password is still the one refusal: «no access» only after the bind', async () => {
    const { db } = await testDatabase()
    expect(await signIn(db, 'sidorov', 'wrong-password')).toEqual(refused)
    expect(await signIn(db, 'nobody-here', PEOPLE.sidorov.password)).toEqual(refused)
    expect(await failedReasons(db)).toEqual(['wrong_password', 'unknown_login'])
  })

  test('DOMAIN\\user and user@domain sign in to the one account of the bare login', async () => {
    const { db } = await testDatabase()
    const first = await signIn(db, 'EXAMPLE\\Petrova', PEOPLE.petrova.password)
    expect(first.user).toMatchObject({ login: 'petrova', role: 'curator', auth_source: 'ldap' })
    expect((await signIn(db, 'petrova@example.org', PEOPLE.petrova.password)).user?.id).toBe(first.user?.id)
    expect((await signIn(db, 'example.org\\petrova', PEOPLE.petrova.password)).user?.id).toBe(first.user?.id)
    expect((await signIn(db, 'PETROVA', PEOPLE.petrova.password)).user?.id).toBe(first.user?.id)
    expect(await db.selectFrom('users').select('login').execute()).toEqual([{ login: 'petrova' }])
    // Injection behind a domain is escaped like any other login.
    expect(await signIn(db, 'EXAMPLE\\*', PEOPLE.petrova.password)).toEqual(refused)
    expect(await signIn(db, 'petrov*@example.org', PEOPLE.petrova.password)).toEqual(refused)
    expect(await failedReasons(db)).toEqual(['unknown_login', 'unknown_login'])
  })

  test('the throttle counts every spelling of a name as that name', async () => {
    const { db } = await testDatabase()
    const throttle = new LoginThrottle()
    for (const spelling of [
      'A\\petrova',
      'B\\petrova',
      'petrova@a.org',
      'petrova@b.org',
      'C\\petrova',
      'petrova@c.org',
    ]) {
      expect(await signIn(db, spelling, 'wrong', config(), throttle)).toEqual(refused)
    }
    expect(await signIn(db, 'petrova', PEOPLE.petrova.password, config(), throttle)).toEqual(refused)
  })

  test("a local account still waiting for its set-password link becomes the directory's at its first LDAP sign-in; the link dies", async () => {
    const { db } = await testDatabase()
    const { actor: admin } = await buildActorFor(db)
    const made = await createAccount(db, admin, {
      login: 'ivanov',
      fullName: 'Иванов И.',
      role: 'requester',
      baseUrl: 'https://helpdesk.example',
    })
    const token = made.link.token
    expect(await viewPasswordLink(db, token)).toMatchObject({ login: 'ivanov' })
    const { user } = await signIn(db, 'EXAMPLE\\ivanov', PEOPLE.ivanov.password)
    expect(user).toMatchObject({ id: made.user.id, auth_source: 'ldap', role: 'executor', email: 'ivanov@example.org' })
    expect(await viewPasswordLink(db, token)).toEqual({ problem: passwordLinkMessages.ldap })
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

  test('over HTTP: no mapped group is 403 `ldap_no_access` on the API and «Нет доступа к системе заявок» on the web form; /me shows the e-mail and totp_enabled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    useDirectory(new LdapDirectory(config()))
    try {
      const api = await call(app, 'POST', '/api/v1/auth/login', {
        body: { login: 'sidorov', password: PEOPLE.sidorov.password },
        headers: { 'content-type': 'application/json' },
        ip: '10.7.8.1',
      })
      expectCleanError(api, 403, 'ldap_no_access')
      expect(api.body).toEqual({ error: { code: 'ldap_no_access', message: LDAP_NO_ACCESS } })
      const wrong = await call(app, 'POST', '/api/v1/auth/login', {
        body: { login: 'sidorov', password: 'wrong-password' },
        headers: { 'content-type': 'application/json' },
        ip: '10.7.8.1',
      })
      expectCleanError(wrong, 401, 'unauthorized')

      const pre = 'noaccessnoaccessnoacce'
      const form = new URLSearchParams({
        login: 'EXAMPLE\\loner',
        password: PEOPLE.loner.password,
        _csrf: csrfToken(testConfig().secretKey, `prelogin:${pre}`),
      })
      const web = await app.request('/login', {
        method: 'POST',
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `${PRELOGIN_COOKIE}=${pre}` },
      })
      expect(web.status).toBe(403)
      const page = await web.text()
      expect(page).toContain(LDAP_NO_ACCESS)
      expect(page).not.toContain(LOGIN_REFUSED)

      const ok = await call(app, 'POST', '/api/v1/auth/login', {
        body: { login: 'ivanov@example.org', password: PEOPLE.ivanov.password },
        headers: { 'content-type': 'application/json' },
        ip: '10.7.8.2',
      })
      expect(ok.status).toBe(200)
      const cookie = /helpdesk_session=[^;]+/.exec(ok.headers.get('set-cookie') ?? '')?.[0] ?? ''
      const me = await call(app, 'GET', '/api/v1/me', { headers: { cookie } })
      expect(me.status).toBe(200)
      expect(me.body).toMatchObject({ login: 'ivanov', email: 'ivanov@example.org', totp_enabled: false })
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
  test('removed from its group → «no access» at the next sign-in, and its sessions and API tokens end', async () => {
    const { db } = await testDatabase()
    const { user } = await signIn(db, 'ivanov', PEOPLE.ivanov.password)
    if (!user) throw new Error('no account made')
    expect(user.role).toBe('executor')
    const other = await createSession(db, user.id, { ip: null, userAgent: 'another browser' })
    const token = await createApiToken(db, actorFromUser(user, 'web'), { userId: user.id, name: 'Скрипт' })
    slapd.removeFromGroup('ivanov', 'executors')
    expect(await signIn(db, 'ivanov', PEOPLE.ivanov.password)).toEqual(noAccess)
    expect(await resolveSession(db, other.token)).toBeUndefined()
    expect(await resolveApiToken(db, token.token)).toBeUndefined()
    expect(await failedReasons(db)).toEqual(['ldap_no_group'])
    const entries = await journal(db)
    expect(entries.find((r) => r.action === 'auth.session_revoke')).toMatchObject({
      subject_id: user.id,
      result: 'success',
      details: { source: 'ldap', reason: 'ldap_no_group', sessionsRevoked: 2, apiTokensRevoked: 1 },
    })
    expect(entries.find((r) => r.action === 'auth.login_failed')).toMatchObject({
      subject_id: user.id,
      result: 'denied',
    })
    // The account itself stays as it was (IT may put the person back in the group).
    expect((await db.selectFrom('users').select(['status', 'role']).where('id', '=', user.id).execute())[0]).toEqual({
      status: 'active',
      role: 'executor',
    })
  })
})
