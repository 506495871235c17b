import { assert, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { clockAt } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildConsent, buildUser } from '../../test/support/factories.ts'
import { auditRows, dataSnapshot, journalOf, userRow } from '../../test/support/state.ts'
import { LinkThrottle } from './login-links.ts'
import {
  consumePasswordLink,
  issuePasswordLink,
  PASSWORD_LINK_HOURS,
  passwordLinkMessages,
  viewPasswordLink,
} from './password-links.ts'
import { verifyPassword } from './passwords.ts'
import { createSession, hashToken, resolveSession } from './sessions.ts'

const meta = { ip: '10.1.2.3', userAgent: 'Mozilla/5.0 test' }
const GOOD = 'зелёный трамвай 42'

async function personWithLink(db: Db, overrides: Parameters<typeof buildUser>[1] = {}) {
  const { actor: admin } = await buildActor(db, { role: 'admin' }, 'web')
  const user = await buildUser(db, { login: 'ivanova', ...overrides })
  const link = await transact(db, (tx) => issuePasswordLink(tx, admin, user))
  return { admin, user, link }
}

function post(token: string, extra: Partial<{ password: string; repeat: string; consent: boolean }> = {}) {
  return { token, password: GOOD, repeat: GOOD, consent: true, ...meta, ...extra }
}

async function linkRow(db: Db) {
  return db.selectFrom('password_links').selectAll().executeTakeFirstOrThrow()
}

describe('set-password links', () => {
  test('a link stores only the hash of 256 random bits, lives 24 hours, replaces the earlier one and is journaled', async () => {
    const { db } = await testDatabase()
    clockAt(0)
    const { admin, user, link } = await personWithLink(db)
    const second = await transact(db, (tx) => issuePasswordLink(tx, admin, user))

    expect(second.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const rows = await db.selectFrom('password_links').selectAll().execute()
    expect(rows).toEqual([
      {
        token_hash: hashToken(second.token),
        user_id: user.id,
        created_by: admin.id,
        created_at: '2026-03-02T08:00:00.000Z',
        expires_at: '2026-03-03T08:00:00.000Z',
        used_at: null,
      },
    ])
    expect(PASSWORD_LINK_HOURS).toBe(24)
    expect(await viewPasswordLink(db, link.token)).toEqual({ problem: passwordLinkMessages.unknown })
    const journal = await journalOf(db, 'user.password_link.create')
    expect(journal).toHaveLength(2)
    expect(journal[0]).toMatchObject({ actor_id: admin.id, subject_id: user.id })
    expect(JSON.stringify(journal)).not.toContain(second.token)
  })

  test('an account without a login gets no link', async () => {
    const { db } = await testDatabase()
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const user = await buildUser(db)
    await expect(transact(db, (tx) => issuePasswordLink(tx, admin, user))).rejects.toMatchObject({
      code: 'validation',
      message: passwordLinkMessages.noLogin,
    })
  })

  test('viewing the link spends nothing; using it sets the password, records the consent, signs in and ends older sessions', async () => {
    const { db } = await testDatabase()
    const { user, link } = await personWithLink(db)
    const old = await createSession(db, user.id, meta)

    expect(await viewPasswordLink(db, link.token)).toMatchObject({ login: 'ivanova', consent: { version: 1 } })
    expect((await linkRow(db)).used_at).toBeNull()

    const result = await consumePasswordLink(db, post(link.token))
    assert(!result.codeRequired)

    const row = await userRow(db, user.id)
    expect(await verifyPassword(row.password_hash ?? '', GOOD)).toBe(true)
    expect(await resolveSession(db, result.token)).toMatchObject({ user: { id: user.id } })
    expect(await resolveSession(db, old.token)).toBeUndefined()
    expect((await linkRow(db)).used_at).not.toBeNull()
    const consents = await db.selectFrom('consent_records').selectAll().where('user_id', '=', user.id).execute()
    expect(consents).toMatchObject([{ channel: 'web', status: 'given' }])
    expect(JSON.parse(consents[0]?.evidence ?? '{}')).toEqual({ ip: meta.ip, userAgent: meta.userAgent })
    const actions = (await auditRows(db)).filter((r) => r.subject_id === user.id).map((r) => r.action)
    expect(actions).toEqual(['user.password_link.create', 'user.password_set', 'consent.give', 'auth.login'])
    expect(JSON.stringify(await auditRows(db))).not.toContain(GOOD)
  })

  test('an account with 2FA on: the link sets the password but opens no session — the code is asked next', async () => {
    const { db } = await testDatabase()
    const { user, link } = await personWithLink(db)
    await db.updateTable('users').set({ totp_enabled: 1 }).where('id', '=', user.id).execute()

    const result = await consumePasswordLink(db, post(link.token))

    expect(result).toMatchObject({ codeRequired: true, user: { id: user.id } })
    expect(await verifyPassword((await userRow(db, user.id)).password_hash ?? '', GOOD)).toBe(true)
    expect(await db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).toEqual([])
    expect((await linkRow(db)).used_at).not.toBeNull()
    const actions = (await auditRows(db)).filter((r) => r.subject_id === user.id).map((r) => r.action)
    expect(actions).toEqual(['user.password_link.create', 'user.password_set', 'consent.give'])
  })

  test('a person who has consented to the current text is not asked again', async () => {
    const { db } = await testDatabase()
    const { user, link } = await personWithLink(db)
    await buildConsent(db, user.id)
    expect(await viewPasswordLink(db, link.token)).toMatchObject({ consent: null })

    await consumePasswordLink(db, post(link.token, { consent: false }))

    const consents = await db.selectFrom('consent_records').select('id').where('user_id', '=', user.id).execute()
    expect(consents).toHaveLength(1)
  })

  test('a bad password, two different passwords or no consent change nothing and keep the link', async () => {
    const { db } = await testDatabase()
    const { link } = await personWithLink(db)
    // The first read of the consent text writes version 1 on a fresh database, as every page does.
    await viewPasswordLink(db, link.token)
    const before = await dataSnapshot(db)
    const cases = [
      [post(link.token, { password: 'qwerty123', repeat: 'qwerty123' }), /утёкших/],
      [post(link.token, { password: 'ivanova-ivanova', repeat: 'ivanova-ivanova' }), /логин/],
      [post(link.token, { repeat: `${GOOD}!` }), passwordLinkMessages.mismatch],
      [post(link.token, { consent: false }), passwordLinkMessages.consent],
    ] as const
    for (const [input, message] of cases) {
      const refusal = consumePasswordLink(db, input)
      await expect(refusal).rejects.toMatchObject({ code: 'validation' })
      await expect(refusal).rejects.toThrow(message)
    }
    expect(await dataSnapshot(db)).toEqual(before)
    expect((await linkRow(db)).used_at).toBeNull()
    await consumePasswordLink(db, post(link.token))
  })

  test('a used, an expired and an unknown link are refused and journaled', async () => {
    const { db } = await testDatabase()
    clockAt(0)
    const { link } = await personWithLink(db)
    const other = await personWithLink(db, { login: 'petrov' })
    await consumePasswordLink(db, post(link.token))
    clockAt(PASSWORD_LINK_HOURS * 3_600_000)

    const refusals = [
      [link.token, passwordLinkMessages.used],
      [other.link.token, passwordLinkMessages.expired],
      ['x'.repeat(43), passwordLinkMessages.unknown],
      ['short', passwordLinkMessages.unknown],
    ] as const
    for (const [token, message] of refusals) {
      await expect(consumePasswordLink(db, post(token), new LinkThrottle())).rejects.toMatchObject({
        code: 'unauthorized',
        message,
      })
    }
    expect(await journalOf(db, 'user.password_link.refused', 'denied')).toHaveLength(4)
    expect((await userRow(db, other.user.id)).password_hash).toBeNull()
  })

  test('a deactivated account cannot use its link', async () => {
    const { db } = await testDatabase()
    const { user, link } = await personWithLink(db)
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', user.id).execute()
    await expect(consumePasswordLink(db, post(link.token), new LinkThrottle())).rejects.toMatchObject({
      code: 'unauthorized',
      message: passwordLinkMessages.inactive,
    })
    expect((await userRow(db, user.id)).password_hash).toBeNull()
  })

  test("an account that became the directory's (LDAP) cannot use a link issued before, nor get a new one", async () => {
    const { db } = await testDatabase()
    const { admin, user, link } = await personWithLink(db)
    await db.updateTable('users').set({ auth_source: 'ldap' }).where('id', '=', user.id).execute()

    expect(await viewPasswordLink(db, link.token)).toEqual({ problem: passwordLinkMessages.ldap })
    await expect(consumePasswordLink(db, post(link.token), new LinkThrottle())).rejects.toMatchObject({
      code: 'unauthorized',
      message: passwordLinkMessages.ldap,
    })
    expect((await userRow(db, user.id)).password_hash).toBeNull()
    expect((await linkRow(db)).used_at).toBeNull()
    const refused = await journalOf(db, 'user.password_link.refused', 'denied')
    expect(refused.map((r) => JSON.parse(r.details ?? '{}'))).toEqual([{ reason: 'ldap' }])

    const ldapUser = await userRow(db, user.id)
    await expect(transact(db, (tx) => issuePasswordLink(tx, admin, ldapUser))).rejects.toMatchObject({
      code: 'conflict',
      message: passwordLinkMessages.ldap,
    })
  })

  test('two uses at once set one password and open one session', async () => {
    const { db } = await testDatabase()
    const { user, link } = await personWithLink(db)
    const outcomes = await Promise.allSettled(
      ['первый пароль 1', 'второй пароль 2', 'третий пароль 3'].map((p) =>
        consumePasswordLink(db, post(link.token, { password: p, repeat: p })),
      ),
    )
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    expect(await journalOf(db, 'user.password_set')).toHaveLength(1)
    expect(await db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).toHaveLength(1)
    expect(await db.selectFrom('consent_records').select('id').where('user_id', '=', user.id).execute()).toHaveLength(1)
  })

  test('an address with too many failed attempts is slowed down', async () => {
    const { db } = await testDatabase()
    const { link } = await personWithLink(db)
    const throttle = new LinkThrottle(2, 15)
    for (let i = 0; i < 2; i++) {
      await expect(consumePasswordLink(db, post('y'.repeat(43)), throttle)).rejects.toMatchObject({
        code: 'unauthorized',
      })
    }
    await expect(consumePasswordLink(db, post(link.token), throttle)).rejects.toMatchObject({ code: 'rate_limited' })
    expect((await linkRow(db)).used_at).toBeNull()
  })
})
