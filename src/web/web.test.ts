import { describe, expect, test } from 'vitest'
import { LOGIN_REFUSED } from '#src/users/login.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { SESSION_COOKIE } from '#src/users/sessions.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'
import { assetSize } from './static.ts'

const PASSWORD = 'длинный-пароль-42'

/** Opens the login form as a browser does: its pre-login cookie and the form's token. */
async function openLogin(app: ReturnType<typeof testApp>['app']) {
  const page = await getPage(app, '/login')
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  return { page, cookie, token }
}

async function loginAs(app: ReturnType<typeof testApp>['app'], login: string, password: string, ip = '10.0.0.1') {
  const { cookie, token } = await openLogin(app)
  const response = await app.request(
    '/login?next=%2Ftickets%2F5',
    {
      method: 'POST',
      body: new URLSearchParams({ _csrf: token, login, password }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    },
    { incoming: { socket: { remoteAddress: ip } } },
  )
  return { status: response.status, headers: response.headers, text: await response.text() }
}

async function journal(db: Awaited<ReturnType<typeof testDatabase>>['db'], action: string) {
  return db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()
}

describe('login', () => {
  test('an active person signs in with login and password and lands where they were going', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const user = await buildUser(db, { role: 'executor', login: 'ivanov', passwordHash: await hashPassword(PASSWORD) })
    const { page } = await openLogin(app)
    expect(page.status).toBe(200)
    expect(page.text).toContain('name="login"')
    expect(page.text).toContain('name="password"')

    const result = await loginAs(app, 'ivanov', PASSWORD)
    expect(result.status).toBe(303)
    expect(result.headers.get('location')).toBe('/tickets/5')
    const cookie = result.headers.get('set-cookie') ?? ''
    expect(cookie).toContain(`${SESSION_COOKIE}=`)
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    expect(await journal(db, 'auth.login')).toMatchObject([{ actor_id: user.id, channel: 'web', ip: '10.0.0.1' }])
  })

  test.each(['pending', 'rejected', 'deactivated'] as const)(
    'a %s account gets the answer of a wrong password, even for the right one',
    async (status) => {
      const { db } = await testDatabase()
      const { app } = testApp(db)
      await buildUser(db, { status, login: `u-${status}`, passwordHash: await hashPassword(PASSWORD) })
      const right = await loginAs(app, `u-${status}`, PASSWORD, '10.0.0.2')
      const wrong = await loginAs(app, `u-${status}`, 'не тот пароль', '10.0.0.3')
      expect(right.status).toBe(401)
      expect(wrong.status).toBe(401)
      expect(right.text).toContain(LOGIN_REFUSED)
      // The same page but for the form's token.
      const page = (text: string) => text.replace(/value="[^"]{20,}"/g, '')
      expect(page(right.text)).toBe(page(wrong.text))
      expect(right.headers.get('set-cookie') ?? '').not.toContain(SESSION_COOKIE)
      expect(await journal(db, 'auth.login_failed')).toHaveLength(2)
    },
  )

  test('a wrong password is refused generically, and the form keeps the login', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    await buildUser(db, { login: 'petrov', passwordHash: await hashPassword(PASSWORD) })
    const result = await loginAs(app, 'petrov', 'не тот пароль')
    expect(result.status).toBe(401)
    expect(result.text).toContain(LOGIN_REFUSED)
    expect(result.text).toContain('value="petrov"')
  })

  test('login without the form token is refused (login CSRF)', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    await buildUser(db, { login: 'sidorov', passwordHash: await hashPassword(PASSWORD) })
    const result = await postForm(app, '/login', undefined, { login: 'sidorov', password: PASSWORD })
    expect(result.status).toBe(403)
    expect(await journal(db, 'auth.login')).toHaveLength(0)
  })

  test('an open redirect through next is not followed', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const page = await getPage(app, '/login?next=//evil.example/')
    expect(page.text).toContain('action="/login?next=%2Ftickets"')
  })

  test('logout ends the session and is journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const result = await postForm(app, '/logout', who)
    expect(result.status).toBe(303)
    expect(result.location).toBe('/login')
    expect(await journal(db, 'auth.logout')).toMatchObject([{ actor_id: who.user.id, channel: 'web' }])
    const after = await getPage(app, '/tickets', who)
    expect(after.status).toBe(303)
  })
})

describe('sessions and CSRF', () => {
  test('a page without a session redirects to the login with where to come back', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const result = await getPage(app, '/tickets?status=new')
    expect(result.status).toBe(303)
    expect(result.location).toBe(`/login?next=${encodeURIComponent('/tickets?status=new')}`)
    // The home page (the staff dashboard) is behind the login too.
    expect((await getPage(app, '/')).location).toBe(`/login?next=${encodeURIComponent('/')}`)
  })

  test('a deactivated person’s session no longer opens pages', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', who.user.id).execute()
    expect((await getPage(app, '/tickets', who)).status).toBe(303)
  })

  test.each([
    ['missing', null],
    ['invalid', 'x'.repeat(43)],
  ])('a state change with a %s CSRF token is refused with 403 and changes nothing', async (_, token) => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const result = await postForm(app, `/tickets/${ticket.id}/take`, who, {}, { csrf: token })
    expect(result.status).toBe(403)
    const after = await db.selectFrom('tickets').selectAll().where('id', '=', ticket.id).executeTakeFirstOrThrow()
    expect(after.assignee_id).toBeNull()
    expect(after.status).toBe('new')
  })

  test('another session’s token is refused', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const other = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const result = await postForm(app, `/tickets/${ticket.id}/take`, who, {}, { csrf: other.csrf })
    expect(result.status).toBe(403)
  })

  test('a foreign Origin is refused even with the right token; the htmx header token is accepted', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const foreign = await postForm(
      app,
      `/tickets/${ticket.id}/take`,
      who,
      {},
      { headers: { origin: 'http://evil.example' } },
    )
    expect(foreign.status).toBe(403)
    const viaHeader = await postForm(
      app,
      `/tickets/${ticket.id}/take`,
      who,
      {},
      { csrf: null, headers: { 'x-csrf-token': who.csrf, origin: 'http://helpdesk.test' } },
    )
    expect(viaHeader.status).toBe(303)
  })
})

describe('pages are safe to render', () => {
  test('every page carries the CSP and has no inline script or style attribute', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'curator' })
    const ticket = await buildTicket(db)
    for (const path of ['/login', '/tickets', `/tickets/${ticket.id}`, '/tickets/new', '/tickets/999999']) {
      const page = await getPage(app, path, path === '/login' ? undefined : who)
      const csp = page.headers.get('content-security-policy') ?? ''
      expect(csp, path).toContain("default-src 'self'")
      expect(csp, path).toContain("frame-ancestors 'none'")
      expect(csp, path).not.toContain('unsafe-inline')
      expect(inlineProblems(page.text), path).toEqual([])
      expect(page.text.startsWith('<!DOCTYPE html>'), path).toBe(true)
    }
  })

  test('assets come from our own origin with long cache headers', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const page = await getPage(app, '/login')
    const urls = [...page.text.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1] ?? '')
    expect(urls).toHaveLength(4)
    for (const url of urls) {
      const asset = await app.request(url)
      expect(asset.status, url).toBe(200)
      expect(asset.headers.get('cache-control')).toContain('max-age=31536000')
    }
    expect((await app.request('/static/nothing.js')).status).toBe(404)
  })

  test('an unknown path is the web’s not-found page, in the person’s language; the API keeps its JSON', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const anonymous = await getPage(app, '/no/such/page')
    expect(anonymous.status).toBe(404)
    expect(anonymous.headers.get('content-type')).toContain('text/html')
    expect(anonymous.text).toContain('Страница не найдена')
    expect(anonymous.text).not.toContain('class="sidenav"')
    const who = await webUser(db, { role: 'executor' })
    await db.updateTable('users').set({ language: 'en' }).where('id', '=', who.user.id).execute()
    const signedIn = await getPage(app, '/no/such/page', who)
    expect(signedIn.status).toBe(404)
    expect(signedIn.text).toContain('Page not found')
    expect(signedIn.text).toContain('class="sidenav"')
    expect(inlineProblems(signedIn.text)).toEqual([])
    const api = await app.request('/api/v1/no-such-thing')
    expect(api.status).toBe(404)
    expect(api.headers.get('content-type')).toContain('json')
  })

  test('a refusal of a stale form is in the person’s language', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    await db.updateTable('users').set({ language: 'en' }).where('id', '=', who.user.id).execute()
    const ticket = await buildTicket(db)
    const result = await postForm(app, `/tickets/${ticket.id}/take`, who, {}, { csrf: null })
    expect(result.status).toBe(403)
    expect(result.text).toContain('Request refused: the form is out of date')
  })

  test('the API and health probes are untouched by the web', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    expect((await app.request('/healthz')).status).toBe(200)
    const api = await app.request('/api/v1/tickets')
    expect(api.status).toBe(401)
    expect(api.headers.get('content-type')).toContain('json')
  })
})

test('pages and assets are compressed for browsers that ask', async () => {
  const { db } = await testDatabase()
  const { app } = testApp(db)
  const who = await webUser(db, { role: 'admin' })
  const pages = ['/', '/tickets', '/stats', '/users', '/audit', '/profile', '/categories', '/registrations', '/nowhere']
  const encodings = await Promise.all(
    pages.map(async (path) => {
      const page = await app.request(path, { headers: { cookie: who.cookie, 'accept-encoding': 'gzip' } })
      return [path, page.headers.get('content-encoding')]
    }),
  )
  expect(encodings).toEqual(pages.map((path) => [path, 'gzip']))
  const css = await app.request('/static/app.css', { headers: { 'accept-encoding': 'gzip' } })
  expect(css.headers.get('content-encoding')).toBe('gzip')
})

test('a list of 50 tickets and a ticket page stay light', async () => {
  const { db } = await testDatabase()
  const { app } = testApp(db)
  const who = await webUser(db, { role: 'curator' })
  const category = await buildCategory(db)
  const requester = await buildUser(db)
  for (let i = 0; i < 55; i++) {
    await buildTicket(db, {
      title: `Не работает принтер в кабинете ${i}`,
      categoryId: category.id,
      requesterId: requester.id,
    })
  }
  const list = await getPage(app, '/tickets', who)
  const ticket = await getPage(app, '/tickets/1', who)
  expect(Buffer.byteLength(list.text)).toBeLessThan(80_000)
  expect(Buffer.byteLength(ticket.text)).toBeLessThan(30_000)
  // What crosses the wire: our stylesheet and script, gzipped as the server sends them.
  const gzipped = async (asset: string) => {
    const response = await app.request(`/static/${asset}`, { headers: { 'accept-encoding': 'gzip' } })
    return (await response.arrayBuffer()).byteLength
  }
  // As sent before gzip (app.css without its comments: static.ts); what crosses the wire is the gzipped figure below.
  expect(assetSize('app.css') + assetSize('app.js')).toBeLessThan(50_000)
  expect((await gzipped('app.css')) + (await gzipped('app.js'))).toBeLessThan(12_000)
})
