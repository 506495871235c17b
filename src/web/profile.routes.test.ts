import { describe, expect, test } from 'vitest'
import { hashPassword, verifyPassword } from '#src/users/passwords.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildConsent, buildDepartment } from '../../test/support/factories.ts'
import { journalOf, userRow } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, signIn, webUser } from '../../test/support/web.ts'

const OLD_PASSWORD = 'старый-пароль-2026'
const NEW_PASSWORD = 'новый-пароль-2026'

describe('the profile', () => {
  test.each(['requester', 'executor', 'curator', 'admin'] as const)(
    'a signed-in %s sees their own data, the Telegram link and their sessions',
    async (role) => {
      const { db } = await testDatabase()
      const { app } = testApp(db)
      const department = await buildDepartment(db, 'Приёмное отделение')
      const who = await webUser(db, { role, fullName: 'Иванова Мария', departmentId: department.id, login: 'ivanova' })
      const page = await getPage(app, '/profile', who)
      expect(page.status).toBe(200)
      expect(inlineProblems(page.text)).toEqual([])
      for (const text of [
        'Иванова Мария',
        'Приёмное отделение',
        who.user.room ?? '',
        'Привязан',
        '/login',
        'этот сеанс',
      ]) {
        expect(page.text).toContain(text)
      }
      expect(page.text).toContain('Смена пароля')
      // One's own data is not a disclosure: no journal entry for reading it.
      expect(await journalOf(db, 'user.view')).toEqual([])
    },
  )

  test('without Telegram or a login the page says how to link and how to sign in', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { telegramChatId: null })
    const page = await getPage(app, '/profile', who)
    expect(page.text).toContain('Не привязан')
    expect(page.text).not.toContain('Смена пароля')
    expect(page.text).toContain('Вход по паролю для вашей учётной записи не настроен')
  })

  test('a person edits their room and phone; the change is journaled without the values', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const saved = await postForm(app, '/profile/contacts', who, {
      room: 'Корпус 3, каб. 101',
      phone: '8 900 123-45-67',
    })
    expect(saved.status).toBe(303)
    expect(saved.location).toBe('/profile?done=contacts')
    expect(await userRow(db, who.user.id)).toMatchObject({ room: 'Корпус 3, каб. 101', phone: '+79001234567' })
    const [entry] = await journalOf(db, 'user.profile_update')
    expect(entry).toMatchObject({ actor_id: who.user.id, subject_id: who.user.id, pdn_related: 1 })
    expect(`${entry?.description}${entry?.details}`).not.toContain('101')
    expect((await getPage(app, '/profile?done=contacts', who)).text).toContain('Контакты сохранены')

    const refused = await postForm(app, '/profile/contacts', who, { room: 'Корпус 4', phone: 'позвоните мне' })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Неверный номер телефона')
    // The person's typing survives the refusal.
    expect(refused.text).toContain('позвоните мне')
    expect((await userRow(db, who.user.id)).room).toBe('Корпус 3, каб. 101')
  })

  test('switching to English: the next page, navigation included, is in English', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'admin' })
    const switched = await postForm(app, '/profile/language', who, { language: 'en' })
    expect(switched.status).toBe(303)
    expect((await userRow(db, who.user.id)).language).toBe('en')
    const page = await getPage(app, '/profile', who)
    expect(page.text).toContain('<html lang="en"')
    for (const text of ['>Tickets<', '>Users<', '>Audit journal<', 'Interface language', 'Sign out']) {
      expect(page.text).toContain(text)
    }
    expect(await journalOf(db, 'user.profile_update')).toMatchObject([{ pdn_related: 0 }])
    expect((await postForm(app, '/profile/language', who, { language: 'de' })).status).toBe(422)
    await postForm(app, '/profile/language', who, { language: 'ru' })
    expect((await getPage(app, '/profile', who)).text).toContain('<html lang="ru"')
  })

  test('choosing «Тёмная» darkens the next page; «Как в системе» follows the computer again', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const before = await getPage(app, '/profile', who)
    expect(before.text).toContain('Тема оформления')
    expect(before.text).not.toContain('data-theme')
    expect(before.text).toMatch(/<input type="radio" name="theme" value="system" checked/)

    const dark = await postForm(app, '/profile/theme', who, { theme: 'dark' })
    expect(dark.status).toBe(303)
    expect(dark.location).toBe('/profile?done=theme')
    expect((await userRow(db, who.user.id)).theme).toBe('dark')
    const page = await getPage(app, '/profile?done=theme', who)
    expect(page.text).toContain('<html lang="ru" data-theme="dark"')
    expect(page.text).toContain('Тема оформления изменена')
    expect(page.text).toMatch(/<input type="radio" name="theme" value="dark" checked/)
    // Every page of the person, not the profile alone.
    expect((await getPage(app, '/tickets', who)).text).toContain('data-theme="dark"')
    // A choice of the person's, not personal data: journaled, without the ПДн mark.
    expect(await journalOf(db, 'user.profile_update')).toMatchObject([
      { actor_id: who.user.id, subject_id: who.user.id, pdn_related: 0, details: '{"fields":["theme"]}' },
    ])

    await postForm(app, '/profile/theme', who, { theme: 'light' })
    expect((await getPage(app, '/profile', who)).text).toContain('<html lang="ru" data-theme="light"')
    await postForm(app, '/profile/theme', who, { theme: 'system' })
    expect((await userRow(db, who.user.id)).theme).toBe('system')
    expect((await getPage(app, '/profile', who)).text).not.toContain('data-theme')
    expect(await journalOf(db, 'user.profile_update')).toHaveLength(3)

    // The same choice again changes nothing and journals nothing; an unknown one is refused beside the form.
    await postForm(app, '/profile/theme', who, { theme: 'system' })
    const refused = await postForm(app, '/profile/theme', who, { theme: 'sepia' })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Выберите тему оформления')
    expect((await userRow(db, who.user.id)).theme).toBe('system')
    expect(await journalOf(db, 'user.profile_update')).toHaveLength(3)
  })

  test('the login page, with nobody signed in, follows the computer', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const login = await app.request('/login')
    expect(await login.text()).not.toContain('data-theme')
  })

  test('a password change needs the current password, the same new one twice, and a strong one', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { login: 'ivanova', passwordHash: await hashPassword(OLD_PASSWORD) })
    const cases: Array<[Record<string, string>, string]> = [
      [{ current: 'не тот', next: NEW_PASSWORD, repeat: NEW_PASSWORD }, 'Текущий пароль указан неверно'],
      [{ current: OLD_PASSWORD, next: NEW_PASSWORD, repeat: 'другой-пароль-2026' }, 'не совпадают'],
      [{ current: OLD_PASSWORD, next: 'short', repeat: 'short' }, 'не менее 8 символов'],
      [{ current: OLD_PASSWORD, next: 'password', repeat: 'password' }, 'слишком распространён'],
    ]
    for (const [fields, message] of cases) {
      const refused = await postForm(app, '/profile/password', who, fields)
      expect(refused.status, message).toBe(422)
      expect(refused.text, message).toContain(message)
    }
    const hash = (await userRow(db, who.user.id)).password_hash ?? ''
    expect(await verifyPassword(hash, OLD_PASSWORD)).toBe(true)
    // A wrong current password is an attempt worth journaling.
    expect(await journalOf(db, 'auth.password_change', 'denied')).toHaveLength(1)
  })

  test('a changed password ends the person’s other sessions but not this one', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { login: 'ivanova', passwordHash: await hashPassword(OLD_PASSWORD) })
    const elsewhere = await signIn(db, who.user)
    const changed = await postForm(app, '/profile/password', who, {
      current: OLD_PASSWORD,
      next: NEW_PASSWORD,
      repeat: NEW_PASSWORD,
    })
    expect(changed.status).toBe(303)
    expect(changed.location).toBe('/profile?done=password')
    expect(await verifyPassword((await userRow(db, who.user.id)).password_hash ?? '', NEW_PASSWORD)).toBe(true)
    expect((await getPage(app, '/profile', who)).status).toBe(200)
    expect((await getPage(app, '/profile', elsewhere)).status).toBe(303)
    const [entry] = await journalOf(db, 'auth.password_change')
    expect(entry).toMatchObject({ actor_id: who.user.id, subject_id: who.user.id })
    expect(JSON.parse(entry?.details ?? '{}')).toEqual({ sessionsRevoked: 1 })
    expect(`${entry?.description}${entry?.details}`).not.toContain(NEW_PASSWORD)
  })

  test('a person ends another of their own sessions; someone else’s session is not found', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const elsewhere = await signIn(db, who.user)
    const stranger = await webUser(db)
    const ids = async (userId: number) =>
      (
        await db
          .selectFrom('sessions')
          .select('id')
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .execute()
      ).map((s) => s.id)
    const [strangerSession] = await ids(stranger.user.id)
    const foreign = await postForm(app, '/profile/sessions/revoke', who, { session: strangerSession ?? '' })
    expect(foreign.status).toBe(404)
    expect((await getPage(app, '/tickets', stranger)).status).toBe(200)

    const mine = await ids(who.user.id)
    expect(mine).toHaveLength(2)
    const page = await getPage(app, '/profile', who)
    // The page names the other session in a form and marks its own as «этот сеанс».
    const listed = mine.filter((id) => page.text.includes(`value="${id}"`))
    expect(listed).toHaveLength(1)
    const ended = await postForm(app, '/profile/sessions/revoke', who, { session: listed[0] ?? '' })
    expect(ended.status).toBe(303)
    expect((await getPage(app, '/tickets', elsewhere)).status).toBe(303)
    expect((await getPage(app, '/tickets', who)).status).toBe(200)
  })
})

describe('withdrawing consent from the profile', () => {
  test('the person withdraws: the account is off at once, this session ends, the evidence is the web request', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    await buildConsent(db, who.user.id)
    const page = await getPage(app, '/profile', who)
    expect(page.text).toContain('Согласие на обработку персональных данных')
    expect(page.text).toContain('Отозвать согласие')

    const refused = await postForm(app, '/profile/consent/withdraw', who, {}, { csrf: null })
    expect(refused.status).toBe(403)
    expect((await userRow(db, who.user.id)).status).toBe('active')

    const withdrawn = await postForm(
      app,
      '/profile/consent/withdraw',
      who,
      {},
      { headers: { 'user-agent': 'Firefox' } },
    )
    expect(withdrawn.status).toBe(303)
    expect(withdrawn.location).toBe('/login')
    expect(withdrawn.headers.get('set-cookie')).toMatch(/helpdesk_session=;/)
    expect((await userRow(db, who.user.id)).status).toBe('deactivated')
    expect((await getPage(app, '/profile', who)).status).toBe(303)
    const records = await db
      .selectFrom('consent_records')
      .selectAll()
      .where('user_id', '=', who.user.id)
      .orderBy('id')
      .execute()
    expect(records.at(-1)).toMatchObject({ status: 'withdrawn', channel: 'web' })
    expect(JSON.parse(records.at(-1)?.evidence ?? '{}')).toMatchObject({ userAgent: 'Firefox' })
    expect(await journalOf(db, 'consent.withdraw')).toMatchObject([{ actor_id: who.user.id, subject_id: who.user.id }])
  })

  test('without a consent record there is nothing to withdraw', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    expect((await getPage(app, '/profile', who)).text).not.toContain('Отозвать согласие')
    const refused = await postForm(app, '/profile/consent/withdraw', who)
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('уже отозвано или не давалось')
    expect((await userRow(db, who.user.id)).status).toBe('active')
  })
})

describe('who may change a profile', () => {
  test.each(['pending', 'rejected', 'deactivated'] as const)(
    'a %s account with a session is sent to log in and changes nothing',
    async (status) => {
      const { db } = await testDatabase()
      const { app } = testApp(db)
      const who = await webUser(db)
      await db.updateTable('users').set({ status }).where('id', '=', who.user.id).execute()
      const page = await getPage(app, '/profile', who)
      expect(page.status).toBe(303)
      expect(page.location).toBe('/login?next=%2Fprofile')
      expect((await postForm(app, '/profile/language', who, { language: 'en' })).status).toBe(401)
      expect((await userRow(db, who.user.id)).language).toBe('ru')
    },
  )

  test('without the CSRF token nothing changes', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { login: 'ivanova', passwordHash: await hashPassword(OLD_PASSWORD) })
    const forms: Array<[string, Record<string, string>]> = [
      ['/profile/contacts', { room: 'Чужой кабинет', phone: '' }],
      ['/profile/language', { language: 'en' }],
      ['/profile/theme', { theme: 'dark' }],
      ['/profile/password', { current: OLD_PASSWORD, next: NEW_PASSWORD, repeat: NEW_PASSWORD }],
    ]
    for (const [path, fields] of forms) {
      expect((await postForm(app, path, who, fields, { csrf: null })).status, path).toBe(403)
    }
    const after = await userRow(db, who.user.id)
    expect(after).toMatchObject({ room: who.user.room, language: 'ru', theme: 'system' })
    expect(await verifyPassword(after.password_hash ?? '', OLD_PASSWORD)).toBe(true)
  })

  test('a visitor without a session is sent to log in', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const page = await getPage(app, '/profile')
    expect(page.status).toBe(303)
    expect(page.location).toBe('/login?next=%2Fprofile')
  })
})
