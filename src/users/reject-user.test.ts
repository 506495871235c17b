import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal, outboxOf } from '../../test/support/state.ts'
import { rejectUser } from './reject-user.ts'

describe('rejectUser', () => {
  test('a curator rejects a pending registration with a reason, and the person is told', async () => {
    const { db } = await testDatabase()
    const { user: curator, actor } = await buildActor(db, { role: 'curator' })
    const pending = await buildUser(db, { status: 'pending', telegramChatId: '700000002' })

    const rejected = await rejectUser(db, actor, { userId: pending.id, reason: '  Не работает в больнице ' })

    expect(rejected).toMatchObject({ status: 'rejected', rejection_reason: 'Не работает в больнице' })
    const last = (await auditRows(db)).at(-1)
    expect(last).toMatchObject({ action: 'user.reject', actor_id: curator.id, subject_id: pending.id, pdn_related: 1 })
    expect(last?.description).not.toContain('Не работает')
    expect(await outboxOf(db, 'registration_rejected')).toEqual([
      { recipient: '700000002', payload: { userId: pending.id, subjectId: pending.id } },
    ])
  })

  test('a reason is required', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const pending = await buildUser(db, { status: 'pending' })
    await expectRefusal(db, 'validation', () => rejectUser(db, actor, { userId: pending.id, reason: '   ' }))
  })

  test('an executor may not reject; the attempt is journaled', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'executor' })
    const pending = await buildUser(db, { status: 'pending' })
    const [denied] = await expectRefusal(db, 'forbidden', () =>
      rejectUser(db, actor, { userId: pending.id, reason: 'x' }),
    )
    expect(denied).toMatchObject({ action: 'user.reject', subject_id: pending.id })
  })

  test('an unknown user is not found', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    await expectRefusal(db, 'not_found', () => rejectUser(db, actor, { userId: 999_999, reason: 'x' }))
  })

  test.each(['active', 'rejected', 'deactivated'] as const)('a %s account cannot be rejected', async (status) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const user = await buildUser(db, { status })
    await expectRefusal(db, 'invalid_transition', () => rejectUser(db, actor, { userId: user.id, reason: 'x' }))
  })
})
