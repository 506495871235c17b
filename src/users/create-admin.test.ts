import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { systemActor } from './actor.ts'
import { createAdmin } from './create-admin.ts'
import { verifyPassword } from './passwords.ts'

describe('createAdmin', () => {
  test('the CLI creates the first administrator on an empty database', async () => {
    const { db } = await testDatabase()
    const admin = await createAdmin(db, systemActor('cli'), { login: 'Admin', password: 'Скорая помощь 24/7' })

    expect(admin).toMatchObject({ role: 'admin', status: 'active', login: 'admin', full_name: 'Администратор' })
    expect(await verifyPassword(admin.password_hash ?? '', 'Скорая помощь 24/7')).toBe(true)
    expect(await auditRows(db)).toEqual([
      expect.objectContaining({
        action: 'user.create_admin',
        actor_id: null,
        channel: 'cli',
        subject_id: admin.id,
        pdn_related: 1,
        result: 'success',
      }),
    ])
  })

  test('an admin may create another admin, with a name', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const admin = await createAdmin(db, actor, { login: 'second', password: 'второй админ', fullName: 'Орлов Олег' })
    expect(admin).toMatchObject({ role: 'admin', full_name: 'Орлов Олег' })
  })

  test('a login that exists is a conflict', async () => {
    const { db } = await testDatabase()
    await buildUser(db, { login: 'admin' })
    await expectRefusal(db, 'conflict', () =>
      createAdmin(db, systemActor('cli'), { login: 'ADMIN', password: 'Скорая помощь 24/7' }),
    )
  })

  test.each([
    ['a short password', { login: 'admin', password: '1234' }],
    ['a common password', { login: 'admin', password: 'password123' }],
    ['an invalid login', { login: 'а дмин', password: 'Скорая помощь 24/7' }],
  ])('%s is refused as invalid', async (_name, input) => {
    const { db } = await testDatabase()
    await expectRefusal(db, 'validation', () => createAdmin(db, systemActor('cli'), input))
  })

  test('a curator may not create an admin; the attempt is journaled', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const [denied] = await expectRefusal(db, 'forbidden', () =>
      createAdmin(db, actor, { login: 'boss', password: 'Скорая помощь 24/7' }),
    )
    expect(denied).toMatchObject({ action: 'user.create_admin' })
  })
})
