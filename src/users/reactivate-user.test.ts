import { describe, expect, test } from 'vitest'
import { now } from '#src/db/time.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildConsent, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { reactivateUser } from './reactivate-user.ts'

describe('reactivateUser', () => {
  test('an admin gives a deactivated account its access back', async () => {
    const { db } = await testDatabase()
    const { user: admin, actor } = await buildActor(db, { role: 'admin' })
    const target = await buildUser(db, { status: 'deactivated' })

    const active = await reactivateUser(db, actor, { userId: target.id })

    expect(active).toMatchObject({ status: 'active', deactivated_at: null })
    expect((await auditRows(db)).at(-1)).toMatchObject({
      action: 'user.reactivate',
      actor_id: admin.id,
      subject_id: target.id,
      pdn_related: 1,
    })
  })

  test('a curator may not reactivate; the attempt is journaled', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const target = await buildUser(db, { status: 'deactivated' })
    await expectRefusal(db, 'forbidden', () => reactivateUser(db, actor, { userId: target.id }))
  })

  test('an unknown user is not found', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    await expectRefusal(db, 'not_found', () => reactivateUser(db, actor, { userId: 999_999 }))
  })

  test.each(['pending', 'active', 'rejected'] as const)('a %s account cannot be reactivated', async (status) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const target = await buildUser(db, { status })
    await expectRefusal(db, 'invalid_transition', () => reactivateUser(db, actor, { userId: target.id }))
  })

  test('a person whose data was destroyed cannot come back', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const target = await buildUser(db, { status: 'deactivated' })
    await db.updateTable('users').set({ pseudonymised_at: now() }).where('id', '=', target.id).execute()
    await expectRefusal(db, 'invalid_transition', () => reactivateUser(db, actor, { userId: target.id }))
  })

  test('a person who withdrew consent cannot be reactivated without a new consent', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const target = await buildUser(db, { status: 'deactivated' })
    await buildConsent(db, target.id, 'withdrawn')
    await expectRefusal(db, 'invalid_transition', () => reactivateUser(db, actor, { userId: target.id }))
  })
})
