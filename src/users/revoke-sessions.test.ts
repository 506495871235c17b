import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { revokeSessions } from './revoke-sessions.ts'
import { activeSessions } from './session-list.ts'
import { createSession, hashToken, resolveSession } from './sessions.ts'

async function live(db: Db, userId: number) {
  return (await activeSessions(db, userId)).map((s) => s.id)
}

describe('revokeSessions and activeSessions', () => {
  test('an admin ends one session of a person, then all; the ended ones no longer resolve', async () => {
    const { db } = await testDatabase()
    const { user: admin, actor } = await buildActor(db, { role: 'admin' }, 'web')
    const person = await buildUser(db)
    const first = await createSession(db, person.id, { ip: '10.0.0.1', userAgent: 'A' })
    const second = await createSession(db, person.id, { ip: '10.0.0.2', userAgent: 'B' })
    expect((await live(db, person.id)).sort()).toEqual([first.sessionId, second.sessionId].sort())

    expect(await revokeSessions(db, actor, { userId: person.id, sessionId: first.sessionId })).toBe(1)
    expect(await resolveSession(db, first.token)).toBeUndefined()
    expect(await resolveSession(db, second.token)).toBeDefined()
    expect(await live(db, person.id)).toEqual([second.sessionId])

    expect(await revokeSessions(db, actor, { userId: person.id })).toBe(1)
    expect(await live(db, person.id)).toEqual([])
    expect(await auditRows(db)).toMatchObject([
      { action: 'auth.session_revoke', actor_id: admin.id, subject_id: person.id, details: '{"count":1,"all":false}' },
      { action: 'auth.session_revoke', actor_id: admin.id, subject_id: person.id, details: '{"count":1,"all":true}' },
    ])
  })

  test('a person ends their own session; another person’s session is not found for them', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role: 'requester' }, 'web')
    const own = await createSession(db, user.id, { ip: null, userAgent: null })
    const stranger = await buildUser(db)
    const foreign = await createSession(db, stranger.id, { ip: null, userAgent: null })
    await expectRefusal(db, 'not_found', () =>
      revokeSessions(db, actor, { userId: user.id, sessionId: foreign.sessionId }),
    )
    expect(await revokeSessions(db, actor, { userId: user.id, sessionId: own.sessionId })).toBe(1)
    expect(await live(db, stranger.id)).toEqual([hashToken(foreign.token)])
  })

  test.each(['curator', 'executor', 'requester'] as const)('a %s may not end someone else’s sessions', async (role) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role })
    const person = await buildUser(db)
    await createSession(db, person.id, { ip: null, userAgent: null })
    const [denied] = await expectRefusal(db, 'forbidden', () => revokeSessions(db, actor, { userId: person.id }))
    expect(denied).toMatchObject({ action: 'auth.session_revoke', subject_id: person.id })
  })
})
