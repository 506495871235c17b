import { describe, expect, test } from 'vitest'
import { actorFromUser } from '#src/users/actor.ts'
import { createApiToken, resolveApiToken } from '#src/users/api-tokens.ts'
import { createSession, resolveSession } from '#src/users/sessions.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildDepartment, buildUser } from '../../test/support/factories.ts'
import { journalOf, outboxOf } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

const LINK = /\/password\/set\/([A-Za-z0-9_-]{43})/

describe('«Новый пользователь»', () => {
  test('an admin creates an executor: the answer shows the link once, which opens the set-password page', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const department = await buildDepartment(db, 'Хирургия')

    const list = await getPage(app, '/users', admin)
    expect(list.text).toContain('href="/users/new"')
    const form = await getPage(app, '/users/new', admin)
    expect(form.status).toBe(200)
    expect(form.text).toContain('name="login"')
    expect(form.text).toContain('value="admin"')
    expect(inlineProblems(form.text)).toEqual([])

    const done = await postForm(app, '/users/new', admin, {
      full_name: 'Смирнова Анна Петровна',
      login: 'a.smirnova',
      role: 'executor',
      department: String(department.id),
      chat_id: '700100200',
    })

    expect(done.status).toBe(200)
    expect(done.headers.get('cache-control')).toContain('no-store')
    const token = LINK.exec(done.text)?.[1] ?? ''
    expect(token).not.toBe('')
    expect(done.text).toContain('отправлена пользователю в Telegram')
    const created = await db.selectFrom('users').selectAll().where('login', '=', 'a.smirnova').executeTakeFirstOrThrow()
    expect(created).toMatchObject({ role: 'executor', department_id: department.id, password_hash: null })
    expect((await outboxOf(db, 'bot_message')).map((m) => m.recipient)).toEqual(['700100200'])
    expect((await getPage(app, `/password/set/${token}`)).text).toContain('a.smirnova')
  })

  test('a curator creates requesters only; a refused form says why and keeps what was typed', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })

    const form = await getPage(app, '/users/new', curator)
    expect(form.text).toContain('value="requester"')
    expect(form.text).not.toContain('value="executor"')
    const refused = await postForm(app, '/users/new', curator, {
      full_name: 'Исполнитель',
      login: 'exec1',
      role: 'executor',
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Куратор может создавать только пользователей с ролью')
    expect(refused.text).toContain('value="exec1"')
    expect(await journalOf(db, 'user.create', 'denied')).toHaveLength(1)

    const bad = await postForm(app, '/users/new', curator, { full_name: 'Заявитель', login: 'ж', role: 'requester' })
    expect(bad.status).toBe(422)
    expect(bad.text).toContain('Логин: от 2 до 64 символов')

    const ok = await postForm(app, '/users/new', curator, { full_name: 'Заявитель', login: 'req1', role: 'requester' })
    expect(ok.status).toBe(200)
    expect(ok.text).toMatch(LINK)
    expect(await db.selectFrom('users').select('id').where('login', '=', 'req1').execute()).toHaveLength(1)
  })

  test('executors and requesters get the 404 page, journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    for (const role of ['executor', 'requester'] as const) {
      const who = await webUser(db, { role })
      expect((await getPage(app, '/users/new', who)).status).toBe(404)
      expect(
        (await postForm(app, '/users/new', who, { full_name: 'X', login: `x${role}`, role: 'requester' })).status,
      ).toBe(404)
    }
    expect(await journalOf(db, 'user.create', 'denied')).toHaveLength(4)
    expect(await db.selectFrom('users').select('id').where('login', 'like', 'x%').execute()).toEqual([])
  })
})

describe("API tokens on a user's page", () => {
  test("the admin sees the person's tokens (never the secret) and revokes one; another person's token id is refused", async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const person = await buildUser(db, { login: 'ivanov' })
    const other = await buildUser(db, { login: 'petrov' })
    const issued = await createApiToken(db, actorFromUser(person, 'web'), { userId: person.id, name: 'Отчёты' })
    const theirs = await createApiToken(db, actorFromUser(other, 'web'), { userId: other.id, name: 'Чужой' })

    const page = await getPage(app, `/users/${person.id}`, admin)
    expect(page.text).toContain('Отчёты')
    expect(page.text).not.toContain('Чужой')
    expect(page.text).not.toContain(issued.token)

    const wrong = await postForm(app, `/users/${person.id}/tokens/revoke`, admin, { token: String(theirs.id) })
    expect(wrong.status).toBe(422)
    expect(await resolveApiToken(db, theirs.token)).toMatchObject({ id: other.id })
    const done = await postForm(app, `/users/${person.id}/tokens/revoke`, admin, { token: String(issued.id) })
    expect(done.status).toBe(303)
    expect(await resolveApiToken(db, issued.token)).toBeUndefined()
    expect(await journalOf(db, 'token.revoke')).toMatchObject([{ actor_id: admin.user.id, subject_id: person.id }])
  })
})

describe('«Сбросить пароль»', () => {
  test('the admin resets: the sessions end and the link is shown; without a login the page says why', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const person = await buildUser(db, { login: 'ivanov', telegramChatId: null })
    const session = await createSession(db, person.id, { ip: null, userAgent: null })

    const page = await getPage(app, `/users/${person.id}`, admin)
    expect(page.text).toContain(`action="/users/${person.id}/password-reset"`)
    const reset = await postForm(app, `/users/${person.id}/password-reset`, admin)

    expect(reset.status).toBe(200)
    expect(reset.text).toMatch(LINK)
    expect(reset.text).not.toContain('отправлена пользователю в Telegram')
    expect(await resolveSession(db, session.token)).toBeUndefined()
    expect(await journalOf(db, 'user.password_reset')).toHaveLength(1)

    const noLogin = await buildUser(db)
    const refused = await postForm(app, `/users/${noLogin.id}/password-reset`, admin)
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('У пользователя нет логина')
  })

  test('a curator is turned away with the 404 page, journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const person = await buildUser(db, { login: 'petrov' })
    expect((await postForm(app, `/users/${person.id}/password-reset`, curator)).status).toBe(404)
    expect(await db.selectFrom('password_links').select('user_id').execute()).toEqual([])
    expect((await journalOf(db, 'user.list', 'denied')).length).toBeGreaterThan(0)
  })
})
