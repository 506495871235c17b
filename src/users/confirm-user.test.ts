import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal, outboxOf } from '../../test/support/state.ts'
import { confirmUser } from './confirm-user.ts'

describe('confirmUser', () => {
  test.each(['curator', 'admin'] as const)(
    'a %s confirms a pending registration and the person is told',
    async (role) => {
      const { db } = await testDatabase()
      const { user: decider, actor } = await buildActor(db, { role }, 'web')
      const pending = await buildUser(db, { status: 'pending', telegramChatId: '700000001' })

      const confirmed = await confirmUser(db, actor, { userId: pending.id })

      expect(confirmed).toMatchObject({ id: pending.id, status: 'active', confirmed_by: decider.id })
      expect(confirmed.confirmed_at).not.toBeNull()
      expect((await auditRows(db)).at(-1)).toMatchObject({
        action: 'user.confirm',
        actor_id: decider.id,
        channel: 'web',
        subject_id: pending.id,
        object_id: String(pending.id),
        pdn_related: 1,
        result: 'success',
      })
      expect(await outboxOf(db, 'registration_confirmed')).toEqual([
        { recipient: '700000001', payload: { userId: pending.id, subjectId: pending.id } },
      ])
    },
  )

  test.each(['requester', 'executor'] as const)('a %s may not confirm; the attempt is journaled', async (role) => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role })
    const pending = await buildUser(db, { status: 'pending' })
    const [denied] = await expectRefusal(db, 'forbidden', () => confirmUser(db, actor, { userId: pending.id }))
    expect(denied).toMatchObject({ action: 'user.confirm', actor_id: user.id, subject_id: pending.id, pdn_related: 1 })
  })

  test('a deactivated curator may not confirm', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator', status: 'deactivated' })
    const pending = await buildUser(db, { status: 'pending' })
    await expectRefusal(db, 'forbidden', () => confirmUser(db, actor, { userId: pending.id }))
  })

  test('an unknown user is not found', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    await expectRefusal(db, 'not_found', () => confirmUser(db, actor, { userId: 999_999 }))
  })

  test.each(['active', 'rejected', 'deactivated'] as const)('a %s account cannot be confirmed', async (status) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const user = await buildUser(db, { status })
    await expectRefusal(db, 'invalid_transition', () => confirmUser(db, actor, { userId: user.id }))
  })

  test('two curators confirming at once: one succeeds, the other is refused', async () => {
    const { db } = await testDatabase()
    const a = await buildActor(db, { role: 'curator' })
    const b = await buildActor(db, { role: 'curator' })
    const pending = await buildUser(db, { status: 'pending' })
    const results = await Promise.allSettled([
      confirmUser(db, a.actor, { userId: pending.id }),
      confirmUser(db, b.actor, { userId: pending.id }),
    ])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect((await auditRows(db)).filter((r) => r.action === 'user.confirm')).toHaveLength(1)
    expect(await outboxOf(db, 'registration_confirmed')).toHaveLength(1)
  })
})
