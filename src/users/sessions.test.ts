import { describe, expect, test } from 'vitest'
import { addMinutes, now, setClock } from '#src/db/time.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import {
  createSession,
  hashToken,
  resolveSession,
  revokeSession,
  revokeUserSessions,
  SESSION_IDLE_MINUTES,
  SESSION_LIFETIME_MINUTES,
  sessionCookieOptions,
} from './sessions.ts'

const meta = { ip: '10.0.0.5', userAgent: 'Mozilla/5.0' }

/** Runs `fn` with the clock moved `minutes` ahead of the real one. */
async function later<T>(minutes: number, fn: () => Promise<T>): Promise<T> {
  const at = Date.parse(addMinutes(now(), minutes))
  const restore = setClock(() => new Date(at))
  try {
    return await fn()
  } finally {
    restore()
  }
}

describe('sessions', () => {
  test('a new session stores only the hash of a 256-bit token and resolves to its user', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db)
    const session = await createSession(db, user.id, meta)
    expect(session.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const row = await db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow()
    expect(row.id).toBe(hashToken(session.token))
    expect(row.id).not.toContain(session.token)
    expect(row).toMatchObject({ user_id: user.id, ip: '10.0.0.5', revoked_at: null })
    const resolved = await resolveSession(db, session.token)
    expect(resolved?.user.id).toBe(user.id)
    expect(resolved?.sessionId).toBe(row.id)
  })

  test('unknown, malformed and revoked tokens resolve to nothing', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db)
    const session = await createSession(db, user.id, meta)
    expect(await resolveSession(db, 'x'.repeat(43))).toBeUndefined()
    expect(await resolveSession(db, "' or 1=1 --")).toBeUndefined()
    expect(await revokeSession(db, session.token)).toBe(true)
    expect(await revokeSession(db, session.token)).toBe(false)
    expect(await resolveSession(db, session.token)).toBeUndefined()
  })

  test('a session idle for 30 minutes is dead; activity keeps it alive', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db)
    const session = await createSession(db, user.id, meta)
    expect(await later(SESSION_IDLE_MINUTES - 1, () => resolveSession(db, session.token))).toBeDefined()
    // The request above touched it: 29 more minutes from then is still alive.
    expect(await later(2 * SESSION_IDLE_MINUTES - 2, () => resolveSession(db, session.token))).toBeDefined()
    const idle = await createSession(db, user.id, meta)
    expect(await later(SESSION_IDLE_MINUTES, () => resolveSession(db, idle.token))).toBeUndefined()
  })

  test('a session ends after 12 hours however active it is', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db)
    const session = await createSession(db, user.id, meta)
    for (let minutes = 20; minutes < SESSION_LIFETIME_MINUTES; minutes += 20) {
      expect(await later(minutes, () => resolveSession(db, session.token))).toBeDefined()
    }
    expect(await later(SESSION_LIFETIME_MINUTES, () => resolveSession(db, session.token))).toBeUndefined()
  })

  test('last_seen_at is written at most once a minute', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db)
    const session = await createSession(db, user.id, meta)
    const seen = async () =>
      (await db.selectFrom('sessions').select('last_seen_at').executeTakeFirstOrThrow()).last_seen_at
    const first = await seen()
    await later(0.5, () => resolveSession(db, session.token))
    expect(await seen()).toBe(first)
    await later(1.5, () => resolveSession(db, session.token))
    expect(await seen()).not.toBe(first)
  })

  test('a deactivated or pending user has no session', async () => {
    const { db } = await testDatabase()
    for (const status of ['deactivated', 'pending', 'rejected'] as const) {
      const user = await buildUser(db, { status })
      const session = await createSession(db, user.id, meta)
      expect(await resolveSession(db, session.token)).toBeUndefined()
    }
  })

  test('revoking a user’s sessions ends all of them', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db)
    const a = await createSession(db, user.id, meta)
    const b = await createSession(db, user.id, meta)
    expect(await revokeUserSessions(db, user.id)).toBe(2)
    expect(await resolveSession(db, a.token)).toBeUndefined()
    expect(await resolveSession(db, b.token)).toBeUndefined()
  })

  test('the cookie is Secure only for an https site', () => {
    expect(sessionCookieOptions('https://helpdesk.example').secure).toBe(true)
    expect(sessionCookieOptions('http://10.0.0.1:3000')).toMatchObject({
      secure: false,
      httpOnly: true,
      sameSite: 'Lax',
    })
  })
})
