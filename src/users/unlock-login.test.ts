import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { expectRefusal } from '../../test/support/state.ts'
import { LoginThrottle } from './login-throttle.ts'
import { unlockLogin } from './unlock-login.ts'

describe('unlockLogin', () => {
  test('an admin lets a person try again at once; the address’s own count stays', async () => {
    const { db } = await testDatabase()
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const person = await buildUser(db, { login: 'petrova' })
    const throttle = new LoginThrottle()
    const keys = throttle.loginKeys('10.6.0.1', 'petrova')
    // Six tries each: five counted, the sixth waits.
    for (let i = 0; i < 6; i++) await throttle.reserve(db, keys)
    for (let i = 0; i < 6; i++) await throttle.reserve(db, throttle.passwordKeys('10.6.0.1', person.id))
    expect(await throttle.isBlocked(db, keys)).toBe(true)
    expect(await unlockLogin(db, admin, { userId: person.id })).toEqual({ cleared: 3 })
    expect(await throttle.isBlocked(db, keys)).toBe(false)
    expect(await db.selectFrom('login_throttle').select(['key', 'failures']).execute()).toEqual([
      { key: 'address:10.6.0.1', failures: 5 },
    ])
    const entry = await db.selectFrom('audit_log').selectAll().where('action', '=', 'user.unlock').executeTakeFirst()
    expect(entry).toMatchObject({ result: 'success', actor_id: admin.id, subject_id: person.id })
  })

  test('anyone else is refused and the refusal journaled', async () => {
    const { db } = await testDatabase()
    const person = await buildUser(db, { login: 'petrova' })
    for (const role of ['curator', 'executor', 'requester'] as const) {
      const { actor } = await buildActor(db, { role })
      const [denied] = await expectRefusal(db, 'forbidden', () => unlockLogin(db, actor, { userId: person.id }))
      expect(denied).toMatchObject({ action: 'user.unlock', subject_id: person.id })
    }
  })
})
