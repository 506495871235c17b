import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { actorFromUser } from './actor.ts'
import { changePassword } from './change-password.ts'
import { defaultRules, LoginThrottle } from './login-throttle.ts'
import { hashPassword, verifyPassword } from './passwords.ts'
import { createSession, resolveSession } from './sessions.ts'

const OLD = 'старый-пароль-2026'
const NEW = 'новый-пароль-2026'

describe('changePassword', () => {
  test('the new password works, the old does not, and every other session ends', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { login: 'ivanova', passwordHash: await hashPassword(OLD) }, 'web')
    const here = await createSession(db, user.id, { ip: null, userAgent: null })
    const there = await createSession(db, user.id, { ip: null, userAgent: null })
    expect(await changePassword(db, actor, { current: OLD, next: NEW, keepSessionId: here.sessionId })).toEqual({
      revoked: 1,
    })
    const stored = await db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirst()
    expect(await verifyPassword(stored?.password_hash ?? '', NEW)).toBe(true)
    expect(await verifyPassword(stored?.password_hash ?? '', OLD)).toBe(false)
    expect(await resolveSession(db, here.token)).toBeDefined()
    expect(await resolveSession(db, there.token)).toBeUndefined()
    expect(await auditRows(db)).toMatchObject([
      { action: 'auth.password_change', subject_id: user.id, result: 'success' },
    ])
  })

  test('a wrong current password is refused and journaled; a weak or unchanged new one is refused', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { login: 'ivanova', passwordHash: await hashPassword(OLD) })
    await expect(changePassword(db, actor, { current: 'x', next: NEW })).rejects.toMatchObject({
      code: 'validation',
      message: 'Текущий пароль указан неверно',
    })
    const [denied] = await auditRows(db)
    expect(denied).toMatchObject({ action: 'auth.password_change', result: 'denied', subject_id: user.id })
    await expectRefusal(db, 'validation', () => changePassword(db, actor, { current: OLD, next: 'short' }))
    await expectRefusal(db, 'validation', () => changePassword(db, actor, { current: OLD, next: 'qwerty123' }))
    await expectRefusal(db, 'validation', () => changePassword(db, actor, { current: OLD, next: OLD }))
  })

  test('an account without a login has no password to change; a deactivated one cannot', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { login: null })
    await expectRefusal(db, 'invalid_transition', () => changePassword(db, actor, { current: OLD, next: NEW }))
    const { user } = await buildActor(db, {
      login: 'petrov',
      passwordHash: await hashPassword(OLD),
      status: 'deactivated',
    })
    await expect(changePassword(db, actorFromUser(user, 'web'), { current: OLD, next: NEW })).rejects.toMatchObject({
      code: 'forbidden',
    })
  })
})

describe('guesses at the current password', () => {
  test('are throttled per person and address like logins, journaled, and another address is not affected', async () => {
    const { db } = await testDatabase()
    const { user } = await buildActor(db, { login: 'ivanova', passwordHash: await hashPassword(OLD) }, 'web')
    const at = (ip: string) => actorFromUser(user, 'web', ip)
    const throttle = new LoginThrottle()
    for (let i = 0; i < defaultRules.pair.free; i++) {
      await expect(
        changePassword(db, at('10.4.0.1'), { current: `guess-${i}`, next: NEW }, throttle),
      ).rejects.toMatchObject({ code: 'validation' })
    }
    // Now even the right password is not checked from there.
    for (let i = 0; i < 3; i++) {
      await expect(changePassword(db, at('10.4.0.1'), { current: OLD, next: NEW }, throttle)).rejects.toMatchObject({
        code: 'rate_limited',
        message: expect.stringMatching(/Слишком много неверных попыток/),
      })
    }
    const denied = (await auditRows(db)).map((r) => JSON.parse(r.details ?? '{}').reason)
    expect(denied).toEqual([...Array(defaultRules.pair.free).fill('wrong_password'), 'throttled'])
    expect(await changePassword(db, at('10.4.0.2'), { current: OLD, next: NEW }, throttle)).toEqual({ revoked: 0 })
  })
})
