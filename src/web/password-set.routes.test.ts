import { describe, expect, test } from 'vitest'
import type { Db, User } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { issuePasswordLink, PASSWORD_LINK_HOURS, passwordLinkMessages } from '#src/users/password-links.ts'
import { verifyPassword } from '#src/users/passwords.ts'
import { SESSION_COOKIE } from '#src/users/sessions.ts'
import { testApp } from '../../test/support/api.ts'
import { clockAt } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { journalOf, userRow } from '../../test/support/state.ts'
import { getPage, inlineProblems } from '../../test/support/web.ts'

type App = ReturnType<typeof testApp>['app']

const GOOD = 'зелёный трамвай 42'

async function linkFor(db: Db, user: User): Promise<string> {
  const admin = await buildUser(db, { role: 'admin' })
  const link = await transact(db, (tx) => issuePasswordLink(tx, actorFromUser(admin, 'web'), user))
  return `/password/set/${link.token}`
}

/** Opens the link as a browser does: the pre-login cookie and the form's token. */
async function openLink(app: App, path: string) {
  const page = await getPage(app, path)
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  return { page, cookie, csrf }
}

async function submit(app: App, path: string, cookie: string, fields: Record<string, string>) {
  const response = await app.request(path, {
    method: 'POST',
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
  })
  return {
    status: response.status,
    location: response.headers.get('location'),
    setCookie: response.headers.get('set-cookie') ?? '',
    text: await response.text(),
  }
}

describe('/password/set/:token', () => {
  test('the page shows the form and the consent without spending the link; the post sets the password and signs in', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const user = await buildUser(db, { login: 'ivanova' })
    const path = await linkFor(db, user)

    const { page, cookie, csrf } = await openLink(app, path)
    await getPage(app, path)

    expect(page.status).toBe(200)
    expect(page.text).toContain('Установка пароля')
    expect(page.text).toContain(`action="${path}"`)
    expect(page.text).toContain('name="consent"')
    expect(page.text).toContain('Согласие на обработку персональных данных')
    expect(inlineProblems(page.text)).toEqual([])
    expect((await db.selectFrom('password_links').select('used_at').executeTakeFirst())?.used_at).toBeNull()

    const done = await submit(app, path, cookie, { _csrf: csrf, password: GOOD, repeat: GOOD, consent: '1' })

    expect(done.status).toBe(303)
    expect(done.location).toBe('/')
    const session = new RegExp(`${SESSION_COOKIE}=([A-Za-z0-9_-]{43});`).exec(done.setCookie)?.[1] ?? ''
    const home = await getPage(app, '/tickets', { user, cookie: `${SESSION_COOKIE}=${session}`, csrf: '' })
    expect(home.status).toBe(200)
    expect(await verifyPassword((await userRow(db, user.id)).password_hash ?? '', GOOD)).toBe(true)
    expect(await journalOf(db, 'consent.give')).toHaveLength(1)

    const again = await submit(app, path, cookie, { _csrf: csrf, password: GOOD, repeat: GOOD, consent: '1' })
    expect(again.status).toBe(410)
    expect(again.text).toContain(passwordLinkMessages.used)
    expect((await getPage(app, path)).text).toContain(passwordLinkMessages.used)
  })

  test('a refused password or a missing consent shows the form again with the reason, and the link still works', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const user = await buildUser(db, { login: 'petrova' })
    const path = await linkFor(db, user)
    const { cookie, csrf } = await openLink(app, path)

    const weak = await submit(app, path, cookie, {
      _csrf: csrf,
      password: 'qwerty123',
      repeat: 'qwerty123',
      consent: '1',
    })
    expect(weak.status).toBe(422)
    expect(weak.text).toContain('утёкших')
    expect(weak.text).toContain('name="repeat"')
    const noConsent = await submit(app, path, cookie, { _csrf: csrf, password: GOOD, repeat: GOOD })
    expect(noConsent.status).toBe(422)
    expect(noConsent.text).toContain(passwordLinkMessages.consent)
    expect((await userRow(db, user.id)).password_hash).toBeNull()

    const done = await submit(app, path, cookie, { _csrf: csrf, password: GOOD, repeat: GOOD, consent: '1' })
    expect(done.status).toBe(303)
  })

  test('an expired or unknown link shows the login page with the reason', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    clockAt(0)
    const path = await linkFor(db, await buildUser(db, { login: 'sidorov' }))
    const { cookie, csrf } = await openLink(app, path)
    clockAt(PASSWORD_LINK_HOURS * 3_600_000)

    const late = await submit(app, path, cookie, { _csrf: csrf, password: GOOD, repeat: GOOD, consent: '1' })
    expect(late.status).toBe(410)
    expect(late.text).toContain(passwordLinkMessages.expired)
    expect(late.text).toContain('name="password"')
    const unknown = await getPage(app, `/password/set/${'a'.repeat(43)}`)
    expect(unknown.status).toBe(410)
    expect(unknown.text).toContain(passwordLinkMessages.unknown)
  })

  test('without the pre-login cookie and token nothing happens (login CSRF)', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const user = await buildUser(db, { login: 'kozlov' })
    const path = await linkFor(db, user)
    const { cookie, csrf } = await openLink(app, path)

    const fields = { password: GOOD, repeat: GOOD, consent: '1' }
    expect((await submit(app, path, '', { _csrf: csrf, ...fields })).status).toBe(403)
    expect((await submit(app, path, cookie, { _csrf: 'forged', ...fields })).status).toBe(403)
    expect((await userRow(db, user.id)).password_hash).toBeNull()
    expect((await db.selectFrom('password_links').select('used_at').executeTakeFirst())?.used_at).toBeNull()
  })
})
