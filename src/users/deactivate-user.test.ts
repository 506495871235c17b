import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal, outboxOf } from '../../test/support/state.ts'
import { deactivateUser } from './deactivate-user.ts'

async function giveAccess(db: Db, userId: number, label: string): Promise<void> {
  const at = now()
  await db
    .insertInto('sessions')
    .values({
      id: `session-${label}`,
      user_id: userId,
      created_at: at,
      last_seen_at: at,
      expires_at: '2999-01-01T00:00:00.000Z',
      ip: null,
      user_agent: null,
      revoked_at: null,
    })
    .execute()
  await db
    .insertInto('api_tokens')
    .values({
      user_id: userId,
      name: label,
      token_hash: `hash-${label}`,
      created_at: at,
      last_used_at: null,
      revoked_at: null,
    })
    .execute()
}

describe('deactivateUser', () => {
  test('an admin deactivates an account: its sessions and API tokens die, curators are told', async () => {
    const { db } = await testDatabase()
    const { user: admin, actor } = await buildActor(db, { role: 'admin' }, 'web')
    const curator = await buildUser(db, { role: 'curator', telegramChatId: '800000001' })
    await buildUser(db, { role: 'executor', telegramChatId: '800000002' })
    const target = await buildUser(db, { role: 'executor' })
    const bystander = await buildUser(db)
    await giveAccess(db, target.id, 'target')
    await giveAccess(db, bystander.id, 'bystander')

    const deactivated = await deactivateUser(db, actor, { userId: target.id })

    expect(deactivated).toMatchObject({ id: target.id, status: 'deactivated' })
    expect(deactivated.deactivated_at).not.toBeNull()
    const sessions = await db.selectFrom('sessions').select(['user_id', 'revoked_at']).execute()
    expect(sessions.find((s) => s.user_id === target.id)?.revoked_at).not.toBeNull()
    expect(sessions.find((s) => s.user_id === bystander.id)?.revoked_at).toBeNull()
    const tokens = await db.selectFrom('api_tokens').select(['user_id', 'revoked_at']).execute()
    expect(tokens.find((t) => t.user_id === target.id)?.revoked_at).not.toBeNull()
    expect(tokens.find((t) => t.user_id === bystander.id)?.revoked_at).toBeNull()
    const last = (await auditRows(db)).at(-1)
    expect(last).toMatchObject({ action: 'user.deactivate', actor_id: admin.id, subject_id: target.id, pdn_related: 1 })
    expect(JSON.parse(last?.details ?? '{}')).toMatchObject({ sessionsRevoked: 1, apiTokensRevoked: 1 })
    expect(await outboxOf(db, 'account_deactivated')).toEqual([
      { recipient: '800000001', payload: { userId: curator.id, subjectId: target.id } },
    ])
  })

  test('history stays: the row is kept, only its status changes', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const target = await buildUser(db, { fullName: 'Петров Пётр' })
    await deactivateUser(db, actor, { userId: target.id })
    expect(await db.selectFrom('users').select('full_name').where('id', '=', target.id).executeTakeFirst()).toEqual({
      full_name: 'Петров Пётр',
    })
  })

  test('an admin cannot deactivate themself', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role: 'admin' })
    await expectRefusal(db, 'conflict', () => deactivateUser(db, actor, { userId: user.id }))
  })

  test.each(['curator', 'executor', 'requester'] as const)(
    'a %s may not deactivate; the attempt is journaled',
    async (role) => {
      const { db } = await testDatabase()
      const { actor } = await buildActor(db, { role })
      const target = await buildUser(db)
      await giveAccess(db, target.id, 'target')
      const [denied] = await expectRefusal(db, 'forbidden', () => deactivateUser(db, actor, { userId: target.id }))
      expect(denied).toMatchObject({ action: 'user.deactivate', subject_id: target.id })
    },
  )

  test('an unknown user is not found', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    await expectRefusal(db, 'not_found', () => deactivateUser(db, actor, { userId: 999_999 }))
  })

  test.each(['pending', 'rejected', 'deactivated'] as const)('a %s account cannot be deactivated', async (status) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const target = await buildUser(db, { status })
    await expectRefusal(db, 'invalid_transition', () => deactivateUser(db, actor, { userId: target.id }))
  })
})
