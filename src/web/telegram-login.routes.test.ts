import { describe, expect, test } from 'vitest'
import type { Db, User } from '#src/db/schema.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { createLoginLink, LOGIN_LINK_MINUTES, loginLinkMessages } from '#src/users/login-links.ts'
import { createSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { testApp } from '../../test/support/api.ts'
import { clockAt } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildConsent, buildUser } from '../../test/support/factories.ts'
import { getPage } from '../../test/support/web.ts'

type App = ReturnType<typeof testApp>['app']

async function linkFor(db: Db, user: User): Promise<string> {
  const link = await createLoginLink(db, actorFromUser(user, 'bot'), { userId: user.id })
  return `/login/telegram/${link.token}`
}

/** Opens the link as a browser does: the pre-login cookie and the form's token. */
async function openLink(app: App, path: string) {
  const page = await getPage(app, path)
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  return { page, cookie, csrf }
}

async function press(app: App, path: string, cookie: string, csrf: string, headers: Record<string, string> = {}) {
  const response = await app.request(path, {
    method: 'POST',
    body: new URLSearchParams({ _csrf: csrf }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
  })
  return {
    status: response.status,
    location: response.headers.get('location'),
    setCookie: response.headers.get('set-cookie') ?? '',
    text: await response.text(),
  }
}

async function sessions(db: Db, userId: number) {
  return db.selectFrom('sessions').selectAll().where('user_id', '=', userId).execute()
}

describe('GET /login/telegram/:token', () => {
  test('shows the «Войти» form and does not use the link up (messengers prefetch links)', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const user = await buildUser(db)
    const path = await linkFor(db, user)

    const first = await getPage(app, path)
    const second = await getPage(app, path)

    for (const page of [first, second]) {
      expect(page.status).toBe(200)
      expect(page.text).toContain('Вход по ссылке из Telegram')
      expect(page.text).toContain(`action="${path}"`)
      expect(page.text).toMatch(/method="post"/)
      expect(page.headers.get('set-cookie') ?? '').not.toContain(SESSION_COOKIE)
    }
    expect(await sessions(db, user.id)).toEqual([])
    expect((await db.selectFrom('login_links').select('used_at').executeTakeFirst())?.used_at).toBeNull()
  })

  test('an unknown link shows the login page with the reason', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const page = await getPage(app, `/login/telegram/${'a'.repeat(43)}`)
    expect(page.status).toBe(410)
    expect(page.text).toContain(loginLinkMessages.unknown)
    expect(page.text).toContain('name="password"')
  })
})

describe('POST /login/telegram/:token', () => {
  test('signs in: the session cookie as the password login sets it, then the home page', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const user = await buildUser(db)
    // Registered through the bot, with its consent: nothing stands before the home page (issue 10).
    await buildConsent(db, user.id)
    const path = await linkFor(db, user)
    const { cookie, csrf } = await openLink(app, path)

    const result = await press(app, path, cookie, csrf)

    expect(result.status).toBe(303)
    expect(result.location).toBe('/')
    expect(result.setCookie).toMatch(new RegExp(`${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`))
    expect(result.setCookie).toMatch(/HttpOnly/i)
    expect(result.setCookie).toMatch(/SameSite=Lax/i)
    expect(await sessions(db, user.id)).toHaveLength(1)
    const sessionCookie = /helpdesk_session=([^;]+)/.exec(result.setCookie)?.[1] ?? ''
    const home = await getPage(app, '/tickets', { user, cookie: `${SESSION_COOKIE}=${sessionCookie}`, csrf: '' })
    expect(home.status).toBe(200)
    const login = await db.selectFrom('audit_log').selectAll().where('action', '=', 'auth.login').execute()
    expect(login).toHaveLength(1)
    expect(login[0]).toMatchObject({ actor_id: user.id, channel: 'web' })
  })

  test('the second press is refused with a clear message and opens no session', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const user = await buildUser(db)
    const path = await linkFor(db, user)
    const { cookie, csrf } = await openLink(app, path)
    expect((await press(app, path, cookie, csrf)).status).toBe(303)

    const again = await press(app, path, cookie, csrf)

    expect(again.status).toBe(410)
    expect(again.text).toContain(loginLinkMessages.used)
    expect(again.setCookie).not.toContain(`${SESSION_COOKIE}=`)
    expect(await sessions(db, user.id)).toHaveLength(1)
    // Opening it again tells the same.
    expect((await getPage(app, path)).text).toContain(loginLinkMessages.used)
  })

  test('an expired link is refused', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    clockAt(0)
    const user = await buildUser(db)
    const path = await linkFor(db, user)
    const { cookie, csrf } = await openLink(app, path)
    clockAt(LOGIN_LINK_MINUTES * 60_000 + 1)

    const result = await press(app, path, cookie, csrf)

    expect(result.status).toBe(410)
    expect(result.text).toContain('Срок действия ссылки для входа истёк')
    expect(await sessions(db, user.id)).toEqual([])
  })

  test('a deactivated person is refused', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const user = await buildUser(db)
    const path = await linkFor(db, user)
    const { cookie, csrf } = await openLink(app, path)
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', user.id).execute()

    const result = await press(app, path, cookie, csrf)

    expect(result.status).toBe(403)
    expect(result.text).toContain('Учётная запись отключена')
    expect(await sessions(db, user.id)).toEqual([])
    expect((await getPage(app, path)).text).toContain('Учётная запись отключена')
  })

  test('without the pre-login cookie and token, or from a foreign site, nothing happens (login CSRF)', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const user = await buildUser(db)
    const path = await linkFor(db, user)
    const { cookie, csrf } = await openLink(app, path)

    expect((await press(app, path, '', csrf)).status).toBe(403)
    expect((await press(app, path, cookie, 'forged')).status).toBe(403)
    expect((await press(app, path, cookie, csrf, { origin: 'https://evil.example' })).status).toBe(403)
    expect(await sessions(db, user.id)).toEqual([])
    expect((await db.selectFrom('login_links').select('used_at').executeTakeFirst())?.used_at).toBeNull()
  })

  test('signing in by link ends the session the browser had before', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const someone = await buildUser(db)
    const before = await createSession(db, someone.id, { ip: null, userAgent: null })
    const user = await buildUser(db)
    const path = await linkFor(db, user)
    const { cookie, csrf } = await openLink(app, path)

    await press(app, path, `${cookie}; ${SESSION_COOKIE}=${before.token}`, csrf)

    expect((await sessions(db, someone.id))[0]?.revoked_at).not.toBeNull()
  })
})
