import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { LoginThrottle } from '#src/users/login-throttle.ts'
import { createSession } from '#src/users/sessions.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildDepartment, buildUser } from '../../test/support/factories.ts'
import { journalOf, userRow } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, signIn, webUser } from '../../test/support/web.ts'

async function liveSessions(db: Db, userId: number) {
  return db.selectFrom('sessions').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null).execute()
}

describe('the users list', () => {
  test('an admin finds people by name, phone or login; role and status narrow the list; the read is journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const cardio = await buildDepartment(db, 'Кардиология')
    const ivanova = await buildUser(db, { fullName: 'Иванова Мария', phone: '+79001112233', departmentId: cardio.id })
    await buildUser(db, { fullName: 'Петров Пётр', role: 'executor', login: 'petrov' })
    await buildUser(db, { fullName: 'Сидоров Олег', status: 'deactivated' })

    const all = await getPage(app, '/users', admin)
    expect(all.status).toBe(200)
    for (const name of ['Иванова Мария', 'Петров Пётр', 'Сидоров Олег', 'Кардиология']) expect(all.text).toContain(name)
    expect(inlineProblems(all.text)).toEqual([])

    const byPhone = await getPage(app, '/users?q=1112233', admin)
    expect(byPhone.text).toContain('Иванова Мария')
    expect(byPhone.text).not.toContain('Петров Пётр')
    expect(byPhone.text).toContain(`/users/${ivanova.id}`)

    const byLogin = await getPage(app, '/users?q=PETROV', admin)
    expect(byLogin.text).toContain('Петров Пётр')
    expect(byLogin.text).not.toContain('Иванова Мария')

    const executors = await getPage(app, '/users?role=executor', admin)
    expect(executors.text).toContain('Петров Пётр')
    expect(executors.text).not.toContain('Иванова Мария')

    const off = await getPage(app, '/users?status=deactivated', admin)
    expect(off.text).toContain('Сидоров Олег')
    expect(off.text).not.toContain('Петров Пётр')

    const nobody = await getPage(app, '/users?q=Несуществующий', admin)
    expect(nobody.text).toContain('Никого не нашлось')

    const reads = await journalOf(db, 'user.list')
    expect(reads).toHaveLength(6)
    expect(reads[1]).toMatchObject({ actor_id: admin.user.id, channel: 'web', pdn_related: 1 })
    expect(JSON.parse(reads[1]?.details ?? '{}')).toMatchObject({ ids: [ivanova.id], search: true })
    // The search text may be a name: it never reaches the journal.
    expect(reads.map((r) => `${r.description} ${r.details}`).join()).not.toContain('1112233')
  })

  test('the list pages by 50 and an htmx request gets only the results', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    for (let i = 0; i < 55; i++) await buildUser(db, { fullName: `Сотрудник ${String(i).padStart(2, '0')}` })
    const first = await getPage(app, '/users', admin)
    expect(first.text).toContain('Страница 1 из 2')
    expect(first.text).toContain('href="/users?page=2"')
    const second = await getPage(app, '/users?page=2', admin, { 'hx-request': 'true', 'hx-target': 'user-results' })
    expect(second.text).not.toContain('<html')
    expect(second.text).toContain('Сотрудник 54')
    expect(second.text).not.toContain('Сотрудник 00')
  })
})

describe('a person’s page', () => {
  test('shows their data and sessions, and the view is journaled as a read of their ПДн', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const person = await buildUser(db, { fullName: 'Иванова Мария', phone: '+79001112233', login: 'ivanova' })
    await createSession(db, person.id, { ip: '10.1.2.3', userAgent: 'Mozilla/5.0 Firefox/128' })
    const page = await getPage(app, `/users/${person.id}`, admin)
    expect(page.status).toBe(200)
    for (const text of ['Иванова Мария', '+79001112233', 'ivanova', '10.1.2.3', 'Firefox/128', 'Завершить все']) {
      expect(page.text).toContain(text)
    }
    expect(inlineProblems(page.text)).toEqual([])
    expect(await journalOf(db, 'user.view')).toMatchObject([
      { actor_id: admin.user.id, subject_id: person.id, pdn_related: 1, channel: 'web' },
    ])
  })

  test('an admin edits the department and contacts; the journal names the fields, not the values', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const surgery = await buildDepartment(db, 'Хирургия')
    const person = await buildUser(db, { fullName: 'Иванова Мария' })
    const saved = await postForm(app, `/users/${person.id}/details`, admin, {
      full_name: 'Иванова Мария Петровна',
      department: String(surgery.id),
      position: 'Старшая медсестра',
      room: 'Корпус 2, каб. 14',
      phone: '8 (900) 555-44-33',
    })
    expect(saved.status).toBe(303)
    expect(saved.location).toBe(`/users/${person.id}?done=details`)
    expect(await userRow(db, person.id)).toMatchObject({
      full_name: 'Иванова Мария Петровна',
      department_id: surgery.id,
      position: 'Старшая медсестра',
      room: 'Корпус 2, каб. 14',
      phone: '+79005554433',
    })
    const [entry] = await journalOf(db, 'user.update')
    expect(entry).toMatchObject({ actor_id: admin.user.id, subject_id: person.id, pdn_related: 1 })
    expect(`${entry?.description} ${entry?.details}`).not.toContain('Петровна')
    expect(JSON.parse(entry?.details ?? '{}').fields).toEqual(
      expect.arrayContaining(['full_name', 'department_id', 'position', 'room', 'phone']),
    )
    const after = await getPage(app, saved.location ?? '', admin)
    expect(after.text).toContain('Данные сохранены')
    expect(after.text).toContain('Хирургия')

    const refused = await postForm(app, `/users/${person.id}/details`, admin, { full_name: 'X', phone: 'не номер' })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Неверный номер телефона')
    expect((await userRow(db, person.id)).phone).toBe('+79005554433')
  })

  test('an admin changes a role; their own role cannot be changed', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const person = await buildUser(db)
    const changed = await postForm(app, `/users/${person.id}/role`, admin, { role: 'executor' })
    expect(changed.status).toBe(303)
    expect((await userRow(db, person.id)).role).toBe('executor')
    expect(await journalOf(db, 'user.role_change')).toMatchObject([{ subject_id: person.id }])

    const self = await postForm(app, `/users/${admin.user.id}/role`, admin, { role: 'requester' })
    expect(self.status).toBe(422)
    expect(self.text).toContain('Нельзя изменить собственную роль')
    expect((await userRow(db, admin.user.id)).role).toBe('admin')

    const nonsense = await postForm(app, `/users/${person.id}/role`, admin, { role: 'superuser' })
    expect(nonsense.status).toBe(422)
    expect((await userRow(db, person.id)).role).toBe('executor')
  })

  test('deactivation ends the person’s sessions at once and keeps them; reactivation gives access back', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const person = await webUser(db, { role: 'executor' })
    expect((await getPage(app, '/tickets', person)).status).toBe(200)

    const off = await postForm(app, `/users/${person.user.id}/deactivate`, admin)
    expect(off.status).toBe(303)
    expect(off.location).toBe(`/users/${person.user.id}?done=deactivated`)
    expect(await userRow(db, person.user.id)).toMatchObject({ status: 'deactivated' })
    const thrownOut = await getPage(app, '/tickets', person)
    expect(thrownOut.status).toBe(303)
    expect(thrownOut.location).toMatch(/^\/login/)
    expect(await journalOf(db, 'user.deactivate')).toMatchObject([
      { actor_id: admin.user.id, subject_id: person.user.id },
    ])

    const again = await postForm(app, `/users/${person.user.id}/deactivate`, admin)
    expect(again.status).toBe(422)
    expect(again.text).toContain('Отключить можно только активную')

    const on = await postForm(app, `/users/${person.user.id}/reactivate`, admin)
    expect(on.status).toBe(303)
    expect(await userRow(db, person.user.id)).toMatchObject({ status: 'active', deactivated_at: null })
    // Sessions revoked at deactivation stay revoked: the person signs in again.
    expect((await getPage(app, '/tickets', person)).status).toBe(303)
    const fresh = await signIn(db, person.user)
    expect((await getPage(app, '/tickets', fresh)).status).toBe(200)

    const self = await postForm(app, `/users/${admin.user.id}/deactivate`, admin)
    expect(self.status).toBe(422)
    expect((await userRow(db, admin.user.id)).status).toBe('active')
  })

  test('an admin ends one session or all of them; another person’s session is not found', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const person = await webUser(db)
    const second = await signIn(db, person.user)
    const bystander = await webUser(db)
    const [first] = await liveSessions(db, person.user.id)
    const [foreign] = await liveSessions(db, bystander.user.id)
    if (!first || !foreign) throw new Error('sessions are missing')

    const wrong = await postForm(app, `/users/${person.user.id}/sessions/revoke`, admin, { session: foreign.id })
    expect(wrong.status).toBe(404)
    expect(await liveSessions(db, bystander.user.id)).toHaveLength(1)

    const one = await postForm(app, `/users/${person.user.id}/sessions/revoke`, admin, { session: first.id })
    expect(one.status).toBe(303)
    expect(await liveSessions(db, person.user.id)).toHaveLength(1)

    const all = await postForm(app, `/users/${person.user.id}/sessions/revoke-all`, admin)
    expect(all.status).toBe(303)
    expect(await liveSessions(db, person.user.id)).toHaveLength(0)
    expect((await getPage(app, '/tickets', second)).status).toBe(303)
    expect((await getPage(app, '/tickets', bystander)).status).toBe(200)
    expect(await journalOf(db, 'auth.session_revoke')).toMatchObject([
      { subject_id: person.user.id, actor_id: admin.user.id },
      { subject_id: person.user.id, actor_id: admin.user.id },
    ])
  })

  test('an admin lifts a person’s sign-in limit from their page', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const person = await buildUser(db, { login: 'zabyla' })
    const throttle = new LoginThrottle()
    const keys = throttle.loginKeys('10.6.0.2', 'zabyla')
    for (let i = 0; i < 6; i++) await throttle.reserve(db, keys)
    const page = await getPage(app, `/users/${person.id}`, admin)
    expect(page.text).toContain(`action="/users/${person.id}/unlock"`)
    const lifted = await postForm(app, `/users/${person.id}/unlock`, admin)
    expect(lifted.location).toBe(`/users/${person.id}?done=unlocked`)
    expect(await throttle.isBlocked(db, keys)).toBe(false)
    expect(await journalOf(db, 'user.unlock')).toMatchObject([{ subject_id: person.id, actor_id: admin.user.id }])
    expect((await getPage(app, lifted.location ?? '', admin)).text).toContain('Ограничение входа снято')
  })

  test('an unknown person or a malformed id is a 404', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    for (const path of ['/users/999999', '/users/abc', '/users/99999999999']) {
      expect((await getPage(app, path, admin)).status, path).toBe(404)
    }
    expect((await postForm(app, '/users/999999/deactivate', admin)).status).toBe(404)
  })
})

describe('who may open the users pages', () => {
  const roles = ['requester', 'executor', 'curator', 'admin'] as const

  test.each(roles)('a signed-in %s: only an admin sees the pages or changes anything', async (role) => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role })
    const person = await webUser(db)
    const status = role === 'admin' ? 200 : 404
    expect((await getPage(app, '/users', who)).status).toBe(status)
    expect((await getPage(app, `/users/${person.user.id}`, who)).status).toBe(status)
    const posts = {
      role: await postForm(app, `/users/${person.user.id}/role`, who, { role: 'curator' }),
      deactivate: await postForm(app, `/users/${person.user.id}/deactivate`, who),
      sessions: await postForm(app, `/users/${person.user.id}/sessions/revoke-all`, who),
    }
    for (const [name, result] of Object.entries(posts)) expect(result.status, name).toBe(role === 'admin' ? 303 : 404)
    const after = await userRow(db, person.user.id)
    if (role === 'admin') expect(after).toMatchObject({ role: 'curator', status: 'deactivated' })
    else {
      expect(after).toMatchObject({ role: 'requester', status: 'active' })
      expect(await liveSessions(db, person.user.id)).toHaveLength(1)
      // Each refused attempt is journaled.
      expect((await journalOf(db, 'user.list', 'denied')).length).toBeGreaterThanOrEqual(5)
    }
  })

  test.each(['pending', 'rejected', 'deactivated'] as const)(
    'a %s admin account with a session opens nothing and changes nothing',
    async (status) => {
      const { db } = await testDatabase()
      const { app } = testApp(db)
      const who = await webUser(db, { role: 'admin' })
      const person = await buildUser(db)
      await db.updateTable('users').set({ status }).where('id', '=', who.user.id).execute()
      for (const path of ['/users', `/users/${person.id}`]) {
        const page = await getPage(app, path, who)
        expect(page.status, path).toBe(303)
        expect(page.location, path).toMatch(/^\/login\?next=/)
      }
      expect((await postForm(app, `/users/${person.id}/deactivate`, who)).status).toBe(401)
      expect((await userRow(db, person.id)).status).toBe('active')
    },
  )

  test('a form without the CSRF token, or from another site, changes nothing', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const person = await buildUser(db)
    const missing = await postForm(app, `/users/${person.id}/deactivate`, admin, {}, { csrf: null })
    expect(missing.status).toBe(403)
    const foreign = await postForm(
      app,
      `/users/${person.id}/role`,
      admin,
      { role: 'admin' },
      { headers: { origin: 'https://evil.example' } },
    )
    expect(foreign.status).toBe(403)
    expect(await userRow(db, person.id)).toMatchObject({ status: 'active', role: 'requester' })
  })
})
