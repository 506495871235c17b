import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { addMinutes, now, setClock } from '#src/db/time.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { actorFromUser } from './actor.ts'
import { LOCKOUT_MINUTES, LoginThrottle, loginWithPassword, logout, MAX_FAILED_LOGINS } from './login.ts'
import { hashPassword } from './passwords.ts'
import { resolveSession } from './sessions.ts'

const password = 'правильный-пароль-2026'
let passwordHash: string | undefined

async function userWithPassword(db: Db, status: 'active' | 'pending' | 'rejected' | 'deactivated' = 'active') {
  passwordHash ??= await hashPassword(password)
  return buildUser(db, { login: `user${Math.random().toString(36).slice(2, 10)}`, passwordHash, status })
}

async function journal(db: Db) {
  return db
    .selectFrom('audit_log')
    .select(['action', 'result', 'actor_id', 'subject_id', 'ip', 'details'])
    .orderBy('id')
    .execute()
}

const attempt = (login: string, pass: string, ip: string | null = '10.1.1.1') => ({
  login,
  password: pass,
  ip,
  userAgent: 'vitest',
  channel: 'api' as const,
})

describe('loginWithPassword', () => {
  test('the right password opens a session, resets the failure count and is journaled', async () => {
    const { db } = await testDatabase()
    const user = await userWithPassword(db)
    await db.updateTable('users').set({ failed_logins: 3 }).where('id', '=', user.id).execute()
    const result = await loginWithPassword(db, attempt(` ${user.login?.toUpperCase()} `, password), new LoginThrottle())
    expect(result.user.id).toBe(user.id)
    expect((await resolveSession(db, result.token))?.user.id).toBe(user.id)
    const row = await db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ failed_logins: 0, locked_until: null })
    expect(row.last_login_at).not.toBeNull()
    expect(await journal(db)).toEqual([
      {
        action: 'auth.login',
        result: 'success',
        actor_id: user.id,
        subject_id: user.id,
        ip: '10.1.1.1',
        details: null,
      },
    ])
  })

  test('an unknown login and a wrong password get the same generic refusal, both journaled', async () => {
    const { db } = await testDatabase()
    const user = await userWithPassword(db)
    const throttle = new LoginThrottle()
    const unknown = loginWithPassword(db, attempt('nobody', password), throttle)
    await expect(unknown).rejects.toMatchObject({ code: 'unauthorized', message: 'Неверный логин или пароль' })
    const wrong = loginWithPassword(db, attempt(user.login ?? '', 'не тот пароль'), throttle)
    await expect(wrong).rejects.toMatchObject({ code: 'unauthorized', message: 'Неверный логин или пароль' })
    const rows = await journal(db)
    expect(rows).toMatchObject([
      { action: 'auth.login_failed', result: 'denied', actor_id: null, subject_id: null },
      { action: 'auth.login_failed', result: 'denied', actor_id: null, subject_id: user.id },
    ])
    // The journal never holds the attempted login or password.
    expect(JSON.stringify(rows)).not.toContain('nobody')
    expect(JSON.stringify(rows)).not.toContain('не тот')
    expect(await db.selectFrom('sessions').selectAll().execute()).toEqual([])
  })

  test(`the ${MAX_FAILED_LOGINS}th failure locks the account for ${LOCKOUT_MINUTES} minutes, even against the right password`, async () => {
    const { db } = await testDatabase()
    const user = await userWithPassword(db)
    const login = user.login ?? ''
    const throttle = new LoginThrottle()
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) {
      await expect(loginWithPassword(db, attempt(login, `wrong-${i}`), throttle)).rejects.toMatchObject({
        code: 'unauthorized',
      })
    }
    const locked = await db
      .selectFrom('users')
      .select('locked_until')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow()
    expect(locked.locked_until).not.toBeNull()
    await expect(loginWithPassword(db, attempt(login, password), throttle)).rejects.toMatchObject({
      code: 'rate_limited',
    })
    const last = (await journal(db)).at(-1)
    expect(last).toMatchObject({ action: 'auth.login_failed', result: 'denied', subject_id: user.id })
    expect(last?.details).toContain('locked')

    const at = Date.parse(addMinutes(now(), LOCKOUT_MINUTES + 1))
    const restore = setClock(() => new Date(at))
    try {
      const result = await loginWithPassword(db, attempt(login, password), throttle)
      expect(result.user.id).toBe(user.id)
    } finally {
      restore()
    }
  })

  test('pending, rejected and deactivated accounts are refused with a clear message, after the password', async () => {
    const { db } = await testDatabase()
    const throttle = new LoginThrottle()
    const messages: Record<string, RegExp> = {
      pending: /не подтверждена/,
      rejected: /отклонена/,
      deactivated: /отключена/,
    }
    for (const status of ['pending', 'rejected', 'deactivated'] as const) {
      const user = await userWithPassword(db, status)
      await expect(loginWithPassword(db, attempt(user.login ?? '', password), throttle)).rejects.toMatchObject({
        code: 'forbidden',
        message: expect.stringMatching(messages[status] ?? /./),
      })
      // A wrong password does not reveal the account's state.
      await expect(loginWithPassword(db, attempt(user.login ?? '', 'wrong'), throttle)).rejects.toMatchObject({
        code: 'unauthorized',
      })
    }
    expect(await db.selectFrom('sessions').selectAll().execute()).toEqual([])
    const rows = await journal(db)
    expect(rows.every((r) => r.action === 'auth.login_failed' && r.result === 'denied')).toBe(true)
  })

  test('an address with too many failures is throttled whatever login it tries', async () => {
    const { db } = await testDatabase()
    const user = await userWithPassword(db)
    const throttle = new LoginThrottle(3, 15)
    for (let i = 0; i < 3; i++) {
      await expect(loginWithPassword(db, attempt(`ghost${i}`, 'x', '10.9.9.9'), throttle)).rejects.toMatchObject({
        code: 'unauthorized',
      })
    }
    await expect(
      loginWithPassword(db, attempt(user.login ?? '', password, '10.9.9.9'), throttle),
    ).rejects.toMatchObject({
      code: 'rate_limited',
    })
    // Another address is not affected.
    const ok = await loginWithPassword(db, attempt(user.login ?? '', password, '10.9.9.10'), throttle)
    expect(ok.user.id).toBe(user.id)
  })

  test('a user without a password cannot log in', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db, { login: 'botonly', passwordHash: null })
    await expect(loginWithPassword(db, attempt('botonly', ''), new LoginThrottle())).rejects.toMatchObject({
      code: 'unauthorized',
    })
    expect(user.id).toBeGreaterThan(0)
  })

  test('logout revokes the session and is journaled', async () => {
    const { db } = await testDatabase()
    const user = await userWithPassword(db)
    const session = await loginWithPassword(db, attempt(user.login ?? '', password), new LoginThrottle())
    await logout(db, actorFromUser(session.user, 'api', '10.1.1.1'), session.token)
    expect(await resolveSession(db, session.token)).toBeUndefined()
    expect((await journal(db)).map((r) => r.action)).toEqual(['auth.login', 'auth.logout'])
  })
})
