import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { setClock } from '#src/db/time.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { actorFromUser } from './actor.ts'
import { LOGIN_REFUSED, loginWithPassword, logout } from './login.ts'
import { defaultRules, LoginThrottle } from './login-throttle.ts'
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

/** The reasons of the failed-login rows, in order. */
async function reasons(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('audit_log')
    .select('details')
    .where('action', '=', 'auth.login_failed')
    .orderBy('id')
    .execute()
  return rows.map((r) => String((JSON.parse(r.details ?? '{}') as { reason?: string }).reason))
}

/** How many attempts got as far as a password check (argon2): each is journaled with its reason. */
async function checkedAttempts(db: Db): Promise<number> {
  return (await reasons(db)).filter((r) => r !== 'throttled').length
}

const attempt = (login: string, pass: string, ip: string | null = '10.1.1.1') => ({
  login,
  password: pass,
  ip,
  userAgent: 'vitest',
  channel: 'api' as const,
})

/** Runs `fn` with the clock moved forward by `ms`. */
async function later<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const at = Date.now() + ms
  const restore = setClock(() => new Date(at))
  try {
    return await fn()
  } finally {
    restore()
  }
}

describe('loginWithPassword', () => {
  test('the right password opens a session, forgets the failures of this address and login, and is journaled', async () => {
    const { db } = await testDatabase()
    const user = await userWithPassword(db)
    const throttle = new LoginThrottle()
    for (let i = 0; i < 3; i++) {
      await expect(loginWithPassword(db, attempt(user.login ?? '', `wrong-${i}`), throttle)).rejects.toThrow()
    }
    const result = await loginWithPassword(db, attempt(` ${user.login?.toUpperCase()} `, password), throttle)
    expect(result.user.id).toBe(user.id)
    expect((await resolveSession(db, result.token))?.user.id).toBe(user.id)
    expect(
      (await db.selectFrom('users').select('last_login_at').executeTakeFirstOrThrow()).last_login_at,
    ).not.toBeNull()
    const rows = await db.selectFrom('login_throttle').select(['key', 'failures']).execute()
    // The address keeps the three failures; this login from this address starts again.
    expect(rows).toEqual([{ key: 'address:10.1.1.1', failures: 3 }])
    expect((await journal(db)).at(-1)).toEqual({
      action: 'auth.login',
      result: 'success',
      actor_id: user.id,
      subject_id: user.id,
      ip: '10.1.1.1',
      details: null,
    })
  })

  test('unknown, wrong, throttled, pending, rejected and deactivated (even with the right password) get one answer', async () => {
    const { db } = await testDatabase()
    const throttle = new LoginThrottle()
    const active = await userWithPassword(db)
    const cases = [
      attempt('nobody', password, '10.2.0.1'),
      attempt(active.login ?? '', 'не тот пароль', '10.2.0.2'),
      attempt((await userWithPassword(db, 'pending')).login ?? '', password, '10.2.0.3'),
      attempt((await userWithPassword(db, 'rejected')).login ?? '', password, '10.2.0.4'),
      attempt((await userWithPassword(db, 'deactivated')).login ?? '', password, '10.2.0.5'),
      attempt((await userWithPassword(db, 'deactivated')).login ?? '', 'wrong', '10.2.0.6'),
    ]
    for (let i = 0; i < defaultRules.pair.free; i++) {
      await loginWithPassword(db, attempt(active.login ?? '', `no-${i}`, '10.2.0.7'), throttle).catch(() => undefined)
    }
    cases.push(attempt(active.login ?? '', password, '10.2.0.7'))
    for (const input of cases) {
      await expect(loginWithPassword(db, input, throttle)).rejects.toMatchObject({
        name: 'DomainError',
        code: 'unauthorized',
        message: LOGIN_REFUSED,
      })
    }
    expect(await db.selectFrom('sessions').selectAll().execute()).toEqual([])
    expect((await reasons(db)).slice(defaultRules.pair.free, defaultRules.pair.free + 6)).toEqual([
      'unknown_login',
      'wrong_password',
      'status_pending',
      'status_rejected',
      'status_deactivated',
      'wrong_password',
    ])
    expect((await reasons(db)).at(-1)).toBe('throttled')
    // The journal never holds the attempted login or password.
    const text = JSON.stringify(await journal(db))
    expect(text).not.toContain('nobody')
    expect(text).not.toContain('не тот')
  })

  test('an attacker at one address cannot lock the person out at another, and waits ever longer himself', async () => {
    const { db } = await testDatabase()
    const user = await userWithPassword(db)
    const login = user.login ?? ''
    const throttle = new LoginThrottle()
    const fromA = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => loginWithPassword(db, attempt(login, `guess-${i}`, '10.66.0.1'), throttle)),
    )
    expect(fromA.every((o) => o.status === 'rejected')).toBe(true)
    expect(await checkedAttempts(db)).toBe(defaultRules.pair.free)
    // The person, right after, from their own computer.
    const own = await loginWithPassword(db, attempt(login, password, '10.5.5.5'), throttle)
    expect(own.user.id).toBe(user.id)
    // At A even the right password is not checked until the wait is over: 30 s, then 60 s.
    await expect(loginWithPassword(db, attempt(login, password, '10.66.0.1'), throttle)).rejects.toMatchObject({
      code: 'unauthorized',
    })
    const first = defaultRules.pair.firstDelayMs
    await later(first + 1_000, () => loginWithPassword(db, attempt(login, 'guess-x', '10.66.0.1'), throttle)).catch(
      () => undefined,
    )
    expect(await checkedAttempts(db)).toBe(defaultRules.pair.free + 1)
    await later(first + 1_000 + first + 1_000, () =>
      loginWithPassword(db, attempt(login, password, '10.66.0.1'), throttle),
    ).catch(() => undefined)
    expect(await checkedAttempts(db)).toBe(defaultRules.pair.free + 1)
    const after = await later(first + 1_000 + 2 * first + 1_000, () =>
      loginWithPassword(db, attempt(login, password, '10.66.0.1'), throttle),
    )
    expect(after.user.id).toBe(user.id)
  })

  test('600 parallel attempts check exactly the allowed number of passwords (per login, then per address)', async () => {
    const { db } = await testDatabase()
    const user = await userWithPassword(db)
    const throttle = new LoginThrottle()
    const sameLogin = await Promise.allSettled(
      Array.from({ length: 600 }, (_, i) =>
        loginWithPassword(db, attempt(user.login ?? '', `p${i}`, '10.7.0.1'), throttle),
      ),
    )
    expect(sameLogin.filter((o) => o.status === 'fulfilled')).toHaveLength(0)
    expect(await checkedAttempts(db)).toBe(defaultRules.pair.free)

    const spraying = await Promise.allSettled(
      Array.from({ length: 600 }, (_, i) => loginWithPassword(db, attempt(`login${i}`, 'x', '10.7.0.2'), throttle)),
    )
    expect(spraying.filter((o) => o.status === 'fulfilled')).toHaveLength(0)
    expect(await checkedAttempts(db)).toBe(defaultRules.pair.free + defaultRules.wide.free)
  })

  test('300 refused attempts cost two journal rows and no write to the throttle', async () => {
    const { db } = await testDatabase()
    const user = await userWithPassword(db)
    const throttle = new LoginThrottle({ refusalWindowMs: 60_000 })
    for (let i = 0; i < defaultRules.pair.free; i++) {
      await loginWithPassword(db, attempt(user.login ?? '', `no-${i}`, '10.8.0.1'), throttle).catch(() => undefined)
    }
    const counts = await db.selectFrom('login_throttle').selectAll().orderBy('key').execute()
    const before = (await journal(db)).length
    await Promise.allSettled(
      Array.from({ length: 300 }, () =>
        loginWithPassword(db, attempt(user.login ?? '', password, '10.8.0.1'), throttle),
      ),
    )
    expect(await db.selectFrom('login_throttle').selectAll().orderBy('key').execute()).toEqual(counts)
    expect((await journal(db)).length - before).toBe(1)
    // The window ends: the next refusal (or the timer) writes the summary with the count.
    await later(61_000, () => throttle.refusals.close(db))
    const rows = (await journal(db)).slice(before)
    expect(rows).toHaveLength(2)
    expect(rows.every((r) => r.action === 'auth.login_failed' && r.result === 'denied' && r.ip === '10.8.0.1')).toBe(
      true,
    )
    expect(JSON.parse(rows[1]?.details ?? '{}')).toMatchObject({ reason: 'throttled', repeated: 299 })
  })

  test('a refusal costs what a checked wrong password does: the hash work, or the wait for as long (medians of nine)', async () => {
    const { db } = await testDatabase()
    const throttle = new LoginThrottle()
    const user = await userWithPassword(db)
    const deactivated = await userWithPassword(db, 'deactivated')
    // The hash verification is CPU work, measured as CPU time: unlike wall time it does not grow when other
    // suites load the machine (CI once failed a wall-time bound of this test). A login without the dummy
    // verification costs a few percent of one with it.
    const medianCpu = async (make: (i: number) => ReturnType<typeof attempt>) => {
      const times: number[] = []
      for (let i = 0; i < 9; i++) {
        const started = process.cpuUsage()
        await loginWithPassword(db, make(i), throttle).catch(() => undefined)
        const used = process.cpuUsage(started)
        times.push((used.user + used.system) / 1000)
      }
      return times.sort((a, b) => a - b)[4] ?? 0
    }
    // Warm-up: the dummy hash is made once, the throttle learns how long a check takes.
    for (let i = 0; i < 3; i++)
      await loginWithPassword(db, attempt('nobody', 'x', `10.9.1.${i}`), throttle).catch(() => 0)
    const wrong = await medianCpu((i) => attempt(user.login ?? '', 'wrong', `10.9.2.${i}`))
    const unknown = await medianCpu((i) => attempt(`nobody${i}`, 'x', `10.9.3.${i}`))
    const inactive = await medianCpu((i) => attempt(deactivated.login ?? '', password, `10.9.4.${i}`))
    for (const other of [unknown, inactive]) expect(other).toBeGreaterThanOrEqual(0.5 * wrong)

    // A throttled attempt checks nothing: it waits until it has taken as long as a checked one typically does.
    for (let i = 0; i < defaultRules.pair.free; i++) {
      await loginWithPassword(db, attempt(user.login ?? '', 'wrong', '10.9.5.1'), throttle).catch(() => undefined)
    }
    const typical = throttle.typicalMs
    expect(typical).toBeGreaterThan(0)
    const started = performance.now()
    await loginWithPassword(db, attempt(user.login ?? '', password, '10.9.5.1'), throttle).catch(() => undefined)
    expect(performance.now() - started).toBeGreaterThanOrEqual(typical - 1)
    expect((await reasons(db)).at(-1)).toBe('throttled')
  })

  test('a user without a password cannot log in', async () => {
    const { db } = await testDatabase()
    await buildUser(db, { login: 'botonly', passwordHash: null })
    await expect(loginWithPassword(db, attempt('botonly', ''), new LoginThrottle())).rejects.toMatchObject({
      code: 'unauthorized',
    })
    expect(await reasons(db)).toEqual(['wrong_password'])
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
