import { describe, expect, test } from 'vitest'
import type { Db, User } from '#src/db/schema.ts'
import { systemActor } from '#src/users/actor.ts'
import { currentConsentText } from '#src/users/consent.ts'
import { registerUser } from '#src/users/register-user.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildDepartment, buildUser } from '../../test/support/factories.ts'
import { dataSnapshot } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, signIn, webUser } from '../../test/support/web.ts'

let chat = 700_000_000

/** A person who registered through the bot, consented and waits (PRODUCT.md §2). */
async function pendingPerson(db: Db, fullName: string, departmentName = 'Кардиология'): Promise<User> {
  const department = await buildDepartment(db, `${departmentName} ${++chat}`)
  const consent = await currentConsentText(db)
  return registerUser(db, systemActor('bot'), {
    fullName,
    phone: `+7 (910) 555-${String(chat % 10_000).padStart(4, '0')}`,
    departmentId: department.id,
    position: 'Медицинская сестра',
    room: 'Корпус 2, каб. 14',
    telegramChatId: String(chat),
    consentTextId: consent.id,
    evidence: { update_id: chat },
  })
}

async function statusOf(db: Db, id: number) {
  const row = await db
    .selectFrom('users')
    .select(['status', 'rejection_reason'])
    .where('id', '=', id)
    .executeTakeFirst()
  return row
}

async function journal(db: Db, action: string) {
  return db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()
}

describe('the registrations page', () => {
  test('a curator sees each pending person with their data and consent; the read is journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const person = await pendingPerson(db, 'Петрова Анна Сергеевна', 'Неврология')
    await buildUser(db, { fullName: 'Уже Подтверждённый' })
    const page = await getPage(app, '/registrations', curator)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Подтверждение регистраций')
    expect(page.text).toContain('Петрова Анна Сергеевна')
    expect(page.text).toContain('Медицинская сестра')
    expect(page.text).toContain(person.phone ?? 'no phone')
    expect(page.text).toContain('Неврология')
    expect(page.text).toContain('Корпус 2, каб. 14')
    expect(page.text).toContain('версия 1')
    expect(page.text).toContain(`/registrations/${person.id}/confirm`)
    expect(page.text).toContain(`/registrations/${person.id}/reject`)
    expect(page.text).not.toContain('Уже Подтверждённый')
    expect(inlineProblems(page.text)).toEqual([])
    const reads = (await journal(db, 'user.list')).filter((r) => r.result === 'success')
    expect(reads).toMatchObject([{ actor_id: curator.user.id, channel: 'web', pdn_related: 1 }])
    expect(JSON.parse(reads[0]?.details ?? '{}')).toMatchObject({ ids: [person.id] })
  })

  test('with nobody waiting the page says so', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const page = await getPage(app, '/registrations', admin)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Нет регистраций, ждущих решения')
  })

  test('an outcome link names only a person whose registration ended that way', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const waiting = await pendingPerson(db, 'Ждущая Вера')
    const active = await buildUser(db, { fullName: 'Давно Работающий' })
    const forged = await getPage(app, `/registrations?rejected=${active.id}`, curator)
    expect(forged.status).toBe(200)
    expect(forged.text).not.toContain('Давно Работающий')
    expect((await getPage(app, `/registrations?confirmed=${waiting.id}`, curator)).text).not.toContain(
      'Регистрация подтверждена',
    )
    expect((await getPage(app, '/registrations?confirmed=99999999999', curator)).status).toBe(200)
  })

  test('the navigation offers the page to curators and admins only', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const executor = await webUser(db, { role: 'executor' })
    expect((await getPage(app, '/tickets', curator)).text).toContain('href="/registrations"')
    expect((await getPage(app, '/tickets', executor)).text).not.toContain('href="/registrations"')
  })
})

describe('deciding on a registration', () => {
  test.each(['curator', 'admin'] as const)('a %s confirms: the person is active and told so', async (role) => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role })
    const person = await pendingPerson(db, 'Сидорова Ольга')
    const result = await postForm(app, `/registrations/${person.id}/confirm`, who)
    expect(result.status).toBe(303)
    expect(result.location).toBe(`/registrations?confirmed=${person.id}`)
    expect(await statusOf(db, person.id)).toMatchObject({ status: 'active' })
    expect(await journal(db, 'user.confirm')).toMatchObject([{ actor_id: who.user.id, result: 'success' }])
    const after = await getPage(app, result.location ?? '', who)
    expect(after.text).toContain('Регистрация подтверждена: Сидорова Ольга')
    expect(after.text).toContain('Нет регистраций, ждущих решения')
  })

  test('a curator rejects with a reason: the person is rejected with it', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const person = await pendingPerson(db, 'Кузнецов Игорь')
    const result = await postForm(app, `/registrations/${person.id}/reject`, curator, {
      reason: 'Не работает в больнице',
    })
    expect(result.status).toBe(303)
    expect(await statusOf(db, person.id)).toEqual({ status: 'rejected', rejection_reason: 'Не работает в больнице' })
    const after = await getPage(app, result.location ?? '', curator)
    expect(after.text).toContain('Регистрация отклонена: Кузнецов Игорь')
  })

  test('a rejection without a reason is refused in Russian beside its row; nothing changes', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const person = await pendingPerson(db, 'Кузнецов Игорь')
    const before = await dataSnapshot(db)
    const result = await postForm(app, `/registrations/${person.id}/reject`, curator, { reason: '   ' })
    expect(result.status).toBe(422)
    expect(result.text).toContain('Поле «Причина отклонения» не заполнено')
    expect(result.text).toContain('Кузнецов Игорь')
    expect(await dataSnapshot(db)).toEqual(before)
  })

  test('a registration decided already cannot be decided again; an unknown one is 404', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const person = await pendingPerson(db, 'Кузнецов Игорь')
    expect((await postForm(app, `/registrations/${person.id}/confirm`, curator)).status).toBe(303)
    const again = await postForm(app, `/registrations/${person.id}/reject`, curator, { reason: 'Передумали' })
    expect(again.status).toBe(422)
    expect(again.text).toContain('Отклонить можно только ожидающую регистрацию')
    expect(await statusOf(db, person.id)).toMatchObject({ status: 'active' })
    expect((await postForm(app, '/registrations/999999/confirm', curator)).status).toBe(404)
  })
})

describe('who may not', () => {
  test.each(['requester', 'executor'] as const)(
    'a %s gets 404 for the page and the actions; denials are journaled',
    async (role) => {
      const { db } = await testDatabase()
      const { app } = testApp(db)
      const who = await webUser(db, { role })
      const person = await pendingPerson(db, 'Кузнецов Игорь')
      const before = await dataSnapshot(db)
      const page = await getPage(app, '/registrations', who)
      expect(page.status).toBe(404)
      expect(page.text).not.toContain('Кузнецов Игорь')
      expect((await postForm(app, `/registrations/${person.id}/confirm`, who)).status).toBe(404)
      expect((await postForm(app, `/registrations/${person.id}/reject`, who, { reason: 'x' })).status).toBe(404)
      expect(await dataSnapshot(db)).toEqual(before)
      const denied = (await journal(db, 'registration.decide')).map((r) => r.result)
      expect(denied).toEqual(['denied', 'denied', 'denied'])
    },
  )

  test.each(['pending', 'deactivated'] as const)(
    'a %s account’s session is sent to the login; posts are refused',
    async (status) => {
      const { db } = await testDatabase()
      const { app } = testApp(db)
      const curator = await webUser(db, { role: 'curator' })
      await db.updateTable('users').set({ status }).where('id', '=', curator.user.id).execute()
      const person = await pendingPerson(db, 'Кузнецов Игорь')
      const page = await getPage(app, '/registrations', curator)
      expect(page.status).toBe(303)
      expect(page.location).toBe('/login?next=%2Fregistrations')
      expect((await postForm(app, `/registrations/${person.id}/confirm`, curator)).status).toBe(401)
      expect(await statusOf(db, person.id)).toMatchObject({ status: 'pending' })
    },
  )

  test('without a session the page asks to log in', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    expect((await getPage(app, '/registrations')).location).toBe('/login?next=%2Fregistrations')
  })

  test.each([
    ['missing', null],
    ['foreign', 'x'.repeat(43)],
  ])('a decision with a %s CSRF token is refused with 403 and changes nothing', async (_, token) => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const person = await pendingPerson(db, 'Кузнецов Игорь')
    const confirm = await postForm(app, `/registrations/${person.id}/confirm`, curator, {}, { csrf: token })
    expect(confirm.status).toBe(403)
    const other = await signIn(db, await buildUser(db, { role: 'curator' }))
    const reject = await postForm(
      app,
      `/registrations/${person.id}/reject`,
      curator,
      { reason: 'x' },
      { csrf: other.csrf },
    )
    expect(reject.status).toBe(403)
    expect(await statusOf(db, person.id)).toMatchObject({ status: 'pending' })
  })
})

describe('registrations waiting are counted where those who decide look', () => {
  test('the navigation of every page and the dashboard say how many wait; an executor sees no count', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const executor = await webUser(db, { role: 'executor' })
    expect((await getPage(app, '/tickets', curator)).text).not.toContain('class="nav-count"')
    await pendingPerson(db, 'Первая Ожидающая')
    await pendingPerson(db, 'Вторая Ожидающая')
    for (const path of ['/', '/tickets', '/profile']) {
      expect((await getPage(app, path, curator)).text, path).toMatch(/class="nav-count"[^>]*>\s*2\s*</)
    }
    expect((await getPage(app, '/', curator)).text).toContain('Ждут подтверждения: 2 регистрации')
    const theirs = await getPage(app, '/', executor)
    expect(theirs.text).not.toContain('nav-count')
    expect(theirs.text).not.toContain('Ждут подтверждения')
  })
})
