import { describe, expect, test } from 'vitest'
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

  test('a wrong password is a generic 401 and sets no cookie', async () => {
    const { app, user } = await setup()
    const res = await call(app, 'POST', '/api/v1/auth/login', {
      headers: json,
      body: { login: user.login, password: 'x' },
    })
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'Неверный логин или пароль' } })
    expect(res.headers.get('set-cookie')).toBeNull()
  })

  test('after 5 failures the account is locked: 429 even with the right password', async () => {
    const { app, user, db } = await setup()
    for (let i = 0; i < 5; i++) {
      const res = await call(app, 'POST', '/api/v1/auth/login', {
        headers: json,
        body: { login: user.login, password: `no${i}` },
      })
      expect(res.status).toBe(401)
    }
    const res = await call(app, 'POST', '/api/v1/auth/login', { headers: json, body: { login: user.login, password } })
    expect(res.status).toBe(429)
    expect(res.body).toMatchObject({ error: { code: 'rate_limited' } })
    const failed = await db.selectFrom('audit_log').select('result').where('action', '=', 'auth.login_failed').execute()
    expect(failed).toHaveLength(6)
    expect(failed.every((r) => r.result === 'denied')).toBe(true)
  })

  test('pending and deactivated accounts are refused with 403 and a Russian reason', async () => {
    for (const status of ['pending', 'deactivated'] as const) {
      const { app, user } = await setup(status)
      const res = await call(app, 'POST', '/api/v1/auth/login', {
        headers: json,
        body: { login: user.login, password },
      })
      expect(res.status).toBe(403)
      expect(res.body).toMatchObject({ error: { code: 'forbidden', message: expect.stringMatching(/Учётная запись/) } })
    }
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

describe('the per-address throttle', () => {
  test('20 failures from one address within 15 minutes make it wait (429); the journal has the address', async () => {
    const { app, user, db } = await setup()
    const ip = '10.20.30.40'
    for (let i = 0; i < 20; i++) {
      const res = await call(app, 'POST', '/api/v1/auth/login', {
        headers: json,
        ip,
        body: { login: `ghost${i}`, password: 'x' },
      })
      expect(res.status).toBe(401)
    }
    const blocked = await call(app, 'POST', '/api/v1/auth/login', {
      headers: json,
      ip,
      body: { login: user.login, password },
    })
    expect(blocked.status).toBe(429)
    const elsewhere = await call(app, 'POST', '/api/v1/auth/login', {
      headers: json,
      ip: '::ffff:10.20.30.41',
      body: { login: user.login, password },
    })
    expect(elsewhere.status).toBe(200)
    const last = await db
      .selectFrom('audit_log')
      .select(['action', 'ip'])
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    expect(last).toEqual({ action: 'auth.login', ip: '10.20.30.41' })
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
