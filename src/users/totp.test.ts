import { generate } from 'otplib'
import { describe, expect, test } from 'vitest'
import type { Db, Role } from '#src/db/schema.ts'
import { setTestClock, T0 } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { expectRefusal, journalOf, outboxOf, userRow } from '../../test/support/state.ts'
import { actorFromUser } from './actor.ts'
import { beginTotp } from './begin-totp.ts'
import { confirmTotp } from './confirm-totp.ts'
import { disableTotp } from './disable-totp.ts'
import { LOGIN_REFUSED, loginWithPassword, TOTP_REFUSED } from './login.ts'
import { LoginThrottle } from './login-throttle.ts'
import { hashPassword } from './passwords.ts'
import { resetTotp } from './reset-totp.ts'
import { createSession, resolveSession } from './sessions.ts'
import { openSecret, TOTP_PERIOD_S } from './totp.ts'

const KEY = 'k'.repeat(64)
const password = 'правильный-пароль-2026'
let passwordHash: string | undefined

/** A code of the secret for the time step `steps` away from the frozen clock's. */
function codeAt(secret: string, at: number, steps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(at / 1000) + steps * TOTP_PERIOD_S })
}

/** An active account with a password and TOTP confirmed at T0; the clock then frozen at `at`. */
async function enrolled(db: Db, role: Role = 'executor', at = T0 + 10 * TOTP_PERIOD_S * 1000) {
  passwordHash ??= await hashPassword(password)
  const user = await buildUser(db, { role, login: `u${Math.random().toString(36).slice(2, 10)}`, passwordHash })
  const actor = actorFromUser(user, 'api')
  setTestClock(T0)
  const { secret } = await beginTotp(db, actor, KEY)
  const recovery = await confirmTotp(db, actor, KEY, await codeAt(secret, T0))
  setTestClock(at)
  return { user, actor, secret, recovery, at }
}

function attempt(login: string, totpCode?: string, pass = password) {
  return { login, password: pass, ip: '10.9.0.1', userAgent: 'test', channel: 'api' as const, totpCode, secretKey: KEY }
}

async function failures(db: Db): Promise<number> {
  const rows = await db.selectFrom('login_throttle').select('failures').where('key', 'like', 'login:%').execute()
  return rows.reduce((sum, r) => sum + r.failures, 0)
}

describe('TOTP enrolment', () => {
  test('the secret is stored sealed; a wrong code is refused (422) and journaled; a right one gives ten codes, kept hashed', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role: 'curator', login: 'curator1' })
    setTestClock(T0)
    const { secret, otpauthUrl } = await beginTotp(db, actor, KEY)
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/.+secret=/)
    const stored = (await userRow(db, user.id)).totp_secret ?? ''
    expect(stored).not.toContain(secret)
    expect(openSecret(KEY, stored)).toBe(secret)
    expect(openSecret('x'.repeat(64), stored)).toBeNull()

    const right = await codeAt(secret, T0)
    const wrong = right === '000000' ? '111111' : '000000'
    await expect(confirmTotp(db, actor, KEY, wrong)).rejects.toMatchObject({ code: 'validation' })
    expect((await userRow(db, user.id)).totp_enabled).toBe(0)
    expect(await journalOf(db, 'auth.totp_enroll', 'denied')).toHaveLength(1)

    const codes = await confirmTotp(db, actor, KEY, right)
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    expect((await userRow(db, user.id)).totp_enabled).toBe(1)
    const hashes = await db.selectFrom('totp_recovery_codes').select('code_hash').execute()
    expect(hashes).toHaveLength(10)
    for (const { code_hash } of hashes) expect(codes.some((c) => code_hash.includes(c.replace('-', '')))).toBe(false)
    expect(await journalOf(db, 'auth.totp_enroll_begin')).toHaveLength(1)
    expect(await journalOf(db, 'auth.totp_enroll')).toHaveLength(1)
    // Enabled: a new enrolment cannot silently replace the factor.
    await expect(beginTotp(db, actor, KEY)).rejects.toMatchObject({ code: 'conflict' })
  })
})

describe('TOTP at login', () => {
  test('no code: totp_required, and the attempt neither counts nor wipes earlier failures', async () => {
    const { db } = await testDatabase()
    const { user, secret, at } = await enrolled(db)
    const login = user.login ?? ''
    const throttle = new LoginThrottle()
    await expect(loginWithPassword(db, attempt(login, '000000', 'не тот'), throttle)).rejects.toThrow(LOGIN_REFUSED)
    expect(await failures(db)).toBe(1)
    await expect(loginWithPassword(db, attempt(login), throttle)).rejects.toMatchObject({ code: 'totp_required' })
    expect(await failures(db)).toBe(1)
    const ok = await loginWithPassword(db, attempt(login, await codeAt(secret, at)), throttle)
    expect(await resolveSession(db, ok.token)).toBeDefined()
    expect(await failures(db)).toBe(0)
  })

  test('a right code never rescues a wrong password, and is not spent by it', async () => {
    const { db } = await testDatabase()
    const { user, secret, at } = await enrolled(db)
    const code = await codeAt(secret, at)
    const throttle = new LoginThrottle()
    await expect(loginWithPassword(db, attempt(user.login ?? '', code, 'не тот'), throttle)).rejects.toThrow(
      LOGIN_REFUSED,
    )
    await expect(loginWithPassword(db, attempt(user.login ?? '', code), throttle)).resolves.toMatchObject({
      user: { id: user.id },
    })
  })

  test('a code is refused a second time (replay), and the failure counts in the throttle and the journal', async () => {
    const { db } = await testDatabase()
    const { user, secret, at } = await enrolled(db)
    const code = await codeAt(secret, at)
    const throttle = new LoginThrottle()
    await loginWithPassword(db, attempt(user.login ?? '', code), throttle)
    expect(await failures(db)).toBe(0)
    await expect(loginWithPassword(db, attempt(user.login ?? '', code), throttle)).rejects.toMatchObject({
      code: 'unauthorized',
      message: TOTP_REFUSED,
    })
    expect(await failures(db)).toBe(1)
    const denied = await journalOf(db, 'auth.login_failed', 'denied')
    expect(denied.map((r) => JSON.parse(r.details ?? '{}').reason)).toEqual(['wrong_totp'])
  })

  test('±1 step is accepted, ±2 steps refused', async () => {
    const { db } = await testDatabase()
    const { user, secret, at } = await enrolled(db)
    const throttle = new LoginThrottle()
    const tryStep = (steps: number) =>
      codeAt(secret, at, steps).then((c) => loginWithPassword(db, attempt(user.login ?? '', c), throttle))
    await expect(tryStep(-2)).rejects.toMatchObject({ message: TOTP_REFUSED })
    await expect(tryStep(2)).rejects.toMatchObject({ message: TOTP_REFUSED })
    await expect(tryStep(-1)).resolves.toMatchObject({ user: { id: user.id } })
    await expect(tryStep(1)).resolves.toMatchObject({ user: { id: user.id } })
    // The current step lies before the last one used: refused too, whatever its code.
    await expect(tryStep(0)).rejects.toMatchObject({ message: TOTP_REFUSED })
  })

  test('a recovery code is accepted once (any case, without the dash), then refused', async () => {
    const { db } = await testDatabase()
    const { user, recovery } = await enrolled(db)
    const throttle = new LoginThrottle()
    const code = recovery[3] ?? ''
    await expect(
      loginWithPassword(db, attempt(user.login ?? '', code.toUpperCase().replace('-', '')), throttle),
    ).resolves.toBeDefined()
    await expect(loginWithPassword(db, attempt(user.login ?? '', code), throttle)).rejects.toMatchObject({
      message: TOTP_REFUSED,
    })
    await expect(loginWithPassword(db, attempt(user.login ?? '', recovery[4]), throttle)).resolves.toBeDefined()
  })
})

describe('turning TOTP off and resetting it', () => {
  test('off with a code where the policy allows; a required role cannot', async () => {
    const { db } = await testDatabase()
    const { user, actor, secret, at } = await enrolled(db, 'curator')
    const code = await codeAt(secret, at)
    await expect(
      disableTotp(db, actor, { code, secretKey: KEY, requiredRoles: ['curator', 'admin'] }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    })
    await expect(disableTotp(db, actor, { code: '123', secretKey: KEY, requiredRoles: [] })).rejects.toMatchObject({
      code: 'validation',
    })
    await disableTotp(db, actor, { code, secretKey: KEY, requiredRoles: [] })
    const row = await userRow(db, user.id)
    expect([row.totp_enabled, row.totp_secret]).toEqual([0, null])
    expect(await db.selectFrom('totp_recovery_codes').selectAll().execute()).toEqual([])
    expect(await journalOf(db, 'auth.totp_disable')).toHaveLength(1)
  })

  test('an admin reset clears the factor, ends every session, is journaled and told in Telegram; others are refused', async () => {
    const { db } = await testDatabase()
    const { user } = await enrolled(db)
    const session = await createSession(db, user.id, { ip: null, userAgent: null })
    const { actor: curator } = await buildActor(db, { role: 'curator' })
    await expectRefusal(db, 'forbidden', () => resetTotp(db, curator, user.id))

    const { user: admin, actor } = await buildActor(db, { role: 'admin' }, 'cli')
    expect(await resetTotp(db, actor, user.id)).toBe(1)
    expect(await resolveSession(db, session.token)).toBeUndefined()
    const row = await userRow(db, user.id)
    expect([row.totp_enabled, row.totp_secret, row.totp_last_step]).toEqual([0, null, null])
    expect(await db.selectFrom('totp_recovery_codes').selectAll().execute()).toEqual([])
    expect(await journalOf(db, 'auth.totp_reset')).toMatchObject([{ actor_id: admin.id, subject_id: user.id }])
    expect(await outboxOf(db, 'totp_reset')).toEqual([
      { recipient: user.telegram_chat_id, payload: { userId: user.id } },
    ])
    // Without 2FA now, the password alone signs in.
    await expect(loginWithPassword(db, attempt(user.login ?? ''), new LoginThrottle())).resolves.toBeDefined()
  })
})
