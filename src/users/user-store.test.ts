import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildDepartment, buildUser } from '../../test/support/factories.ts'
import { findUser, findUserByChatId, findUserByLogin, listUsers, publicUser } from './user-store.ts'

describe('user store', () => {
  test('finds a user by id, by login in any case, and by Telegram chat id', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db, { login: 'ivanov', telegramChatId: '555000111' })
    expect((await findUser(db, user.id))?.id).toBe(user.id)
    expect((await findUserByLogin(db, ' IVANOV '))?.id).toBe(user.id)
    expect((await findUserByChatId(db, '555000111'))?.id).toBe(user.id)
    expect(await findUser(db, user.id + 1000)).toBeUndefined()
    expect(await findUserByLogin(db, 'petrov')).toBeUndefined()
    expect(await findUserByChatId(db, '1')).toBeUndefined()
  })

  test('the public view of a user carries no secrets', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db, { passwordHash: '$argon2id$secret' })
    const shown = publicUser(user)
    expect(shown).not.toHaveProperty('password_hash')
    expect(shown).not.toHaveProperty('totp_secret')
    expect(shown).toMatchObject({ id: user.id, full_name: user.full_name })
  })

  test('searches ФИО, login and phone ignoring case, Cyrillic included', async () => {
    const { db } = await testDatabase()
    const ivanov = await buildUser(db, { fullName: 'Иванов Иван Иванович' })
    const petrova = await buildUser(db, { fullName: 'Петрова Анна', login: 'APetrova' })
    const caller = await buildUser(db, { fullName: 'Сидоров', phone: '+79051234567' })
    await buildUser(db, { fullName: 'Ёлкина Ёлка' })
    const ids = async (q: string) => (await listUsers(db, { q })).items.map((u) => u.id)
    expect(await ids('иванов')).toEqual([ivanov.id])
    expect(await ids('ИВАНОВИЧ')).toEqual([ivanov.id])
    expect(await ids('apet')).toEqual([petrova.id])
    expect(await ids('1234567')).toEqual([caller.id])
    expect(await ids('ёЛК')).toHaveLength(1)
    expect(await ids('нет такого')).toEqual([])
  })

  test('wildcard characters in the search are taken literally', async () => {
    const { db } = await testDatabase()
    const odd = await buildUser(db, { fullName: 'Отдел 100% [*?_] готов' })
    await buildUser(db, { fullName: 'Отдел 1000 готов' })
    for (const q of ['100%', '[*?_]', '*', '?', '_', '%']) {
      expect(
        (await listUsers(db, { q })).items.map((u) => u.id),
        q,
      ).toEqual([odd.id])
    }
  })

  test('filters by status, role and department, together with the search', async () => {
    const { db } = await testDatabase()
    const surgery = await buildDepartment(db, 'Хирургия')
    const pending = await buildUser(db, { status: 'pending', departmentId: surgery.id, fullName: 'Хирург Один' })
    const executor = await buildUser(db, { role: 'executor', fullName: 'Хирург Два' })
    await buildUser(db, { departmentId: surgery.id, fullName: 'Другой' })
    expect((await listUsers(db, { status: 'pending' })).items.map((u) => u.id)).toEqual([pending.id])
    expect((await listUsers(db, { role: 'executor' })).items.map((u) => u.id)).toEqual([executor.id])
    const inSurgery = await listUsers(db, { departmentId: surgery.id, q: 'хирург' })
    expect(inSurgery).toEqual({ items: [expect.objectContaining({ id: pending.id })], total: 1 })
  })

  test('pages are 1-based, ordered by id, with the total of all matches', async () => {
    const { db } = await testDatabase()
    const users = []
    for (let i = 0; i < 7; i++) users.push(await buildUser(db))
    const ids = users.map((u) => u.id)
    const second = await listUsers(db, { page: 2, perPage: 3 })
    expect(second.total).toBe(7)
    expect(second.items.map((u) => u.id)).toEqual(ids.slice(3, 6))
    expect((await listUsers(db, { page: 3, perPage: 3 })).items.map((u) => u.id)).toEqual(ids.slice(6))
    expect((await listUsers(db, { page: 9, perPage: 3 })).items).toEqual([])
    expect((await listUsers(db, { page: 0, perPage: 0 })).items.map((u) => u.id)).toEqual(ids.slice(0, 1))
  })

  test('a page holds 50 users by default and never more than 200', async () => {
    const { db } = await testDatabase()
    const at = new Date().toISOString()
    const rows = Array.from({ length: 230 }, (_, i) => ({
      role: 'requester' as const,
      status: 'active' as const,
      full_name: `Сотрудник ${i}`,
      language: 'ru' as const,
      created_at: at,
      updated_at: at,
      login: null,
      password_hash: null,
      phone: null,
      position: null,
      room: null,
      department_id: null,
      telegram_chat_id: null,
      telegram_username: null,
      telegram_blocked_at: null,
      totp_secret: null,
      totp_last_step: null,
      rejection_reason: null,
      locked_until: null,
      confirmed_at: null,
      confirmed_by: null,
      deactivated_at: null,
      pseudonymised_at: null,
      last_login_at: null,
    }))
    await db.insertInto('users').values(rows).execute()
    expect((await listUsers(db)).items).toHaveLength(50)
    const big = await listUsers(db, { perPage: 1000 })
    expect(big.items).toHaveLength(200)
    expect(big.total).toBe(230)
  })
})
