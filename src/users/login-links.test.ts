import { assert, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { clockAt } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { auditRows } from '../../test/support/state.ts'
import { actorFromUser } from './actor.ts'
import {
  consumeLoginLink,
  createLoginLink,
  LinkThrottle,
  LOGIN_LINK_MINUTES,
  loginLinkMessages,
  loginLinkProblem,
  loginLinkUrl,
} from './login-links.ts'
import { hashToken, resolveSession } from './sessions.ts'

const meta = { ip: '10.1.2.3', userAgent: 'Mozilla/5.0 test' }

async function personWithLink(db: Db) {
  const user = await buildUser(db)
  const link = await createLoginLink(db, actorFromUser(user, 'bot'), { userId: user.id })
  return { user, link }
}

async function sessionCount(db: Db, userId: number): Promise<number> {
  return (await db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length
}

describe('login links', () => {
  test('a link stores only the hash of 256 random bits, lives five minutes and is journaled', async () => {
    const { db } = await testDatabase()
    clockAt(0)
    const { user, link } = await personWithLink(db)

    expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const rows = await db.selectFrom('login_links').selectAll().execute()
    expect(rows).toEqual([
      {
        token_hash: hashToken(link.token),
        user_id: user.id,
        created_at: '2026-03-02T08:00:00.000Z',
        expires_at: '2026-03-02T08:05:00.000Z',
        used_at: null,
      },
    ])
    expect(link.expiresAt).toBe('2026-03-02T08:05:00.000Z')
    expect(JSON.stringify(await auditRows(db))).not.toContain(link.token)
    expect((await auditRows(db)).at(-1)).toMatchObject({
      action: 'auth.login_link.create',
      actor_id: user.id,
      channel: 'bot',
      subject_id: user.id,
      result: 'success',
    })
    expect(loginLinkUrl('https://hd.example', link.token)).toBe(`https://hd.example/login/telegram/${link.token}`)
  })

  test('a link opens one session, once; the second use is refused and changes nothing', async () => {
    const { db } = await testDatabase()
    const { user, link } = await personWithLink(db)

    const first = await consumeLoginLink(db, { token: link.token, ...meta })
    assert(!first.codeRequired)
    expect(first.user.id).toBe(user.id)
    expect((await resolveSession(db, first.token))?.user.id).toBe(user.id)
    expect((await auditRows(db)).at(-1)).toMatchObject({ action: 'auth.login', actor_id: user.id, ip: meta.ip })
    expect(JSON.parse((await auditRows(db)).at(-1)?.details ?? '{}')).toEqual({ method: 'telegram_link' })

    await expect(consumeLoginLink(db, { token: link.token, ...meta })).rejects.toMatchObject({
      code: 'unauthorized',
      message: loginLinkMessages.used,
    })
    expect(await sessionCount(db, user.id)).toBe(1)
    const failed = (await auditRows(db)).at(-1)
    expect(failed).toMatchObject({ action: 'auth.login_failed', result: 'denied', subject_id: user.id })
    expect(JSON.parse(failed?.details ?? '{}')).toEqual({ method: 'telegram_link', reason: 'used' })
    expect(await loginLinkProblem(db, link.token)).toBe(loginLinkMessages.used)
  })

  test('a link expires five minutes after it was issued (the test clock)', async () => {
    const { db } = await testDatabase()
    clockAt(0)
    const { user, link } = await personWithLink(db)
    clockAt(LOGIN_LINK_MINUTES * 60_000 - 1)
    expect(await loginLinkProblem(db, link.token)).toBeUndefined()
    clockAt(LOGIN_LINK_MINUTES * 60_000)
    expect(await loginLinkProblem(db, link.token)).toBe(loginLinkMessages.expired)
    await expect(consumeLoginLink(db, { token: link.token, ...meta })).rejects.toMatchObject({
      code: 'unauthorized',
      message: loginLinkMessages.expired,
    })
    expect(await sessionCount(db, user.id)).toBe(0)
    expect((await db.selectFrom('login_links').select('used_at').executeTakeFirst())?.used_at).toBeNull()
  })

  test('unknown and malformed tokens are refused and journaled without a subject', async () => {
    const { db } = await testDatabase()
    for (const token of ['x'.repeat(43), 'short', '../../etc/passwd']) {
      await expect(consumeLoginLink(db, { token, ...meta })).rejects.toMatchObject({
        code: 'unauthorized',
        message: loginLinkMessages.unknown,
      })
    }
    const failed = (await auditRows(db)).filter((r) => r.action === 'auth.login_failed')
    expect(failed).toHaveLength(3)
    expect(failed.every((r) => r.subject_id === null && r.result === 'denied')).toBe(true)
    expect(await db.selectFrom('sessions').selectAll().execute()).toEqual([])
  })

  test('a deactivated person’s link opens nothing and stays unused', async () => {
    const { db } = await testDatabase()
    const { user, link } = await personWithLink(db)
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', user.id).execute()

    expect(await loginLinkProblem(db, link.token)).toMatch(/отключена/)
    await expect(consumeLoginLink(db, { token: link.token, ...meta })).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/отключена/),
    })
    expect(await sessionCount(db, user.id)).toBe(0)
    expect((await db.selectFrom('login_links').select('used_at').executeTakeFirst())?.used_at).toBeNull()
    expect(JSON.parse((await auditRows(db)).at(-1)?.details ?? '{}')).toMatchObject({ reason: 'status_deactivated' })
  })

  test('only an active person gets a link, and only for themself', async () => {
    const { db } = await testDatabase()
    for (const status of ['pending', 'rejected', 'deactivated'] as const) {
      const user = await buildUser(db, { status })
      await expect(createLoginLink(db, actorFromUser(user, 'bot'), { userId: user.id })).rejects.toMatchObject({
        code: 'forbidden',
      })
    }
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const other = await buildUser(db)
    await expect(createLoginLink(db, admin, { userId: other.id })).rejects.toMatchObject({ code: 'forbidden' })
    expect(await db.selectFrom('login_links').selectAll().execute()).toEqual([])
  })

  test('a new link replaces the earlier one', async () => {
    const { db } = await testDatabase()
    const { user, link: first } = await personWithLink(db)
    const second = await createLoginLink(db, actorFromUser(user, 'bot'), { userId: user.id })
    await expect(consumeLoginLink(db, { token: first.token, ...meta })).rejects.toMatchObject({
      message: loginLinkMessages.unknown,
    })
    expect((await consumeLoginLink(db, { token: second.token, ...meta })).user.id).toBe(user.id)
  })

  test('links dead for a day are swept when a new one is issued', async () => {
    const { db } = await testDatabase()
    clockAt(0)
    const { user: old } = await personWithLink(db)
    clockAt(24 * 60 * 60_000 + LOGIN_LINK_MINUTES * 60_000 - 1)
    await personWithLink(db)
    expect((await db.selectFrom('login_links').select('user_id').execute()).map((l) => l.user_id)).toContain(old.id)
    clockAt(24 * 60 * 60_000 + LOGIN_LINK_MINUTES * 60_000 + 1)
    const { user: latest } = await personWithLink(db)
    const left = (await db.selectFrom('login_links').select('user_id').execute()).map((l) => l.user_id)
    expect(left).not.toContain(old.id)
    expect(left).toContain(latest.id)
  })

  test('two uses at once: exactly one session', async () => {
    const { db } = await testDatabase()
    const { user, link } = await personWithLink(db)
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, () => consumeLoginLink(db, { token: link.token, ...meta })),
    )
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    const refused = outcomes.filter((o) => o.status === 'rejected')
    expect(refused).toHaveLength(3)
    for (const o of refused) expect(o.reason).toMatchObject({ name: 'DomainError', message: loginLinkMessages.used })
    expect(await sessionCount(db, user.id)).toBe(1)
    expect((await auditRows(db)).filter((r) => r.action === 'auth.login')).toHaveLength(1)
  })

  test('an address with too many failed attempts is slowed down', async () => {
    const { db } = await testDatabase()
    const { link } = await personWithLink(db)
    const throttle = new LinkThrottle(2, 15)
    for (let i = 0; i < 2; i++) {
      await expect(consumeLoginLink(db, { token: 'y'.repeat(43), ...meta }, throttle)).rejects.toMatchObject({
        code: 'unauthorized',
      })
    }
    await expect(consumeLoginLink(db, { token: link.token, ...meta }, throttle)).rejects.toMatchObject({
      code: 'rate_limited',
    })
    expect(await loginLinkProblem(db, link.token)).toBeUndefined()
    // A flood of refused attempts is one journal row, then one summary when its window ends.
    const before = (await auditRows(db)).length
    await Promise.allSettled(
      Array.from({ length: 300 }, () => consumeLoginLink(db, { token: link.token, ...meta }, throttle)),
    )
    expect((await auditRows(db)).length - before).toBe(0)
    await throttle.refusals.close(db, true)
    const summary = (await auditRows(db)).slice(before)
    expect(summary).toHaveLength(1)
    expect(JSON.parse(summary[0]?.details ?? '{}')).toMatchObject({ reason: 'throttled', repeated: 300 })
  })
})
