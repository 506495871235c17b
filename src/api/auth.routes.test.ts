import { describe, expect, test } from 'vitest'
import { LOGIN_REFUSED } from '#src/users/login.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { apiUser, call, testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'

const password = 'пароль-для-теста-42'

async function setup(status: 'active' | 'pending' | 'deactivated' = 'active', baseUrl = 'http://helpdesk.test') {
  const { db } = await testDatabase()
  const user = await buildUser(db, { login: `ivanov${status}`, passwordHash: await hashPassword(password), status })
  const { app, logs } = testApp(db, testConfig({ baseUrl }))
  return { db, app, user, logs }
}

const json = { 'content-type': 'application/json' }

function sessionCookie(setCookie: string | null): string {
  const match = /helpdesk_session=([^;]+)/.exec(setCookie ?? '')
  if (!match?.[1]) throw new Error(`no session cookie in ${setCookie}`)
  return `helpdesk_session=${match[1]}`
}

describe('POST /api/v1/auth/login', () => {
  test('sets an httpOnly SameSite=Lax session cookie, and /me works with it', async () => {
    const { app, user, db } = await setup()
    const res = await call(app, 'POST', '/api/v1/auth/login', { headers: json, body: { login: user.login, password } })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ user: { id: user.id, role: 'requester', status: 'active' } })
    expect(res.text).not.toContain('password_hash')
    const setCookie = res.headers.get('set-cookie')
    expect(setCookie).toMatch(/HttpOnly/)
    expect(setCookie).toMatch(/SameSite=Lax/)
    expect(setCookie).toMatch(/Path=\//)
    expect(setCookie).not.toMatch(/Secure/)
    const me = await call(app, 'GET', '/api/v1/me', { headers: { cookie: sessionCookie(setCookie) } })
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ id: user.id, full_name: user.full_name })
    const journal = await db.selectFrom('audit_log').select(['action', 'channel']).execute()
    expect(journal).toEqual([{ action: 'auth.login', channel: 'api' }])
  })

  test('logging in again ends the browser’s previous session', async () => {
    const { app, user } = await setup()
    const first = await call(app, 'POST', '/api/v1/auth/login', {
      headers: json,
      body: { login: user.login, password },
    })
    const old = sessionCookie(first.headers.get('set-cookie'))
    const again = await call(app, 'POST', '/api/v1/auth/login', {
      headers: { ...json, cookie: old },
      body: { login: user.login, password },
    })
    const fresh = sessionCookie(again.headers.get('set-cookie'))
    expect(fresh).not.toBe(old)
    expect((await call(app, 'GET', '/api/v1/me', { headers: { cookie: old } })).status).toBe(401)
    expect((await call(app, 'GET', '/api/v1/me', { headers: { cookie: fresh } })).status).toBe(200)
  })

  test('the cookie is Secure when the site is https', async () => {
    const { app, user } = await setup('active', 'https://helpdesk.example')
    const res = await call(app, 'POST', '/api/v1/auth/login', { headers: json, body: { login: user.login, password } })
    expect(res.headers.get('set-cookie')).toMatch(/Secure/)
  })

  test('unknown, wrong, deactivated (right password) and throttled attempts get the same status and body', async () => {
    const { db, app, user } = await setup()
    const gone = await buildUser(db, {
      login: 'ushel',
      passwordHash: await hashPassword(password),
      status: 'deactivated',
    })
    const login = (body: unknown, ip: string) => call(app, 'POST', '/api/v1/auth/login', { headers: json, body, ip })
    for (let i = 0; i < 5; i++) await login({ login: user.login, password: `no${i}` }, '10.3.0.9')
    const answers = [
      await login({ login: 'nobody', password }, '10.3.0.1'),
      await login({ login: user.login, password: 'x' }, '10.3.0.2'),
      await login({ login: gone.login, password }, '10.3.0.3'),
      await login({ login: user.login, password }, '10.3.0.9'),
    ]
    for (const res of answers) {
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: LOGIN_REFUSED } })
      expect(res.headers.get('set-cookie')).toBeNull()
      expect(res.headers.get('retry-after')).toBeNull()
    }
    const reasons = await db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'auth.login_failed')
      .orderBy('id', 'desc')
      .limit(4)
      .execute()
    expect(reasons.map((r) => JSON.parse(r.details ?? '{}').reason).reverse()).toEqual([
      'unknown_login',
      'wrong_password',
      'status_deactivated',
      'throttled',
    ])
  })

  test('malformed JSON is 400, unknown fields and wrong types are 422, a form post is refused', async () => {
    const { app } = await setup()
    const bad = await call(app, 'POST', '/api/v1/auth/login', { headers: json, body: '{"login": ' })
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ error: { code: 'bad_request', message: 'Неверный JSON' } })
    const extra = await call(app, 'POST', '/api/v1/auth/login', {
      headers: json,
      body: { login: 'a', password: 'b', remember: true },
    })
    expect(extra.status).toBe(422)
    expect(extra.body).toMatchObject({ error: { code: 'validation' } })
    const wrongType = await call(app, 'POST', '/api/v1/auth/login', {
      headers: json,
      body: { login: 1, password: 'b' },
    })
    expect(wrongType.status).toBe(422)
    expect(wrongType.body).toMatchObject({ error: { code: 'validation', fields: [{ path: 'login' }] } })
    const form = await call(app, 'POST', '/api/v1/auth/login', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: 'login=a&password=b',
    })
    expect(form.status).toBe(403)
  })
})

describe('the throttle behind a reverse proxy (TRUST_PROXY)', () => {
  const proxy = '10.20.0.1'

  async function proxied(trustProxy: readonly string[]) {
    const { db } = await testDatabase()
    const user = await buildUser(db, { login: 'ivanova', passwordHash: await hashPassword(password) })
    const { app } = testApp(db, testConfig({ trustProxy }))
    const login = (client: string, pass: string, peer = proxy) =>
      call(app, 'POST', '/api/v1/auth/login', {
        headers: { ...json, 'x-forwarded-for': `203.0.113.66, ${client}` },
        ip: peer,
        body: { login: user.login, password: pass },
      })
    return { db, user, login }
  }

  test('a trusted proxy’s clients are told apart: one guessing does not stop another; the journal has the client', async () => {
    const { db, user, login } = await proxied([proxy])
    for (let i = 0; i < 8; i++) expect((await login('192.0.2.10', `no${i}`)).status).toBe(401)
    const other = await login('192.0.2.20', password)
    expect(other.status).toBe(200)
    const rows = await db.selectFrom('audit_log').select(['action', 'ip', 'subject_id']).orderBy('id').execute()
    expect(rows.at(-1)).toEqual({ action: 'auth.login', ip: '192.0.2.20', subject_id: user.id })
    expect(new Set(rows.slice(0, -1).map((r) => r.ip))).toEqual(new Set(['192.0.2.10']))
  })

  test('without TRUST_PROXY, or from a peer that is not the proxy, X-Forwarded-For is ignored', async () => {
    for (const [trust, peer] of [
      [[], proxy],
      [[proxy], '10.20.0.2'],
    ] as const) {
      const { db, login } = await proxied(trust)
      for (let i = 0; i < 6; i++) await login(`192.0.2.${i}`, `no${i}`, peer)
      // Forged addresses did not make six fresh clients: the peer itself is throttled.
      expect((await login('192.0.2.99', password, peer)).status).toBe(401)
      const ips = await db.selectFrom('audit_log').select('ip').distinct().execute()
      expect(ips).toEqual([{ ip: peer }])
    }
  })
})

describe('POST /api/v1/auth/logout', () => {
  test('ends the session: the cookie stops working and the logout is journaled', async () => {
    const { app, user, db } = await setup()
    const login = await call(app, 'POST', '/api/v1/auth/login', {
      headers: json,
      body: { login: user.login, password },
    })
    const cookie = sessionCookie(login.headers.get('set-cookie'))
    const out = await call(app, 'POST', '/api/v1/auth/logout', { headers: { cookie, origin: 'http://helpdesk.test' } })
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/helpdesk_session=;/)
    expect((await call(app, 'GET', '/api/v1/me', { headers: { cookie } })).status).toBe(401)
    const journal = await db.selectFrom('audit_log').select('action').orderBy('id').execute()
    expect(journal.map((r) => r.action)).toEqual(['auth.login', 'auth.logout'])
  })

  test('a cookie-authenticated write from a foreign origin is refused (CSRF)', async () => {
    const { app, user } = await setup()
    const login = await call(app, 'POST', '/api/v1/auth/login', {
      headers: json,
      body: { login: user.login, password },
    })
    const cookie = sessionCookie(login.headers.get('set-cookie'))
    const res = await call(app, 'POST', '/api/v1/auth/logout', { headers: { cookie, origin: 'http://evil.example' } })
    expect(res.status).toBe(403)
    expect((await call(app, 'GET', '/api/v1/me', { headers: { cookie } })).status).toBe(200)
  })
})

describe('authentication', () => {
  test('a bearer API token works; an unknown or revoked one is 401', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const caller = await apiUser(db)
    const ok = await call(app, 'GET', '/api/v1/me', { headers: caller.headers })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ id: caller.user.id })

    const unknown = await call(app, 'GET', '/api/v1/me', { headers: { authorization: `Bearer hd_${'x'.repeat(43)}` } })
    expect(unknown.status).toBe(401)
    expect(unknown.body).toMatchObject({ error: { code: 'unauthorized' } })

    await db.updateTable('api_tokens').set({ revoked_at: new Date().toISOString() }).execute()
    expect((await call(app, 'GET', '/api/v1/me', { headers: caller.headers })).status).toBe(401)
  })

  test('no credentials, a malformed header or a made-up cookie is 401', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    expect((await call(app, 'GET', '/api/v1/me')).status).toBe(401)
    expect((await call(app, 'GET', '/api/v1/me', { headers: { authorization: 'Basic YTpi' } })).status).toBe(401)
    expect((await call(app, 'GET', '/api/v1/me', { headers: { cookie: 'helpdesk_session=abc' } })).status).toBe(401)
  })

  test('a deactivated user’s token stops working at once', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const caller = await apiUser(db)
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', caller.user.id).execute()
    expect((await call(app, 'GET', '/api/v1/me', { headers: caller.headers })).status).toBe(401)
  })
})
