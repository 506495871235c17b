import { generate } from 'otplib'
import { describe, expect, test } from 'vitest'
import { hashPassword } from '#src/users/passwords.ts'
import { TOTP_PERIOD_S } from '#src/users/totp.ts'
import { apiUser, call, expectCleanError, testApp, testConfig } from '../../test/support/api.ts'
import { setTestClock, T0 } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'

const password = 'пароль-для-теста-42'
const json = { 'content-type': 'application/json' }

function codeAt(secret: string, at: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(at / 1000) })
}

async function setup(require2fa: ('curator' | 'admin')[] = []) {
  const { db } = await testDatabase()
  const person = await apiUser(db, { role: 'curator', login: 'petrova', passwordHash: await hashPassword(password) })
  const { app } = testApp(db, testConfig({ require2fa }))
  return { db, app, person }
}

describe('TOTP over the API', () => {
  test('enrol, confirm (a wrong code is 422), then login asks for the code: totp_required, wrong → 401, right → 200', async () => {
    const { app, person } = await setup()
    setTestClock(T0)
    const begun = await call(app, 'POST', '/api/v1/me/totp', { headers: person.headers })
    expect(begun.status).toBe(201)
    const { secret, otpauth_url } = begun.body as { secret: string; otpauth_url: string }
    expect(otpauth_url).toMatch(/^otpauth:\/\/totp\//)

    const right = await codeAt(secret, T0)
    const bad = await call(app, 'POST', '/api/v1/me/totp/confirm', {
      headers: person.headers,
      body: { code: right === '000000' ? '111111' : '000000' },
    })
    expectCleanError(bad, 422, 'validation')
    const confirmed = await call(app, 'POST', '/api/v1/me/totp/confirm', {
      headers: person.headers,
      body: { code: right },
    })
    expect(confirmed.status).toBe(200)
    expect((confirmed.body as { recovery_codes: string[] }).recovery_codes).toHaveLength(10)

    // A later time step, so that a fresh code is not the one the confirmation spent.
    const later = T0 + 5 * TOTP_PERIOD_S * 1000
    setTestClock(later)
    const login = (body: Record<string, unknown>) =>
      call(app, 'POST', '/api/v1/auth/login', { headers: json, body: { login: 'petrova', ...body } })
    expectCleanError(await login({ password }), 401, 'totp_required')
    const code = await codeAt(secret, later)
    // A right code does not rescue a wrong password: the usual refusal, not totp_required.
    expectCleanError(await login({ password: 'не тот', totp_code: code }), 401, 'unauthorized')
    const wrong = code === '000000' ? '111111' : '000000'
    expectCleanError(await login({ password, totp_code: wrong }), 401, 'unauthorized')
    const ok = await login({ password, totp_code: code })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('set-cookie')).toMatch(/helpdesk_session=/)
    expectCleanError(await login({ password, totp_code: code }), 401, 'unauthorized')
  })

  test('DELETE /me/totp: refused for a role the policy requires it of, allowed otherwise with a code', async () => {
    for (const policy of [['curator'] as 'curator'[], []]) {
      const { app, person } = await setup(policy)
      setTestClock(T0)
      const begun = await call(app, 'POST', '/api/v1/me/totp', { headers: person.headers })
      const { secret } = begun.body as { secret: string }
      await call(app, 'POST', '/api/v1/me/totp/confirm', {
        headers: person.headers,
        body: { code: await codeAt(secret, T0) },
      })
      const later = T0 + 3 * TOTP_PERIOD_S * 1000
      setTestClock(later)
      const off = await call(app, 'DELETE', '/api/v1/me/totp', {
        headers: person.headers,
        body: { code: await codeAt(secret, later) },
      })
      if (policy.length > 0) expectCleanError(off, 403, 'forbidden')
      else expect(off.status).toBe(204)
    }
  })
})

describe('AUTH_REQUIRE_2FA over the API', () => {
  test('a curator session without 2FA gets 403 totp_enrollment_required except /me, enrolment and logout; a bearer token is not asked', async () => {
    const { app, person } = await setup(['curator'])
    setTestClock(T0)
    const login = await call(app, 'POST', '/api/v1/auth/login', { headers: json, body: { login: 'petrova', password } })
    expect(login.status).toBe(200)
    const cookie = /helpdesk_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0] ?? ''
    const session = { cookie, 'content-type': 'application/json' }
    expectCleanError(await call(app, 'GET', '/api/v1/tickets', { headers: session }), 403, 'totp_enrollment_required')
    expect((await call(app, 'GET', '/api/v1/me', { headers: session })).status).toBe(200)
    expect((await call(app, 'GET', '/api/v1/tickets', { headers: person.headers })).status).toBe(200)
    const begun = await call(app, 'POST', '/api/v1/me/totp', { headers: session })
    expect(begun.status).toBe(201)
    const { secret } = begun.body as { secret: string }
    const confirmed = await call(app, 'POST', '/api/v1/me/totp/confirm', {
      headers: session,
      body: { code: await codeAt(secret, T0) },
    })
    expect(confirmed.status).toBe(200)
    expect((await call(app, 'GET', '/api/v1/tickets', { headers: session })).status).toBe(200)
    expect((await call(app, 'POST', '/api/v1/auth/logout', { headers: session })).status).toBe(204)
  })
})
