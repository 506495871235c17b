import { describe, expect, test } from 'vitest'
import type { Role } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { type CreateUserInput, createUser } from './create-user.ts'
import { verifyPassword } from './passwords.ts'

describe('createUser', () => {
  test('an admin creates an executor with a login: active at once, password hashed, journaled', async () => {
    const { db } = await testDatabase()
    const { user: admin, actor } = await buildActor(db, { role: 'admin' }, 'web')
    const department = await buildDepartment(db)

    const user = await createUser(db, actor, {
      fullName: 'Кузнецов Алексей',
      role: 'executor',
      login: ' A.Kuznetsov ',
      password: 'длинный пароль 1',
      departmentId: department.id,
      phone: '+7 (4712) 55-66-77',
      position: 'Инженер',
      telegramChatId: '600000001',
    })

    expect(user).toMatchObject({
      status: 'active',
      role: 'executor',
      login: 'a.kuznetsov',
      department_id: department.id,
      phone: '+74712556677',
      position: 'Инженер',
      telegram_chat_id: '600000001',
      confirmed_by: admin.id,
    })
    expect(await verifyPassword(user.password_hash ?? '', 'длинный пароль 1')).toBe(true)
    const last = (await auditRows(db)).at(-1)
    expect(last).toMatchObject({ action: 'user.create', actor_id: admin.id, subject_id: user.id, pdn_related: 1 })
    expect(last?.description).not.toContain('Кузнецов')
    expect(last?.details).not.toContain('длинный')
  })

  test('a person without login or password (a caller filed for by phone) can be created', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const user = await createUser(db, actor, { fullName: 'Звонящий', role: 'requester' })
    expect(user).toMatchObject({ status: 'active', login: null, password_hash: null, telegram_chat_id: null })
  })

  test.each(['curator', 'executor', 'requester'] as const)(
    'a %s may not create users; the attempt is journaled',
    async (role) => {
      const { db } = await testDatabase()
      const { actor } = await buildActor(db, { role })
      const [denied] = await expectRefusal(db, 'forbidden', () =>
        createUser(db, actor, { fullName: 'X', role: 'admin' }),
      )
      expect(denied).toMatchObject({ action: 'user.create' })
    },
  )

  const valid: CreateUserInput = {
    fullName: 'Новый Сотрудник',
    role: 'executor',
    login: 'new.user',
    password: 'vesna-v-kurske',
  }
  test.each([
    ['an empty ФИО', { fullName: ' ' }],
    ['an unknown role', { role: 'root' as Role }],
    ['a login without a password', { password: null }],
    ['a password without a login', { login: null }],
    ['a short password', { password: 'short' }],
    ['a common password', { password: 'qwerty123' }],
    ['a login with spaces', { login: 'new user' }],
    ['an unknown department', { departmentId: 999_999 }],
    ['a bad phone', { phone: 'позвонить' }],
  ])('%s is refused as invalid', async (_name, change) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    await expectRefusal(db, 'validation', () => createUser(db, actor, { ...valid, ...change }))
  })

  test('a login that exists in any case is a conflict', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    await buildUser(db, { login: 'new.user' })
    await expectRefusal(db, 'conflict', () => createUser(db, actor, { ...valid, login: 'New.User' }))
  })

  test('a Telegram chat already linked to someone is a conflict', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    await buildUser(db, { telegramChatId: '600000009' })
    await expectRefusal(db, 'conflict', () => createUser(db, actor, { ...valid, telegramChatId: '600000009' }))
  })
})
