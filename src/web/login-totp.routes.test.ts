import { generate } from 'otplib'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { beginTotp } from '#src/users/begin-totp.ts'
import { confirmTotp } from '#src/users/confirm-totp.ts'
import { createLoginLink } from '#src/users/login-links.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { TOTP_PERIOD_S } from '#src/users/totp.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { setTestClock, T0 } from '../../test/support/clock.ts'
import { CookieBrowser, csrfOf } from '../../test/support/cookie-browser.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { getPage, inlineProblems, postForm, signIn } from '../../test/support/web.ts'

const PASSWORD = 'длинный-пароль-42'
const config = testConfig()
const LATER = T0 + 10 * TOTP_PERIOD_S * 1000

async function enrolledUser(db: Db) {
  const user = await buildUser(db, { role: 'admin', login: 'glavnyi', passwordHash: await hashPassword(PASSWORD) })
  setTestClock(T0)
  const { secret } = await beginTotp(db, actorFromUser(user, 'web'), config.secretKey)
  const recovery = await confirmTotp(
    db,
    actorFromUser(user, 'web'),
    config.secretKey,
    await generate({ secret, epoch: T0 / 1000 }),
  )
  setTestClock(LATER)
  return { user, secret, recovery }
}

/** The password step: ends on the code page. */
async function passwordStep(browser: CookieBrowser) {
  const form = await browser.request('/login')
  const step = await browser.post('/login?next=%2Ftickets', {
    _csrf: csrfOf(form.text),
    login: 'glavnyi',
    password: PASSWORD,
  })
  expect(step.status).toBe(303)
  expect(step.location).toBe('/login/code?next=%2Ftickets')
  expect(browser.jar.has('helpdesk_session')).toBe(false)
  return browser.request(step.location ?? '')
}

describe('web login with a TOTP code', () => {
  test('password, then «Код из приложения»: a wrong code stays on the step, the right one signs in, once', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, config)
    const { secret } = await enrolledUser(db)
    const browser = new CookieBrowser(app)
    const page = await passwordStep(browser)
    expect(page.status).toBe(200)
    expect(page.text).toContain('name="code"')
    expect(page.text).toContain('Ввести резервный код')
    expect(inlineProblems(page.text)).toEqual([])
    const code = await generate({ secret, epoch: LATER / 1000 })
    const wrong = await browser.post('/login/code?next=%2Ftickets', {
      _csrf: csrfOf(page.text),
      code: code === '000000' ? '111111' : '000000',
    })
    expect(wrong.status).toBe(401)
    expect(wrong.text).toContain('Неверный или уже использованный код')
    const right = await browser.post('/login/code?next=%2Ftickets', { _csrf: csrfOf(page.text), code })
    expect([right.status, right.location]).toEqual([303, '/tickets'])
    expect(browser.jar.has('helpdesk_session')).toBe(true)
    expect(browser.jar.has('helpdesk_2fa')).toBe(false)

    // The same code from another browser is refused: a step is used once.
    const other = new CookieBrowser(app)
    const again = await passwordStep(other)
    const replay = await other.post('/login/code?next=%2Ftickets', { _csrf: csrfOf(again.text), code })
    expect(replay.status).toBe(401)
    expect(other.jar.has('helpdesk_session')).toBe(false)
  })

  test('«Ввести резервный код»: a recovery code signs in once', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, config)
    const { recovery } = await enrolledUser(db)
    for (const expected of [303, 401]) {
      const browser = new CookieBrowser(app)
      await passwordStep(browser)
      const page = await browser.request('/login/code?recovery=1&next=%2Ftickets')
      expect(page.text).toContain('Резервный код')
      const result = await browser.post('/login/code?next=%2Ftickets', {
        _csrf: csrfOf(page.text),
        code: recovery[0] ?? '',
      })
      expect(result.status).toBe(expected)
    }
  })

  test('the bot’s one-time link stands for the password only: an account with 2FA is asked its code next', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, config)
    const { user, secret } = await enrolledUser(db)
    const link = await createLoginLink(db, actorFromUser(user, 'bot'), { userId: user.id })
    const browser = new CookieBrowser(app)
    const page = await browser.request(`/login/telegram/${link.token}`)
    const step = await browser.post(`/login/telegram/${link.token}`, { _csrf: csrfOf(page.text) })
    expect([step.status, step.location]).toEqual([303, '/login/code?next=%2F'])
    expect(browser.jar.has('helpdesk_session')).toBe(false)
    expect(await db.selectFrom('sessions').select('id').execute()).toEqual([])
    // The link is spent either way: it cannot be opened again to skip the code.
    const again = await browser.post(`/login/telegram/${link.token}`, { _csrf: csrfOf(page.text) })
    expect(again.status).toBe(410)

    const codePage = await browser.request(step.location ?? '')
    expect(codePage.text).toContain('name="code"')
    const code = await generate({ secret, epoch: LATER / 1000 })
    const done = await browser.post('/login/code?next=%2F', { _csrf: csrfOf(codePage.text), code })
    expect([done.status, done.location]).toEqual([303, '/'])
    expect(browser.jar.has('helpdesk_session')).toBe(true)
    const login = await db
      .selectFrom('audit_log')
      .select(['action', 'actor_id'])
      .where('action', '=', 'auth.login')
      .execute()
    expect(login).toEqual([{ action: 'auth.login', actor_id: user.id }])
  })

  test('without a right password there is no code step: no ticket, a forged one is refused', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, config)
    const { user, secret } = await enrolledUser(db)
    const browser = new CookieBrowser(app)
    expect((await browser.request('/login/code')).location).toBe('/login?next=%2Ftickets')
    const form = await browser.request('/login')
    const wrong = await browser.post('/login', { _csrf: csrfOf(form.text), login: 'glavnyi', password: 'не тот' })
    expect(wrong.status).toBe(401)
    expect(browser.jar.has('helpdesk_2fa')).toBe(false)
    browser.jar.set('helpdesk_2fa', `${user.id}.${LATER + 60_000}.${'A'.repeat(43)}`)
    const code = await generate({ secret, epoch: LATER / 1000 })
    const forged = await browser.post('/login/code', { _csrf: csrfOf(form.text), code })
    expect(forged.status).toBe(401)
    expect(browser.jar.has('helpdesk_session')).toBe(false)
  })
})

describe('«Профиль → Двухфакторная защита»', () => {
  test('QR as inline SVG and the key, a wrong code refused beside the form, then ten recovery codes shown once with «Скачать»', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, config)
    const user = await buildUser(db, {
      role: 'executor',
      login: 'ispolnitel',
      passwordHash: await hashPassword(PASSWORD),
    })
    const who = await signIn(db, user)
    setTestClock(T0)
    const profile = await getPage(app, '/profile', who)
    expect(profile.text).toContain('href="/profile/2fa"')
    const start = await getPage(app, '/profile/2fa', who)
    expect(start.text).toContain('action="/profile/2fa/begin"')
    const begun = await postForm(app, '/profile/2fa/begin', who)
    expect(begun.status).toBe(200)
    expect(begun.headers.get('cache-control')).toBe('no-store')
    expect(begun.text).toContain('<svg')
    expect(inlineProblems(begun.text)).toEqual([])
    const secret = /<code>([A-Z2-7]+)<\/code>/.exec(begun.text)?.[1] ?? ''
    expect(secret).not.toBe('')
    const code = await generate({ secret, epoch: T0 / 1000 })
    const wrong = await postForm(app, '/profile/2fa/confirm', who, { code: code === '000000' ? '111111' : '000000' })
    expect(wrong.status).toBe(422)
    expect(wrong.text).toContain('Неверный или уже использованный код')
    const done = await postForm(app, '/profile/2fa/confirm', who, { code })
    expect(done.status).toBe(200)
    const codes = /<pre>([^<]+)<\/pre>/.exec(done.text)?.[1]?.trim().split('\n') ?? []
    expect(codes).toHaveLength(10)
    expect(done.text).toContain('download="helpdesk-recovery-codes.txt"')
    expect((await getPage(app, '/profile/2fa', who)).text).not.toContain(codes[0] ?? '-')
    // Turned off with a recovery code (the policy names no role here).
    const off = await postForm(app, '/profile/2fa/disable', who, { code: codes[0] ?? '' })
    expect([off.status, off.location]).toEqual([303, '/profile/2fa?done=off'])
  })
})

describe('AUTH_REQUIRE_2FA on the web', () => {
  test('a curator without 2FA is sent to the enrolment from every page until enrolled; a requester is not', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, testConfig({ require2fa: ['curator', 'admin'] }))
    const curator = await signIn(db, await buildUser(db, { role: 'curator' }))
    const requester = await signIn(db, await buildUser(db, { role: 'requester' }))
    expect((await getPage(app, '/tickets', requester)).status).toBe(200)
    for (const path of ['/tickets', '/profile', '/users']) {
      const page = await getPage(app, path, curator)
      expect([page.status, page.location]).toEqual([303, '/profile/2fa'])
    }
    expect((await postForm(app, '/profile/contacts', curator, { room: '1' })).status).toBe(403)
    setTestClock(T0)
    const begun = await postForm(app, '/profile/2fa/begin', curator)
    const secret = /<code>([A-Z2-7]+)<\/code>/.exec(begun.text)?.[1] ?? ''
    const done = await postForm(app, '/profile/2fa/confirm', curator, {
      code: await generate({ secret, epoch: T0 / 1000 }),
    })
    expect(done.status).toBe(200)
    expect((await getPage(app, '/tickets', curator)).status).toBe(200)
  })
})

describe('«Сбросить 2FA» on a user’s page', () => {
  test('an admin resets an enrolled person’s 2FA: the person’s sessions end and the password alone signs in again', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, config)
    const { user } = await enrolledUser(db)
    const person = await signIn(db, user)
    const admin = await signIn(db, await buildUser(db, { role: 'admin' }))
    const page = await getPage(app, `/users/${user.id}`, admin)
    expect(page.text).toContain(`action="/users/${user.id}/totp-reset"`)
    const reset = await postForm(app, `/users/${user.id}/totp-reset`, admin)
    expect(reset.status).toBe(303)
    expect((await getPage(app, '/tickets', person)).status).toBe(303)
    expect((await getPage(app, `/users/${user.id}`, admin)).text).not.toContain('totp-reset"')
    const browser = new CookieBrowser(app)
    const form = await browser.request('/login')
    const login = await browser.post('/login', { _csrf: csrfOf(form.text), login: 'glavnyi', password: PASSWORD })
    expect([login.status, login.location]).toEqual([303, '/tickets'])
  })
})
